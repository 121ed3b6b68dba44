"""Where discord.py connects. Discord itself by default; settings can point it elsewhere (the
project's local stand-in for Discord in end-to-end tests)."""

from __future__ import annotations

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.settings import Settings

DEFAULT_API_BASE = Route.BASE
DEFAULT_GATEWAY = DiscordWebSocket.DEFAULT_GATEWAY


def configure_endpoints(settings: Settings) -> None:
    """Point discord.py's REST routes (webhooks and interaction callbacks included) and its
    gateway at ``DISCORD_API_BASE`` and ``DISCORD_GATEWAY_URL``, or back at Discord."""
    Route.BASE = (settings.discord_api_base or DEFAULT_API_BASE).rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url) if settings.discord_gateway_url \
        else DEFAULT_GATEWAY


__all__ = ["configure_endpoints", "discord"]
