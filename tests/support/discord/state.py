"""The stand-in's world: users, guilds, channels, threads, members, roles, messages, commands.

Plain data plus builders for Discord-shaped payloads (ids as strings, ISO timestamps). No locking
here: the owner (:class:`~tests.support.discord.server.DiscordStandIn`) holds one lock around every
use. All payloads are hand-written from Discord's documented object shapes.
"""

from __future__ import annotations

import copy
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1

EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | SEND_MESSAGES_IN_THREADS
)
BOT_ROLE_PERMISSIONS = EVERYONE_PERMISSIONS | MANAGE_MESSAGES | MANAGE_THREADS
# What set_bot_permissions(channel, False) denies the bot in that channel.
BOT_DENIED_WHEN_BLOCKED = (
    SEND_MESSAGES | SEND_MESSAGES_IN_THREADS | CREATE_PUBLIC_THREADS | CREATE_PRIVATE_THREADS | ATTACH_FILES | EMBED_LINKS
)

# Message flags
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_HAS_THREAD = 1 << 5
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_IS_COMPONENTS_V2 = 1 << 15
CHANNEL_FLAG_REQUIRE_TAG = 1 << 4  # a forum whose posts need a tag
MAX_APPLIED_TAGS = 5
SETTABLE_MESSAGE_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_EPHEMERAL | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_IS_COMPONENTS_V2

TEXT_LIKE_CHANNEL_TYPES = {0, 2, 5, 10, 11, 12, 13}
THREAD_TYPES = {10, 11, 12}


def iso(ts: float | None = None) -> str:
    """Discord's timestamp format: ``2026-01-01T12:00:00.123000+00:00``."""
    return datetime.fromtimestamp(time.time() if ts is None else ts, UTC).isoformat()


