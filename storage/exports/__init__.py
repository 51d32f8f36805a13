"""Exports of responses, tip reactions, event RSVPs, the message log and aggregates.

`write_export` (storage/exports/run.py) is the one function every export goes through; the
anonymity mode is a required argument, so no caller can forget to choose it.
"""
