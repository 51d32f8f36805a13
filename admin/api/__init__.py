"""The JSON API under /api: token auth, the same services as the dashboard."""