class Snowflakes:
    """Snowflake ids that increase with time and never repeat (low bits count within a millisecond)."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        if candidate <= self._last:
            candidate = self._last + 1
        self._last = candidate
        return candidate

    def seen(self, value: int) -> None:
        """Make later ids greater than an id chosen by a test."""
        self._last = max(self._last, value)


@dataclass
class User:
    id: int
    name: str
    bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": None if self.bot else self.name,
            "avatar": None,
            "avatar_decoration_data": None,
            "banner": None,
            "accent_color": None,
            "public_flags": 0,
            "flags": 0,
            "collectibles": None,
            "primary_guild": None,
        }
        if self.bot:
            d["bot"] = True
        return d


@dataclass
class Role:
    id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False
    bot_id: int | None = None
    mentionable: bool = False

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "description": None,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if self.bot_id is not None:
            d["tags"] = {"bot_id": str(self.bot_id)}
        return d


@dataclass
class Member:
    user_id: int
    guild_id: int
    roles: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=iso)
    nick: str | None = None


@dataclass
class Channel:
    id: int
    guild_id: int
    name: str
    type: int = 0
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: dict[int, dict[str, Any]] = field(default_factory=dict)  # target id -> {type, allow, deny}
    last_message_id: int | None = None
    deleted: bool = False
    # threads only
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    archive_timestamp: str = field(default_factory=iso)
    create_timestamp: str = field(default_factory=iso)
    message_count: int = 0
    total_message_sent: int = 0
    rate_limit_per_user: int = 0
    invitable: bool = True
    # forums: their tags and flags (REQUIRE_TAG); forum posts: the tags applied
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    applied_tags: list[str] = field(default_factory=list)

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    def to_dict(self, *, include_guild_id: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "flags": self.flags,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
            "rate_limit_per_user": self.rate_limit_per_user,
        }
        if include_guild_id:
            d["guild_id"] = str(self.guild_id)
        if self.is_thread:
            d.update(
                parent_id=str(self.parent_id),
                owner_id=str(self.owner_id),
                message_count=self.message_count,
                member_count=1,
                total_message_sent=self.total_message_sent,
                thread_metadata={
                    "archived": self.archived,
                    "auto_archive_duration": self.auto_archive_duration,
                    "archive_timestamp": self.archive_timestamp,
                    "locked": self.locked,
                    "create_timestamp": self.create_timestamp,
                    **({"invitable": self.invitable} if self.type == 12 else {}),
                },
                applied_tags=list(self.applied_tags),
            )
        else:
            d.update(
                position=self.position,
                parent_id=str(self.parent_id) if self.parent_id else None,
                permission_overwrites=[
                    {"id": str(target), "type": ow["type"], "allow": str(ow["allow"]), "deny": str(ow["deny"])}
                    for target, ow in self.overwrites.items()
                ],
                nsfw=False,
            )
            if self.type in (0, 5, 15):
                d["topic"] = self.topic
                d["default_auto_archive_duration"] = 1440
            if self.type == 15:
                d.update(available_tags=[dict(t) for t in self.available_tags], default_reaction_emoji=None,
                         default_sort_order=None, default_forum_layout=0, default_thread_rate_limit_per_user=0)
        return d


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=iso)
    system_channel_id: int | None = None  # where Discord posts join messages; None: none chosen


MENTION_RE = re.compile(r"<@!?(\d{15,25})>")
ROLE_MENTION_RE = re.compile(r"(?<!\\)<@&(\d{1,25})>")


class World:
    """Everything the fake Discord knows. Mutated only under the stand-in's lock."""

    def __init__(self, *, bot_name: str = "Briefbot", bot_user_id: int | None = None, application_id: int | None = None):
        self.ids = Snowflakes()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, dict[int, dict[str, Any]]] = {}  # channel id -> message id -> message
        self.message_channel: dict[int, int] = {}
        self.deleted_messages: dict[int, dict[str, Any]] = {}
        self.commands: dict[int | None, dict[int, dict[str, Any]]] = {}  # guild id (None = global) -> id -> command
        self.attachments: dict[int, tuple[str, str, bytes]] = {}  # attachment id -> (filename, content type, bytes)
        self.bot_blocked: set[int] = set()  # channels where set_bot_permissions(..., False) applies
        # enforce_nonce: (channel id, author id, str(nonce)) -> (message id, time.monotonic() at creation)
        self.nonces: dict[tuple[int, int, str], tuple[int, float]] = {}
        self.edits: dict[int, list[dict[str, Any]]] = {}  # message id -> each PATCH body applied, in order
        bot_user_id = bot_user_id or self.ids.next()
        self.ids.seen(bot_user_id)
        self.application_id = application_id or bot_user_id
        self.ids.seen(self.application_id)
        self.bot = User(bot_user_id, bot_name, bot=True)
        self.users[bot_user_id] = self.bot

    # ---- ids -------------------------------------------------------------------------------
    def new_id(self, wanted: int | None = None) -> int:
        if wanted is not None:
            self.ids.seen(int(wanted))
            return int(wanted)
        return self.ids.next()

    # ---- users, guilds, channels, members ---------------------------------------------------
    def add_user(self, name: str, user_id: int | None = None, bot: bool = False) -> User:
        user = User(self.new_id(user_id), name, bot=bot)
        self.users[user.id] = user
        return user

    def user(self, user_id: int) -> User:
        try:
            return self.users[int(user_id)]
        except KeyError:
            raise KeyError(f"unknown user {user_id}: add it with add_user() first") from None

    def add_guild(self, name: str, guild_id: int | None = None, owner_id: int | None = None) -> Guild:
        gid = self.new_id(guild_id)
        if owner_id is None:
            owner_id = self.add_user(f"{name}-owner").id
        guild = Guild(gid, name, int(owner_id))
        guild.roles[gid] = Role(gid, "@everyone", EVERYONE_PERMISSIONS, position=0)
        bot_role = Role(self.new_id(), self.bot.name, BOT_ROLE_PERMISSIONS, position=1, managed=True, bot_id=self.bot.id)
        guild.roles[bot_role.id] = bot_role
        guild.members[self.bot.id] = Member(self.bot.id, gid, roles=[bot_role.id])
        if int(owner_id) in self.users:
            guild.members[int(owner_id)] = Member(int(owner_id), gid)
        self.guilds[gid] = guild
        return guild

    def guild(self, guild_id: int) -> Guild:
        try:
            return self.guilds[int(guild_id)]
        except KeyError:
            raise KeyError(f"unknown guild {guild_id}") from None

    def add_channel(self, guild_id: int, name: str, type: int = 0, parent_id: int | None = None, channel_id: int | None = None) -> Channel:
        guild = self.guild(guild_id)
        position = sum(1 for cid in guild.channel_ids if not self.channels[cid].deleted)
        ch = Channel(self.new_id(channel_id), guild.id, name, type=type, position=position, parent_id=parent_id)
        self.channels[ch.id] = ch
        self.messages[ch.id] = {}
        guild.channel_ids.append(ch.id)
        return ch

    def add_thread(self, parent: Channel, name: str, *, type: int = 11, thread_id: int | None = None,
                   auto_archive_duration: int | None = None, owner_id: int | None = None) -> Channel:
        th = Channel(
            self.new_id(thread_id),
            parent.guild_id,
            name,
            type=type,
            parent_id=parent.id,
            owner_id=owner_id or self.bot.id,
            auto_archive_duration=auto_archive_duration or 1440,
        )
        self.channels[th.id] = th
        self.messages[th.id] = {}
        return th

    def channel(self, channel_id: int, *, allow_deleted: bool = False) -> Channel | None:
        ch = self.channels.get(int(channel_id))
        if ch is None or (ch.deleted and not allow_deleted):
            return None
        return ch

    def threads_of(self, parent_id: int) -> list[Channel]:
        return [c for c in self.channels.values() if c.is_thread and c.parent_id == int(parent_id) and not c.deleted]

    def add_member(self, guild_id: int, user_id: int, permissions: int = 0) -> tuple[Member, Role | None]:
        guild = self.guild(guild_id)
        user = self.user(user_id)
        role = None
        roles: list[int] = []
        if permissions:
            role = Role(self.new_id(), f"perms-{user.name}", int(permissions), position=1)
            guild.roles[role.id] = role
            roles.append(role.id)
        member = Member(user.id, guild.id, roles=roles)
        guild.members[user.id] = member
        return member, role

    # ---- permissions --------------------------------------------------------------------------
    def base_permissions(self, guild: Guild, user_id: int) -> int:
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        perms = guild.roles[guild.id].permissions
        if member is not None:
            for rid in member.roles:
                role = guild.roles.get(rid)
                if role is not None:
                    perms |= role.permissions
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        return perms

    def channel_permissions(self, channel: Channel, user_id: int) -> int:
        perms = self._channel_permissions(channel, user_id)
        if user_id == self.bot.id and (
            channel.id in self.bot_blocked or (channel.is_thread and channel.parent_id in self.bot_blocked)
        ):
            perms &= ~BOT_DENIED_WHEN_BLOCKED
        return perms

    def _channel_permissions(self, channel: Channel, user_id: int) -> int:
        guild = self.guild(channel.guild_id)
        perms = self.base_permissions(guild, user_id)
        if perms & ADMINISTRATOR or perms == ALL_PERMISSIONS:
            return ALL_PERMISSIONS
        source = self.channels.get(channel.parent_id) if channel.is_thread and channel.parent_id else channel
        ows = source.overwrites if source is not None else {}
        member = guild.members.get(user_id)
        if guild.id in ows:
            perms &= ~ows[guild.id]["deny"]
            perms |= ows[guild.id]["allow"]
        allow = deny = 0
        for rid in member.roles if member else []:
            if rid in ows:
                allow |= ows[rid]["allow"]
                deny |= ows[rid]["deny"]
        perms = (perms & ~deny) | allow
        if user_id in ows:
            perms = (perms & ~ows[user_id]["deny"]) | ows[user_id]["allow"]
        return perms

    # ---- payloads -----------------------------------------------------------------------------
    def member_dict(self, member: Member, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
        d: dict[str, Any] = {
            "roles": [str(r) for r in member.roles],
            "joined_at": member.joined_at,
            "nick": member.nick,
            "avatar": None,
            "banner": None,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            d["user"] = self.users[member.user_id].to_dict()
        if permissions is not None:
            d["permissions"] = str(permissions)
        return d

    def guild_dict(self, guild: Guild) -> dict[str, Any]:
        """The REST guild object (also the base of GUILD_CREATE)."""
        system = guild.system_channel_id
        if system is not None and self.channel(system) is None:
            system = None
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "region": "deprecated",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "widget_channel_id": None,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.to_dict() for r in guild.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(system) if system else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_presences": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw": False,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "incidents_data": None,
            "home_header": None,
        }

    def guild_create_dict(self, guild: Guild) -> dict[str, Any]:
        d = self.guild_dict(guild)
        channels = [self.channels[c] for c in guild.channel_ids if not self.channels[c].deleted]
        threads = [c for c in self.channels.values()
                   if c.is_thread and c.guild_id == guild.id and not c.deleted and not c.archived]
        d.update(
            joined_at=guild.joined_at,
            large=False,
            unavailable=False,
            lazy=True,
            member_count=len(guild.members),
            voice_states=[],
            members=[self.member_dict(m) for m in guild.members.values()],
            channels=[c.to_dict(include_guild_id=False) for c in channels],
            threads=[t.to_dict() for t in threads],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
            embedded_activities=[],
            activity_instances=[],
            application_command_counts={},
        )
        return d

    def view(self, msg: dict[str, Any]) -> dict[str, Any]:
        """A stored message as the API returns it: a copy, with the current ``thread`` object when the
        message started a thread (the thread has the message's id) that still exists."""
        d = copy.deepcopy(msg)
        th = self.channels.get(int(msg["id"]))
        if th is not None and th.is_thread and not th.deleted and th.parent_id == int(msg["channel_id"]):
            d["thread"] = th.to_dict()
        else:
            d.pop("thread", None)
        return d

    def find_message(self, message_id: int) -> dict[str, Any] | None:
        cid = self.message_channel.get(int(message_id))
        if cid is None:
            return None
        return self.messages.get(cid, {}).get(int(message_id))

    def mentions_in(self, content: str | None, allowed: dict[str, Any] | None, guild: Guild | None) -> tuple[list[dict[str, Any]], bool]:
        """Users mentioned (as Discord resolves them) and whether @everyone/@here pings."""
        if not content:
            return [], False
        parse = None if allowed is None else set(allowed.get("parse") or [])
        explicit = set() if allowed is None else {int(u) for u in allowed.get("users") or []}
        users = []
        for m in MENTION_RE.finditer(content):
            uid = int(m.group(1))
            if uid in self.users and (parse is None or "users" in parse or uid in explicit):
                u = self.users[uid].to_dict()
                if guild is not None and uid in guild.members:
                    u["member"] = self.member_dict(guild.members[uid], with_user=False)
                if all(x["id"] != u["id"] for x in users):
                    users.append(u)
        everyone = ("@everyone" in content or "@here" in content) and (parse is None or "everyone" in parse)
        return users, everyone

    def role_mentions_in(self, content: str | None, allowed: dict[str, Any] | None, guild: Guild | None) -> list[str]:
        """Roles a message pings, as Discord decides: a ``<@&id>`` of a role of the guild that is
        mentionable, and that ``allowed_mentions`` allows (no object: all; ``parse`` with "roles";
        or the id in ``roles``)."""
        if not content or guild is None:
            return []
        parse = None if allowed is None else set(allowed.get("parse") or [])
        explicit = set() if allowed is None else {int(r) for r in allowed.get("roles") or []}
        out: list[str] = []
        for m in ROLE_MENTION_RE.finditer(content):
            rid = int(m.group(1))
            role = guild.roles.get(rid)
            if role is None or not role.mentionable or rid == guild.id:
                continue
            if (parse is None or "roles" in parse or rid in explicit) and str(rid) not in out:
                out.append(str(rid))
        return out

    def new_message(
        self,
        channel: Channel,
        *,
        author: User,
        content: str = "",
        embeds: list[dict[str, Any]] | None = None,
        components: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        flags: int = 0,
        tts: bool = False,
        type: int = 0,
        nonce: Any = None,
        allowed_mentions: dict[str, Any] | None = None,
        message_reference: dict[str, Any] | None = None,
        webhook_id: int | None = None,
        interaction_metadata: dict[str, Any] | None = None,
        message_id: int | None = None,
        mentions: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        mid = self.new_id(message_id)
        guild = self.guilds.get(channel.guild_id)
        found_mentions, everyone = self.mentions_in(content, allowed_mentions, guild)
        msg: dict[str, Any] = {
            "type": type,
            "content": content or "",
            "mentions": mentions if mentions is not None else found_mentions,
            "mention_roles": self.role_mentions_in(content, allowed_mentions, guild),
            "mention_everyone": everyone,
            "attachments": attachments or [],
            "embeds": [normalise_embed(e) for e in embeds or []],
            "components": number_components(components),
            "timestamp": iso(),
            "edited_timestamp": None,
            "flags": flags,
            "id": str(mid),
            "channel_id": str(channel.id),
            "author": author.to_dict(),
            "pinned": False,
            "tts": bool(tts),
        }
        if nonce is not None:
            msg["nonce"] = nonce
        if webhook_id is not None:
            msg["webhook_id"] = str(webhook_id)
            msg["application_id"] = str(self.application_id)
        if interaction_metadata is not None:
            msg["interaction_metadata"] = interaction_metadata
        if message_reference:
            ref_id = message_reference.get("message_id")
            msg["message_reference"] = {
                "type": 0,
                "channel_id": str(message_reference.get("channel_id") or channel.id),
                "message_id": str(ref_id) if ref_id else None,
                "guild_id": str(channel.guild_id),
            }
            ref = self.find_message(int(ref_id)) if ref_id else None
            msg["referenced_message"] = copy.deepcopy(ref) if ref else None
            if ref is not None:
                msg["referenced_message"].pop("referenced_message", None)
        self.messages.setdefault(channel.id, {})[mid] = msg
        self.message_channel[mid] = channel.id
        if not flags & FLAG_EPHEMERAL:
            channel.last_message_id = mid
            if channel.is_thread:
                channel.message_count += 1
                channel.total_message_sent += 1
        return msg

    def event_message(self, msg: dict[str, Any]) -> dict[str, Any]:
        """A stored message as MESSAGE_CREATE/UPDATE carries it (guild_id and the author's member)."""
        d = self.view(msg)
        ch = self.channels.get(int(msg["channel_id"]))
        if ch is not None:
            d["guild_id"] = str(ch.guild_id)
            guild = self.guilds.get(ch.guild_id)
            author_id = int(msg["author"]["id"])
            if guild is not None and author_id in guild.members and "webhook_id" not in msg:
                d["member"] = self.member_dict(guild.members[author_id], with_user=False)
        return d

    def command_list(self, guild_id: int | None) -> list[dict[str, Any]]:
        return [copy.deepcopy(c) for c in self.commands.get(guild_id, {}).values()]


def number_components(components: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Components as Discord stores them: each gets a numeric ``id`` (1, 2, ... depth first) unless
    the sender chose one."""
    out = copy.deepcopy(components or [])
    used = set()

    def walk(items: list[Any], visit: Any) -> None:
        for c in items:
            if isinstance(c, dict):
                visit(c)
                walk(c.get("components") or [], visit)
                for key in ("accessory", "component"):
                    if isinstance(c.get(key), dict):
                        walk([c[key]], visit)

    walk(out, lambda c: used.add(c["id"]) if isinstance(c.get("id"), int) else None)
    counter = iter(i for i in range(1, 1 << 31) if i not in used)
    walk(out, lambda c: c.setdefault("id", next(counter)) if not isinstance(c.get("id"), int) else None)
    return out


def normalise_embed(embed: dict[str, Any]) -> dict[str, Any]:
    """An embed as Discord echoes it back: ``type`` defaults to ``rich``, nulls dropped."""
    out = {k: v for k, v in embed.items() if v is not None}
    out.setdefault("type", "rich")
    if "fields" in out:
        out["fields"] = [{"inline": False, **{k: v for k, v in f.items() if v is not None}} for f in out["fields"]]
    return out
