"""Consultations: polls and surveys authored as YAML, answered by Telegram buttons or SMS."""
