"""The Discord client. Built from the composition root's App; owns no resources of its own."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord.ext import commands

from bot.app import App
from bot.delivery.pace import pace_for
from bot.discord.errors import on_tree_error
from bot.discord.sender import DiscordSender, pace_trace

log = logging.getLogger(__name__)


def intents_for(app: App) -> discord.Intents:
    """The smallest intents that work: guilds (channels, threads) and guild messages (questions
    that mention the bot in its threads arrive with their text); Message Content only when set."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = app.settings.discord_message_content
    return intents


class Briefbot(commands.Bot):
    """Slash commands only; cogs get the services they need from ``app``."""

    def __init__(self, app: App, *, warm_up: bool = True, analyses: bool = True, answers: bool = True,
                 **options: Any) -> None:
        # one request pace for delivery and the admins' test sends, shared by the bot's processes
        pace = pace_for(app.settings.resolved_database_url, app.settings.delivery_requests_per_s)
        super().__init__(
            http_trace=pace_trace(pace),
            command_prefix=commands.when_mentioned,
            intents=intents_for(app),
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            max_messages=None,
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            **options,
        )
        self.app = app
        self.sender = DiscordSender(self)
        self._warm_up = warm_up
        self._analyses = analyses  # this process runs the analyser: its models load at start too
        self._answers = answers  # this process serves commands: the answerer's models load at start
        self.warm: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        from cogs import setup_cogs

        self.tree.on_error = on_tree_error  # type: ignore[method-assign]
        await setup_cogs(self)
        if self._warm_up:  # the models load in a thread: the gateway connects and commands answer meanwhile
            self.warm = asyncio.create_task(
                asyncio.to_thread(self.app.warm_up, analyser=self._analyses, answerer=self._answers), name="warm-up")

    async def models_ready(self) -> None:
        """Wait for the language models (commands that need them call this after deferring)."""
        if self.warm is None:
            self.warm = asyncio.create_task(asyncio.to_thread(self.app.warm_up, analyser=False), name="warm-up")
        await asyncio.shield(self.warm)

    async def on_message(self, message: discord.Message) -> None:
        """No text commands: messages are only for the thread listener (so a mention is not an
        unknown command)."""

    async def on_ready(self) -> None:
        log.info("connected as %s (id %s) to %d server(s)", self.user, self.user.id if self.user else "?",
                 len(self.guilds))

    async def close(self) -> None:
        if self.warm is not None and not self.warm.done():
            self.warm.cancel()
        await super().close()


class ShardedBriefbot(Briefbot, commands.AutoShardedBot):
    """Briefbot over ``SHARD_COUNT`` gateway shards; this process connects ``SHARD_IDS`` (all when
    empty) and serves the commands of the servers on them (Discord sends each server's events to
    the shard ``(server id >> 22) % SHARD_COUNT``)."""

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("gateway shard %d of %s ready", shard_id, self.shard_count)


def make_bot(app: App, **kwargs: Any) -> Briefbot:
    """The bot for ``app``'s settings: sharded when ``SHARD_COUNT`` is set."""
    settings = app.settings
    if settings.shard_count is None:
        return Briefbot(app, **kwargs)
    return ShardedBriefbot(app, shard_count=settings.shard_count, shard_ids=settings.shard_ids or None, **kwargs)
