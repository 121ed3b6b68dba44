"""Delivery's Sender on discord.py: posts, finds, edits and threads, with Discord's errors mapped
to the core's (gone, no access, try later).

A forum channel takes posts, not messages: a post there is a forum post (a thread) whose starter
message is the reply, named ``title`` and tagged with the forum's tag for ``topic``. Its starter
message has the post's id, so the post is its own thread: Updates and answers go inside it."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
import discord

from bot.delivery.forum import matching_tag
from bot.delivery.pace import Pace, SharedPace
from bot.discord.render import edit_kwargs, message_kwargs
from bot.errors import (
    ChannelGoneError,
    DeliveryError,
    ForumTagRequiredError,
    MissingAccessError,
    TransientDeliveryError,
)
from bot.presenters.delivery import ref_pattern, thread_name
from bot.presenters.message import Reply

log = logging.getLogger(__name__)
T = TypeVar("T")

_UNPACED = re.compile(r"/(interactions|webhooks)/|/gateway")
THREAD_EXISTS = 160004
TAG_REQUIRED = 40067
UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
HISTORY_LIMIT = 50
FETCHED_TTL_S = 300.0  # a channel fetched without a gateway is used this long (its type, a forum's tags)
FETCHED_KEPT = 10_000
FORUM_POSTS_SCANNED = 10  # a post lost in a crash is among the forum's newest posts of ours


class DiscordSender:
    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._fetched: OrderedDict[int, tuple[float, object]] = OrderedDict()  # channel id -> (until, channel)

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        """One request (paced by the client's ``pace_trace``), Discord's errors mapped."""
        return await _mapped(call)

    async def _resolve(self, channel_id: int) -> object:
        """The channel from the gateway's cache; without a gateway (a deliver-only process), fetched
        once (a paced request like any other) and kept for ``FETCHED_TTL_S``."""
        channel = self._client.get_channel(channel_id)
        if channel is not None:
            return channel
        now = time.monotonic()
        kept = self._fetched.get(channel_id)
        if kept is not None and kept[0] > now:
            self._fetched.move_to_end(channel_id)
            return kept[1]
        channel = await self._call(lambda: self._client.fetch_channel(channel_id))
        self._fetched[channel_id] = (now + FETCHED_TTL_S, channel)
        self._fetched.move_to_end(channel_id)
        while len(self._fetched) > FETCHED_KEPT:
            self._fetched.popitem(last=False)
        return channel

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        return _messageable(await self._resolve(channel_id), channel_id)

    async def post(self, channel_id: int, reply: Reply, *, nonce: str, title: str = "Briefbot",
                   topic: str | None = None) -> int:
        channel = await self._resolve(channel_id)
        kwargs = message_kwargs(reply)
        if isinstance(channel, discord.ForumChannel):
            tags = _tags(channel, topic)
            made = await self._call(lambda: channel.create_thread(
                name=thread_name(title), auto_archive_duration=1440, applied_tags=tags, **kwargs))
            await self._drop_twins(channel, made.thread, _texts(made.message))
            return made.message.id  # the post's id too
        target = _messageable(channel, channel_id)
        message = await self._call(lambda: target.send(**kwargs, nonce=nonce))
        return message.id

    async def find(self, channel_id: int, ref: str) -> int | None:
        """A recent message of ours in the channel that carries ``ref`` (posted before a crash); in
        a forum, the starter message of one of our newest posts."""
        channel = await self._resolve(channel_id)
        me = self._client.user
        pattern = ref_pattern(ref)

        def carries(message: discord.Message) -> bool:
            return (me is None or message.author.id == me.id) and any(pattern.search(t) for t in _texts(message))

        if isinstance(channel, discord.ForumChannel):
            posts = sorted((t for t in channel.threads if me is None or t.owner_id == me.id),
                           key=lambda t: t.id, reverse=True)[:FORUM_POSTS_SCANNED]
            for post in posts:
                try:
                    starter = await self._call(lambda post=post: post.fetch_message(post.id))
                except DeliveryError:  # deleted by a moderator, or the post is gone
                    continue
                if carries(starter):
                    return starter.id
            return None
        target = _messageable(channel, channel_id)

        async def scan() -> int | None:
            async for message in target.history(limit=HISTORY_LIMIT):
                if carries(message):
                    return message.id
            return None

        return await self._call(scan)

    async def _drop_twins(self, forum: discord.ForumChannel, kept: discord.Thread, texts: list[str]) -> None:
        """Deletes the twins of a new forum post. discord.py retries a request that Discord answered
        with a 5xx, and the forum endpoint takes no nonce (unlike messages), so a post Discord had
        made before failing would stay beside its retry: a twin is another post of ours with the same
        name whose starter message says the same. Without Manage Threads the twin stays (logged)."""
        me = self._client.user
        twins = [t for t in forum.threads if t.id != kept.id and t.name == kept.name
                 and (me is None or t.owner_id == me.id)]
        for twin in twins[:FORUM_POSTS_SCANNED]:
            try:
                starter = await self._call(lambda twin=twin: twin.fetch_message(twin.id))
                if _texts(starter) == texts:
                    await self._call(twin.delete)
                    log.warning("deleted forum post %s in %s: a twin of %s (a retried request)", twin.id, forum.id,
                                kept.id)
            except DeliveryError as exc:
                log.warning("forum post %s may be a twin of %s, left as it is: %s", twin.id, kept.id, exc)

    async def _holder(self, channel_id: int, message_id: int) -> discord.abc.Messageable:
        """The channel that holds the message: a forum post's starter message is in the post."""
        channel = await self._resolve(channel_id)
        if isinstance(channel, discord.ForumChannel):
            return await self._channel(message_id)
        return _messageable(channel, channel_id)

    async def edit(self, channel_id: int, message_id: int, reply: Reply) -> None:
        channel = await self._holder(channel_id, message_id)
        partial = channel.get_partial_message(message_id)  # type: ignore[attr-defined]
        kwargs = edit_kwargs(reply)
        if not reply.files:
            kwargs.pop("attachments", None)
        await self._call(lambda: partial.edit(**kwargs))

    async def start_thread(self, channel_id: int, message_id: int, name: str) -> int:
        channel = await self._resolve(channel_id)
        if isinstance(channel, discord.ForumChannel):
            return message_id  # a forum post is its own thread, with its starter message's id
        partial = _messageable(channel, channel_id).get_partial_message(message_id)  # type: ignore[attr-defined]
        try:
            thread = await self._call(lambda: partial.create_thread(name=name, auto_archive_duration=1440))
        except _ThreadExists:
            return message_id  # a thread started from a message has the message's id
        return thread.id

    async def system_channel(self, guild_id: int) -> int | None:
        guild = self._client.get_guild(guild_id)
        if guild is None or guild.system_channel is None:
            return None
        return guild.system_channel.id


def pace_trace(pace: Pace | SharedPace) -> aiohttp.TraceConfig:
    """Paces every request the client makes to Discord's API (``http_trace`` of the client), each
    attempt on its own: a retry after a 429 or a 5xx, and requests held while discord.py waits out
    a global 429, take their own slots. Interaction responses and webhooks are not under the global
    limit, and are not held up behind deliveries."""
    trace = aiohttp.TraceConfig()

    async def on_request_start(_session: object, _ctx: object, params: aiohttp.TraceRequestStartParams) -> None:
        if not _UNPACED.search(params.url.path):
            await pace.wait()

    trace.on_request_start.append(on_request_start)
    return trace


class _ThreadExists(DeliveryError):
    pass


def _messageable(channel: object, channel_id: int) -> discord.abc.Messageable:
    if not isinstance(channel, discord.abc.Messageable):
        raise ChannelGoneError(f"channel {channel_id} is not a text channel")
    return channel


def _texts(message: discord.Message) -> list[str]:
    """What identifies a message of ours: its content and embed footers (where the ref is)."""
    return [message.content or ""] + [e.footer.text or "" for e in message.embeds if e.footer]


def _tags(forum: discord.ForumChannel, topic: str | None) -> list[discord.ForumTag]:
    """The forum's tag for the topic, if it has one; a forum that requires a tag and has none for
    the topic refuses the post, which pauses the subscription with that reason."""
    tags = list(forum.available_tags)
    i = matching_tag(topic, [t.name for t in tags]) if topic else None
    if i is not None:
        return [tags[i]]
    if forum.flags.require_tag:
        raise ForumTagRequiredError(f"forum {forum.id} requires a tag; none of "
                                    f"{[t.name for t in tags][:25]} names {topic!r}")
    return []


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
        if exc.code == TAG_REQUIRED:  # the forum's tags changed since the post was checked
            raise ForumTagRequiredError(f"{exc.text} ({exc.code})") from exc
        if exc.status == 429:
            raise TransientDeliveryError("rate limited") from exc
        raise DeliveryError(f"Discord refused it ({exc.status} {exc.code}: {exc.text})") from exc
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        raise TransientDeliveryError(f"connection problem: {exc!r}") from exc
