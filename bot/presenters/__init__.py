"""Presenters: pure functions that turn the read services' results into :class:`Reply` messages
within Discord's limits (used by the Discord cogs and, through ``render_text``, the console)."""
