"""Thin Discord adapters (slash commands). Added with the Discord issue."""
