"""Errors shown to the person who ran a command."""

from __future__ import annotations

from bot.presenters.message import Reply, escape_truncate, one_line

ERROR_LIMIT = 300


def present_error(message: str) -> Reply:
    """One short, escaped line, visible only to the user."""
    return Reply(content=escape_truncate(one_line(message) or "Something went wrong.", ERROR_LIMIT), ephemeral=True)
