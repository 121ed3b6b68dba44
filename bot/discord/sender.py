"""Delivery's Sender on discord.py: posts, finds, edits and threads, with Discord's errors mapped
to the core's (gone, no access, try later)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
import discord

from bot.discord.render import edit_kwargs, message_kwargs
from bot.errors import ChannelGoneError, DeliveryError, MissingAccessError, TransientDeliveryError
from bot.presenters.delivery import ref_pattern
from bot.presenters.message import Reply

log = logging.getLogger(__name__)
T = TypeVar("T")

THREAD_EXISTS = 160004
UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
HISTORY_LIMIT = 50


class Pace:
    """Spaces calls at least ``1/per_s`` apart (Discord's global limit is 50 requests/s per bot;
    discord.py handles the per-route buckets and waits out any 429)."""

    def __init__(self, per_s: float) -> None:
        self._interval = 1.0 / per_s
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._lock:
            now = loop.time()
            at = max(now, self._next)
            self._next = at + self._interval
        if at > now:
            await asyncio.sleep(at - now)


class DiscordSender:
    def __init__(self, client: discord.Client, *, requests_per_s: float | None = None) -> None:
        self._client = client
        self._pace = Pace(requests_per_s) if requests_per_s else None

    async def _paced(self, call: Callable[[], Awaitable[T]]) -> T:
        if self._pace is not None:
            await self._pace.wait()
        return await _mapped(call)

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        channel = self._client.get_channel(channel_id)
        if channel is None:
            channel = await _mapped(lambda: self._client.fetch_channel(channel_id))
        if not isinstance(channel, discord.abc.Messageable):
            raise ChannelGoneError(f"channel {channel_id} is not a text channel")
        return channel

    async def post(self, channel_id: int, reply: Reply, *, nonce: str) -> int:
        channel = await self._channel(channel_id)
        kwargs = message_kwargs(reply)
        message = await self._paced(lambda: channel.send(**kwargs, nonce=nonce))
        return message.id

    async def find(self, channel_id: int, ref: str) -> int | None:
        """A recent message of ours in the channel that carries ``ref`` (posted before a crash)."""
        channel = await self._channel(channel_id)
        me = self._client.user
        pattern = ref_pattern(ref)

        async def scan() -> int | None:
            async for message in channel.history(limit=HISTORY_LIMIT):
                if me is not None and message.author.id != me.id:
                    continue
                texts = [message.content or ""] + [e.footer.text or "" for e in message.embeds if e.footer]
                if any(pattern.search(t) for t in texts):
                    return message.id
            return None

        return await self._paced(scan)

    async def edit(self, channel_id: int, message_id: int, reply: Reply) -> None:
        channel = await self._channel(channel_id)
        partial = channel.get_partial_message(message_id)  # type: ignore[attr-defined]
        kwargs = edit_kwargs(reply)
        if not reply.files:
            kwargs.pop("attachments", None)
        await self._paced(lambda: partial.edit(**kwargs))

    async def start_thread(self, channel_id: int, message_id: int, name: str) -> int:
        channel = await self._channel(channel_id)
        partial = channel.get_partial_message(message_id)  # type: ignore[attr-defined]
        try:
            thread = await self._paced(lambda: partial.create_thread(name=name, auto_archive_duration=1440))
        except _ThreadExists:
            return message_id  # a thread started from a message has the message's id
        return thread.id

    async def system_channel(self, guild_id: int) -> int | None:
        guild = self._client.get_guild(guild_id)
        if guild is None or guild.system_channel is None:
            return None
        return guild.system_channel.id


class _ThreadExists(DeliveryError):
    pass


async def _mapped(call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except discord.NotFound as exc:
        if exc.code in (UNKNOWN_CHANNEL, UNKNOWN_GUILD):
            raise ChannelGoneError(f"not found ({exc.code}: {exc.text})") from exc
        raise DeliveryError(f"not found ({exc.code}: {exc.text})") from exc  # e.g. a message a moderator deleted
    except discord.Forbidden as exc:
        raise MissingAccessError(f"forbidden ({exc.code}: {exc.text})") from exc
    except discord.DiscordServerError as exc:
        raise TransientDeliveryError(f"Discord error {exc.status}") from exc
    except discord.HTTPException as exc:
        if exc.code == THREAD_EXISTS:
            raise _ThreadExists(str(exc)) from exc
        if exc.status == 429:
            raise TransientDeliveryError("rate limited") from exc
        raise DeliveryError(f"Discord refused it ({exc.status} {exc.code}: {exc.text})") from exc
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        raise TransientDeliveryError(f"connection problem: {exc!r}") from exc
