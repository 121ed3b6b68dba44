"""``DiscordStandIn``: a local Discord (REST + gateway) for end-to-end tests of the real bot.

It runs an aiohttp server on 127.0.0.1 in its own thread and event loop, so tests stay plain
synchronous functions and the bot can run in a subprocess or in another loop. Every public method
is thread-safe; waiting is done on a ``threading.Condition`` that is notified whenever a request,
a gateway frame or a state change is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import mimetypes
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from aiohttp import web

from .gateway import Gateway
from .http_api import HttpApi
from .records import Fault, Interaction, RecordedRequest
from .state import (
    BOT_DENIED_WHEN_BLOCKED,
    CHANNEL_FLAG_REQUIRE_TAG,
    Channel,
    Role,
    World,
)
from .validate import SpecValidator

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[3]
DEFAULT_SPEC_PATH = REPO.parent / "shared" / "discord" / "openapi.json"
_DEFAULT: Any = object()

OPTION_SUBCOMMAND, OPTION_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11


class DiscordStandIn:
    """A fake Discord for one test (or one module of tests).

    ``with DiscordStandIn() as d:`` starts it; point the bot at ``d.api_base`` and ``d.gateway_url``
    and give it ``d.token``. See the package docstring for the whole API.
    """

    def __init__(
        self,
        *,
        spec_path: str | Path | None = _DEFAULT,
        token: str | None = None,
        bot_name: str = "Briefbot",
        bot_user_id: int | None = None,
        application_id: int | None = None,
        heartbeat_interval_ms: int = 41250,
        interaction_deadline: float | None = None,
        check_responses: bool = False,
        allowed_privileged_intents: int | None = None,
        nonce_window_s: float = 300.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.spec = SpecValidator(DEFAULT_SPEC_PATH if spec_path is _DEFAULT else spec_path)
        self.token = token or f"standin.{secrets.token_urlsafe(24)}"
        self.world = World(bot_name=bot_name, bot_user_id=bot_user_id, application_id=application_id)
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_deadline = interaction_deadline
        self.check_responses = check_responses
        self.allowed_privileged_intents = allowed_privileged_intents
        self.nonce_window_s = nonce_window_s  # enforce_nonce looks this far back ("the past few minutes")
        self.application_flags = (1 << 15) | (1 << 19) | (1 << 23)
        self.host = host
        self._port = port

        self._cond = threading.Condition(threading.RLock())
        self._requests: list[RecordedRequest] = []
        self._violations: list[str] = []
        self._self_violations: list[str] = []
        self._events: list[tuple[str, Any, float]] = []
        self._gateway_log: list[tuple[str, Any, float]] = []
        self._gateway_connections: list[dict[str, Any]] = []
        self._faults: list[Fault] = []
        self._interactions: list[Interaction] = []
        self._interactions_by_token: dict[str, Interaction] = {}
        self._identifies = 0
        self._resumes = 0
        self._invalid_resumes = 0
        self._heartbeats = 0
        self._nonce_hits = 0

        self._gateway = Gateway(self)
        self._http = HttpApi(self)
        self._loop: asyncio.AbstractEventLoop = None  # type: ignore[assignment]
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------------------------------
    # lifecycle
    # ------------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def application_id(self) -> int:
        return self.world.application_id

    @property
    def bot_user_id(self) -> int:
        return self.world.bot.id

    @property
    def validation_enabled(self) -> bool:
        return self.spec.enabled

    @property
    def validation_skip_reason(self) -> str | None:
        return self.spec.reason

    def start(self) -> DiscordStandIn:
        if self._thread is not None:
            return self
        started = threading.Event()
        failure: list[BaseException] = []
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self._serve())
            except BaseException as exc:  # noqa: BLE001 - reported to start()
                failure.append(exc)
                started.set()
                return
            started.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._shutdown())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="discord-standin", daemon=True)
        self._thread.start()
        if not started.wait(15):
            raise RuntimeError("the Discord stand-in did not start within 15 s")
        if failure:
            raise RuntimeError("the Discord stand-in failed to start") from failure[0]
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(15)
        self._thread = None

    def __enter__(self) -> DiscordStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._serve_attachment)
        app.router.add_route("*", "/{tail:.*}", self._http.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        with self._cond:
            conns = [c for c in self._gateway.connections if not c.closed]
        for c in conns:
            with contextlib.suppress(Exception):
                await c.ws.close(code=1001, message=b"stand-in stopping")
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        with self._cond:
            found = self.world.attachments.get(int(request.match_info["attachment_id"]))
        if found is None:
            return web.Response(status=404, text="Not Found")
        filename, ctype, data = found
        return web.Response(body=data, content_type=ctype)

    # ------------------------------------------------------------------------------------------
    # internal hooks (called with the lock held)
    # ------------------------------------------------------------------------------------------
    def _changed(self) -> None:
        self._cond.notify_all()

    def _violation(self, text: str) -> None:
        self._violations.append(text)
        self._changed()

    def _take_fault(self, method: str, route_key: str, path: str) -> Fault | None:
        for f in self._faults:
            if f.hits < f.count and f.matches(method, route_key, path):
                f.hits += 1
                if f.hits >= f.count:
                    self._faults.remove(f)
                return f
        return None

    def _nonce_lookup(self, channel_id: int, author_id: int, nonce: Any) -> dict[str, Any] | None:
        """The message ``author_id`` created in ``channel_id`` with ``nonce`` within the window, if it
        still exists (a deleted one doesn't block a new message)."""
        found = self.world.nonces.get((int(channel_id), int(author_id), str(nonce)))
        if found is None:
            return None
        mid, created = found
        if time.monotonic() - created > self.nonce_window_s:
            return None
        return self.world.find_message(mid)

    def _delete_channel_locked(self, ch: Channel) -> dict[str, Any]:
        data = ch.to_dict()
        ch.deleted = True
        guild = self.world.guilds.get(ch.guild_id)
        if guild is not None and guild.system_channel_id == ch.id:
            guild.system_channel_id = None
            self._gateway.dispatch("GUILD_UPDATE", self.world.guild_dict(guild), guild_id=guild.id)
        if ch.is_thread:
            self._gateway.dispatch("THREAD_DELETE", {"id": str(ch.id), "guild_id": str(ch.guild_id),
                                                     "parent_id": str(ch.parent_id), "type": ch.type},
                                   guild_id=ch.guild_id)
        else:
            for th in self.world.threads_of(ch.id):
                th.deleted = True
            self._gateway.dispatch("CHANNEL_DELETE", data, guild_id=ch.guild_id)
        return data

    # ------------------------------------------------------------------------------------------
    # world setup (before or after the bot connects)
    # ------------------------------------------------------------------------------------------
    def add_user(self, name: str, user_id: int | None = None) -> int:
        with self._cond:
            return self.world.add_user(name, user_id).id

    def add_guild(self, name: str, guild_id: int | None = None, owner_id: int | None = None, *,
                  system_channel: bool = False) -> int:
        """A guild (GUILD_CREATE once the bot is connected). ``system_channel=True``: like a guild made
        in Discord's client, it comes with a "general" text channel that is its system channel
        (``system_channel(guild)`` gives its id); otherwise ``system_channel_id`` is null."""
        with self._cond:
            guild = self.world.add_guild(name, guild_id, owner_id)
            if system_channel:
                guild.system_channel_id = self.world.add_channel(guild.id, "general", 0).id
            data = self.world.guild_create_dict(guild)
            data.pop("unavailable")  # a guild joined after READY: discord.py fires on_guild_join
            self._gateway.dispatch("GUILD_CREATE", data, guild_id=guild.id)
            return guild.id

    def add_channel(self, guild_id: int, name: str, type: int = 0, *, parent_id: int | None = None,
                    channel_id: int | None = None, tags: Sequence[str] = (), require_tag: bool = False) -> int:
        """A channel (type 15: a forum, with ``tags`` its available tags, ``require_tag`` its
        REQUIRE_TAG flag); CHANNEL_CREATE is dispatched."""
        with self._cond:
            ch = self.world.add_channel(guild_id, name, type, parent_id=parent_id, channel_id=channel_id)
            ch.available_tags = [{"id": str(self.world.new_id()), "name": t, "moderated": False, "emoji_id": None,
                                  "emoji_name": None} for t in tags]
            ch.flags = CHANNEL_FLAG_REQUIRE_TAG if require_tag else 0
            self._gateway.dispatch("CHANNEL_CREATE", ch.to_dict(), guild_id=ch.guild_id)
            return ch.id

    def add_member(self, guild_id: int, user_id: int, permissions: int = 0) -> None:
        """Makes ``user_id`` a member; ``permissions`` (a bitfield) come through a role of their own.
        The guild owner and ADMINISTRATOR holders get every permission."""
        with self._cond:
            member, role = self.world.add_member(guild_id, user_id, permissions)
            if role is not None:
                self._gateway.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role.to_dict()},
                                       guild_id=guild_id)
            self._gateway.dispatch("GUILD_MEMBER_ADD", {**self.world.member_dict(member), "guild_id": str(guild_id)},
                                   guild_id=guild_id)

    def add_role(self, guild_id: int, name: str, *, mentionable: bool = False) -> int:
        """A role of the guild (no permissions of its own); GUILD_ROLE_CREATE is dispatched."""
        with self._cond:
            guild = self.world.guild(guild_id)
            role = Role(self.world.new_id(), name, 0, position=1, mentionable=mentionable)
            guild.roles[role.id] = role
            self._gateway.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role.to_dict()},
                                   guild_id=guild_id)
            return role.id

    def set_system_channel(self, guild_id: int, channel_id: int | None) -> None:
        """Makes ``channel_id`` (a text channel of the guild) its system channel, or none with None;
        GUILD_UPDATE is dispatched. Deleting the system channel also unsets it (as Discord does)."""
        with self._cond:
            guild = self.world.guild(guild_id)
            if channel_id is not None:
                ch = self.world.channel(int(channel_id))
                if ch is None or ch.guild_id != guild.id or ch.type != 0:
                    raise ValueError(f"channel {channel_id} is not a text channel of guild {guild_id}")
                guild.system_channel_id = ch.id
            else:
                guild.system_channel_id = None
            self._gateway.dispatch("GUILD_UPDATE", self.world.guild_dict(guild), guild_id=guild.id)

    def system_channel(self, guild_id: int) -> int | None:
        """The guild's system channel id (None when unset or deleted)."""
        with self._cond:
            sid = self.world.guild(guild_id).system_channel_id
            return sid if sid is not None and self.world.channel(sid) is not None else None

    def set_bot_permissions(self, channel_id: int, allowed: bool) -> None:
        """``False``: the bot may no longer send messages, edit its messages or start threads there, nor
        in the threads under it (403, code 50013). It can still see the channel and read its history."""
        with self._cond:
            ch = self.world.channel(channel_id)
            if ch is None:
                raise KeyError(f"unknown channel {channel_id}")
            bot_id = self.world.bot.id
            if allowed:
                self.world.bot_blocked.discard(ch.id)
                ch.overwrites.pop(bot_id, None)
            else:
                self.world.bot_blocked.add(ch.id)
                if not ch.is_thread:
                    ch.overwrites[bot_id] = {"type": 1, "allow": 0, "deny": BOT_DENIED_WHEN_BLOCKED}
            if not ch.is_thread:
                self._gateway.dispatch("CHANNEL_UPDATE", ch.to_dict(), guild_id=ch.guild_id)

    def delete_channel(self, channel_id: int) -> None:
        with self._cond:
            ch = self.world.channel(channel_id)
            if ch is None:
                raise KeyError(f"unknown channel {channel_id}")
            self._delete_channel_locked(ch)

    # ------------------------------------------------------------------------------------------
    # what happened
    # ------------------------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._cond:
            return list(self._requests)

    def requests_to(self, route: str) -> list[RecordedRequest]:
        """Requests whose route template is ``route`` (e.g. ``"POST /channels/{channel_id}/messages"``)."""
        with self._cond:
            return [r for r in self._requests if r.route == route]

    def messages(self, channel_id: int, *, include_ephemeral: bool = True) -> list[dict[str, Any]]:
        """Current versions (after edits) of the messages in a channel or thread, oldest first; a message
        that started a thread carries its current ``thread`` object, as the API returns it."""
        with self._cond:
            msgs = self.world.messages.get(int(channel_id), {}).values()
            return [self.world.view(m) for m in msgs if include_ephemeral or not m["flags"] & 64]

    def top_level_messages(self, channel_id: int, *, author_bot: bool | None = True) -> list[dict[str, Any]]:
        """What a reader sees in the channel itself, oldest first: its non-ephemeral messages (not those
        in its threads). ``author_bot``: True (default) only the bot's own, False only others', None all.
        "Exactly one briefing per story" is ``len(d.top_level_messages(channel)) == n``."""
        bot_id = str(self.bot_user_id)
        with self._cond:
            out = []
            for m in self.world.messages.get(int(channel_id), {}).values():
                if m["flags"] & 64:
                    continue
                if author_bot is not None and (m["author"]["id"] == bot_id) != author_bot:
                    continue
                out.append(self.world.view(m))
            return out

    def message(self, message_id: int) -> dict[str, Any] | None:
        with self._cond:
            m = self.world.find_message(int(message_id))
            return self.world.view(m) if m is not None else None

    def thread_of(self, message_id: int) -> dict[str, Any] | None:
        """The thread started from ``message_id`` (it has the message's id), or None (none, or deleted)."""
        with self._cond:
            th = self.world.channel(int(message_id))
            return th.to_dict() if th is not None and th.is_thread else None

    def edits_of(self, message_id: int) -> list[dict[str, Any]]:
        """The body of each PATCH applied to the message (channel or webhook route), in order; a
        refused edit (4xx) is not there."""
        with self._cond:
            return copy.deepcopy(self.world.edits.get(int(message_id), []))

    @property
    def nonce_hits(self) -> int:
        """How many message creates were answered with an earlier message (``enforce_nonce``)."""
        with self._cond:
            return self._nonce_hits

    def expire_nonces(self) -> None:
        """Ends the ``enforce_nonce`` window for every message so far (as if ``nonce_window_s`` passed):
        a later create with the same nonce makes a new message."""
        with self._cond:
            self.world.nonces.clear()

    def channel(self, channel_id: int) -> dict[str, Any] | None:
        """A channel or thread as Discord returns it (a forum with its tags), or None."""
        with self._cond:
            ch = self.world.channel(int(channel_id))
            return ch.to_dict() if ch is not None else None

    def threads(self, parent_channel_id: int) -> list[dict[str, Any]]:
        with self._cond:
            return [t.to_dict() for t in self.world.threads_of(int(parent_channel_id))]

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """Registered commands: global ones, or those of ``guild_id``."""
        with self._cond:
            return self.world.command_list(int(guild_id) if guild_id is not None else None)

    def attachment_bytes(self, attachment: dict[str, Any] | int) -> bytes:
        aid = int(attachment["id"]) if isinstance(attachment, dict) else int(attachment)
        with self._cond:
            return self.world.attachments[aid][2]

    @property
    def identifies(self) -> int:
        with self._cond:
            return self._identifies

    @property
    def identify_payloads(self) -> list[dict[str, Any]]:
        """The ``d`` of each accepted IDENTIFY (token, intents, properties, shard, presence...)."""
        with self._cond:
            return [copy.deepcopy(s.identify) for s in self._gateway.sessions]

    @property
    def intents(self) -> int | None:
        """The intents of the latest session, or None before the first IDENTIFY."""
        with self._cond:
            return self._gateway.sessions[-1].intents if self._gateway.sessions else None

    @property
    def resumes(self) -> int:
        with self._cond:
            return self._resumes

    @property
    def invalid_resumes(self) -> int:
        with self._cond:
            return self._invalid_resumes

    @property
    def violations(self) -> list[str]:
        """Schema/limit/protocol violations by the client. Tests assert this stays empty."""
        with self._cond:
            return list(self._violations)

    def take_violations(self) -> list[str]:
        """Returns the violations so far and forgets them (for tests that provoke some on purpose)."""
        with self._cond:
            out, self._violations = self._violations, []
            return out

    @property
    def self_violations(self) -> list[str]:
        """Responses of the stand-in itself that break the spec (``check_responses=True``)."""
        with self._cond:
            return list(self._self_violations)

    @property
    def interactions(self) -> list[Interaction]:
        with self._cond:
            return list(self._interactions)

    @property
    def gateway_connections(self) -> list[dict[str, Any]]:
        """One entry per websocket opened: ``{"query": {"v": "10", "encoding": "json", ...}, "time": ...}``."""
        with self._cond:
            return copy.deepcopy(self._gateway_connections)

    def dispatched(self, event: str | None = None) -> list[tuple[str, Any]]:
        """Gateway events the stand-in dispatched (``(name, data)``; READY, GUILD_CREATEs of READY and
        RESUMED aside), optionally only one kind. Sessions get those their intents ask for."""
        with self._cond:
            return [(e, copy.deepcopy(d)) for e, d, _ in self._events if event is None or e == event]

    @property
    def connected(self) -> bool:
        """A ready gateway session is attached to an open connection."""
        with self._cond:
            return any(s.ready and s.conn is not None for s in self._gateway.live_sessions())

    # ------------------------------------------------------------------------------------------
    # waiting
    # ------------------------------------------------------------------------------------------
    def wait_for(self, predicate: Callable[[DiscordStandIn], T], timeout: float = 10, *, what: str | None = None) -> T:
        """Waits until ``predicate(d)`` is truthy and returns its value. The predicate runs with the
        stand-in's lock held, each time something is recorded: keep it quick and non-blocking."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate(self)
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(self._timeout_message(what or getattr(predicate, "__name__", repr(predicate)),
                                                             timeout))
                self._cond.wait(remaining)

    def _timeout_message(self, what: str, timeout: float) -> str:
        recent = "\n    ".join(f"{r.method} {r.path} -> {r.status}" + (f" ({r.fault})" if r.fault else "")
                               for r in self._requests[-8:]) or "(none)"
        sessions = self._gateway.live_sessions()
        conns = sum(1 for c in self._gateway.connections if not c.closed)
        return (
            f"timed out after {timeout}s waiting for {what}\n"
            f"  gateway: {conns} open connection(s), {len(sessions)} session(s), identifies={self._identifies}, "
            f"resumes={self._resumes}\n"
            f"  last requests:\n    {recent}\n"
            f"  violations: {self._violations or 'none'}"
        )

    def wake(self) -> None:
        """Makes waiters re-evaluate their predicates now (e.g. from a callback when the bot process
        exits, so a ``wait_for`` that also checks that fails fast instead of timing out)."""
        with self._cond:
            self._cond.notify_all()

    def wait_ready(self, timeout: float = 30) -> None:
        """Until the bot has IDENTIFYed and been sent READY and its GUILD_CREATEs."""
        self.wait_for(lambda d: d.connected, timeout, what="the bot to IDENTIFY and get READY")

    # ------------------------------------------------------------------------------------------
    # acting as a user
    # ------------------------------------------------------------------------------------------
    def _find_command(self, guild_id: int, name: str) -> dict[str, Any]:
        for scope in (int(guild_id), None):
            for cmd in self.world.commands.get(scope, {}).values():
                if cmd["name"] == name and cmd["type"] == 1:
                    return cmd
        names = sorted({c["name"] for s in (int(guild_id), None) for c in self.world.commands.get(s, {}).values()})
        raise LookupError(f"/{name} is not registered in guild {guild_id} or globally (registered: {names})")

    def _option_value(self, opt: dict[str, Any], value: Any, resolved: dict[str, Any], guild_id: int,
                      attachments: dict[str, Any]) -> Any:
        t = opt["type"]
        w = self.world
        if t == STRING:
            value = str(value)
        elif t == INTEGER:
            value = int(value)
        elif t == NUMBER:
            value = float(value)
        elif t == BOOLEAN:
            value = bool(value)
        elif t in (USER, MENTIONABLE) and int(value) in w.users:
            uid = int(value)
            resolved.setdefault("users", {})[str(uid)] = w.users[uid].to_dict()
            member = w.guild(guild_id).members.get(uid)
            if member is not None:
                resolved.setdefault("members", {})[str(uid)] = w.member_dict(member, with_user=False, permissions=0)
            value = str(uid)
        elif t in (ROLE, MENTIONABLE):
            role = w.guild(guild_id).roles.get(int(value))
            if role is None:
                raise ValueError(f"option {opt['name']}: unknown role/user {value}")
            resolved.setdefault("roles", {})[str(role.id)] = role.to_dict()
            value = str(role.id)
        elif t == CHANNEL:
            ch = w.channel(int(value))
            if ch is None:
                raise ValueError(f"option {opt['name']}: unknown channel {value}")
            if opt.get("channel_types") and ch.type not in opt["channel_types"]:  # Discord's picker offers no other
                raise ValueError(f"option {opt['name']}: channel type {ch.type} is not one of {opt['channel_types']}")
            resolved.setdefault("channels", {})[str(ch.id)] = {
                **{k: ch.to_dict()[k] for k in ("id", "type", "name")}, "permissions": str(
                    w.channel_permissions(ch, w.bot.id)), **({"parent_id": str(ch.parent_id)} if ch.parent_id else {})}
            value = str(ch.id)
        elif t == ATTACHMENT:
            spec = attachments.get(opt["name"], value)
            if isinstance(spec, dict):
                filename, data, ctype = spec["filename"], spec["data"], spec.get("content_type")
            else:
                filename, data, *rest = spec
                ctype = rest[0] if rest else None
            ctype = ctype or mimetypes.guess_type(filename)[0] or "application/octet-stream"
            aid = w.new_id()
            w.attachments[aid] = (filename, ctype, bytes(data))
            url = f"{self.base_url}/attachments/0/{aid}/{quote(filename)}"
            resolved.setdefault("attachments", {})[str(aid)] = {
                "id": str(aid), "filename": filename, "size": len(data), "url": url, "proxy_url": url,
                "content_type": ctype, "ephemeral": True}
            value = str(aid)
        choices = opt.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise ValueError(f"option {opt['name']}: {value!r} is not one of its choices "
                             f"{[c['value'] for c in choices]}")
        return value

    def _build_options(self, defs: list[dict[str, Any]], values: dict[str, Any], path: list[str],
                       resolved: dict[str, Any], guild_id: int, attachments: dict[str, Any],
                       focused: str | None = None, where: str = "") -> list[dict[str, Any]]:
        subs = [d for d in defs if d["type"] in (OPTION_SUBCOMMAND, OPTION_GROUP)]
        if path:
            head = next((d for d in subs if d["name"] == path[0]), None)
            if head is None:
                raise ValueError(f"{where} has no sub-command {path[0]!r} (has {[d['name'] for d in subs]})")
            inner = self._build_options(head.get("options") or [], values, path[1:], resolved, guild_id,
                                        attachments, focused, f"{where} {path[0]}")
            return [{"name": head["name"], "type": head["type"], "options": inner}]
        if subs:
            raise ValueError(f"{where} needs a sub-command: one of {[d['name'] for d in subs]}")
        by_name = {d["name"]: d for d in defs}
        given = {**values, **{k: v for k, v in attachments.items()}}
        for name in given:
            if name not in by_name:
                raise ValueError(f"{where} has no option {name!r} (has {list(by_name)})")
        out = []
        for d in defs:
            if d["name"] not in given:
                if d.get("required") and focused is None:
                    raise ValueError(f"{where}: required option {d['name']!r} missing")
                continue
            if d["name"] == focused:
                out.append({"name": d["name"], "type": d["type"], "value": str(given[d["name"]]), "focused": True})
                continue
            out.append({"name": d["name"], "type": d["type"],
                        "value": self._option_value(d, given[d["name"]], resolved, guild_id, attachments)})
        return out

    def _send_interaction(self, itype: int, guild_id: int, channel_id: int, user_id: int, data: dict[str, Any], *,
                          name: str | None = None, message: dict[str, Any] | None = None,
                          locale: str = "en-US") -> Interaction:
        w = self.world
        ch = w.channel(int(channel_id))
        if ch is None:
            raise KeyError(f"unknown channel {channel_id}")
        guild = w.guild(ch.guild_id if guild_id is None else guild_id)
        user = w.user(user_id)
        member = guild.members.get(user.id)
        if member is None:
            member, _ = w.add_member(guild.id, user.id, 0)
        iid = w.new_id()
        token = f"aW50ZXJhY3Rpb246{iid}:{secrets.token_urlsafe(64)}"
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(w.application_id),
            "type": itype,
            "data": data,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(ch.id),
            "channel": {**ch.to_dict(), "permissions": str(w.channel_permissions(ch, user.id))},
            "member": w.member_dict(member, permissions=w.channel_permissions(ch, user.id)),
            "token": token,
            "version": 1,
            "app_permissions": str(w.channel_permissions(ch, w.bot.id)),
            "locale": locale,
            "guild_locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        ix = Interaction(self, id=iid, token=token, type=itype, payload=payload, name=name,
                         message_id=int(message["id"]) if message else None)
        self._interactions.append(ix)
        self._interactions_by_token[token] = ix
        self._gateway.dispatch("INTERACTION_CREATE", payload, guild_id=guild.id)
        return ix

    def invoke(self, guild_id: int, channel_id: int, user_id: int, name: str, options: dict[str, Any] | None = None,
               subcommand: str | None = None, attachments: dict[str, Any] | None = None, *,
               enforce_permissions: bool = True, locale: str = "en-US") -> Interaction:
        """Runs ``/name`` as ``user_id`` in ``channel_id`` (INTERACTION_CREATE type 2).

        ``subcommand``: ``"add"`` for ``/source add``, or ``"group sub"``. ``options``: name -> value
        (users/channels/roles by id). ``attachments``: option name -> ``(filename, bytes[, type])``.
        Raises LookupError if the command isn't registered, ValueError for options Discord's client
        would refuse, PermissionError if the user lacks the command's default_member_permissions.
        """
        with self._cond:
            cmd = self._find_command(guild_id, name)
            w = self.world
            guild = w.guild(guild_id)
            perms = cmd.get("default_member_permissions")
            if enforce_permissions and perms not in (None, "0") and user_id != guild.owner_id:
                ch = w.channel(int(channel_id))
                have = w.channel_permissions(ch, int(user_id)) if ch else w.base_permissions(guild, int(user_id))
                if have & int(perms) != int(perms):
                    raise PermissionError(f"user {user_id} lacks default_member_permissions={perms} of /{name}: "
                                          "Discord would not offer them the command")
            resolved: dict[str, Any] = {}
            opts = self._build_options(cmd.get("options") or [], dict(options or {}),
                                       subcommand.split() if subcommand else [], resolved, int(guild_id),
                                       dict(attachments or {}), where=f"/{name}")
            data: dict[str, Any] = {"id": cmd["id"], "name": name, "type": 1}
            if opts:
                data["options"] = opts
            if resolved:
                data["resolved"] = resolved
            if cmd.get("guild_id"):
                data["guild_id"] = cmd["guild_id"]
            full = f"{name} {subcommand}" if subcommand else name
            return self._send_interaction(2, int(guild_id), int(channel_id), int(user_id), data, name=full,
                                          locale=locale)

    def autocomplete(self, guild_id: int, channel_id: int, user_id: int, name: str, option: str, value: str, *,
                     options: dict[str, Any] | None = None, subcommand: str | None = None,
                     timeout: float = 10) -> list[dict[str, Any]]:
        """Types ``value`` into ``option`` of ``/name`` (INTERACTION_CREATE type 4); returns the choices."""
        with self._cond:
            cmd = self._find_command(guild_id, name)
            values = {**(options or {}), option: value}
            opts = self._build_options(cmd.get("options") or [], values, subcommand.split() if subcommand else [],
                                       {}, int(guild_id), {}, focused=option, where=f"/{name}")
            data: dict[str, Any] = {"id": cmd["id"], "name": name, "type": 1, "options": opts}
            if cmd.get("guild_id"):
                data["guild_id"] = cmd["guild_id"]
            ix = self._send_interaction(4, int(guild_id), int(channel_id), int(user_id), data, name=name)
        response = ix.wait_response(timeout)
        if response["type"] != 8:
            raise AssertionError(f"autocomplete answered with callback type {response['type']}, not 8")
        return list((response.get("data") or {}).get("choices") or [])

    def click(self, message: dict[str, Any] | int, custom_id: str, user_id: int, guild_id: int | None = None, *,
              values: list[str] | None = None) -> Interaction:
        """Clicks a button (or picks ``values`` in a select) on a message the bot posted (type 3)."""
        with self._cond:
            mid = int(message["id"]) if isinstance(message, dict) else int(message)
            current = self.world.find_message(mid)
            if current is None:
                raise LookupError(f"message {mid} does not exist (deleted?)")
            found = _find_component(current.get("components") or [], custom_id)
            if found is None:
                ids = _custom_ids(current.get("components") or [])
                raise LookupError(f"no component {custom_id!r} on message {mid} (has {ids})")
            if found.get("disabled"):
                raise LookupError(f"component {custom_id!r} on message {mid} is disabled")
            data: dict[str, Any] = {"custom_id": custom_id, "component_type": found["type"]}
            if found["type"] in (3, 5, 6, 7, 8):
                data["values"] = list(values or [])
            ch_id = int(current["channel_id"])
            return self._send_interaction(3, guild_id, ch_id, int(user_id), data, message=current)

    def submit_modal(self, ix: Interaction, values: dict[str, str], user_id: int | None = None) -> Interaction:
        """Fills in and submits the modal the bot answered ``ix`` with (callback type 9): text inputs by
        ``custom_id``; returns the MODAL_SUBMIT interaction (type 5)."""
        with self._cond:
            if ix.response is None or ix.response["type"] != 9:
                raise LookupError(f"interaction {ix.describe()} was not answered with a modal")
            modal = ix.response.get("data") or {}

            def fill(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
                out = []
                for c in components:
                    if c.get("type") == 1:
                        out.append({"type": 1, "components": fill(c.get("components") or [])})
                    elif c.get("type") == 18 and isinstance(c.get("component"), dict):
                        out.append({"type": 18, "component": fill([c["component"]])[0]})
                    elif c.get("type") == 4:
                        out.append({"type": 4, "custom_id": c["custom_id"], "value": str(values.get(c["custom_id"], ""))})
                return out

            known = set(_custom_ids(modal.get("components") or []))
            unknown_ids = set(values) - known
            if unknown_ids:
                raise ValueError(f"the modal has no inputs {sorted(unknown_ids)} (has {sorted(known)})")
            data = {"custom_id": modal.get("custom_id"), "components": fill(modal.get("components") or [])}
            user = int(user_id) if user_id is not None else int(ix.payload["member"]["user"]["id"])
            message = self.world.find_message(ix.component_message_id) if ix.component_message_id else None
            submitted = self._send_interaction(5, int(ix.payload["guild_id"]), ix.channel_id, user, data,
                                               name=modal.get("custom_id"), message=message)
            submitted.triggered_by = ix
            return submitted

    def post_user_message(self, channel_id: int, user_id: int, content: str, mention_bot: bool = False) -> dict[str, Any]:
        """A user's message in a channel or thread (MESSAGE_CREATE with ``channel_id`` = that channel or
        thread, ``guild_id``, ``member``). ``mention_bot``: content becomes ``<@BOTID> content`` and
        ``mentions`` holds the bot user. The bot sees the content only with the MESSAGE_CONTENT intent
        or when mentioned (otherwise content, embeds, attachments and components are empty)."""
        with self._cond:
            w = self.world
            ch = w.channel(int(channel_id))
            if ch is None:
                raise KeyError(f"unknown channel {channel_id}")
            user = w.user(user_id)
            guild = w.guild(ch.guild_id)
            if user.id not in guild.members:
                w.add_member(guild.id, user.id, 0)
            if mention_bot and f"<@{w.bot.id}>" not in content:
                content = f"<@{w.bot.id}> {content}"
            if ch.is_thread and ch.archived and not ch.locked:  # a reply unarchives the thread
                ch.archived = False
                self._gateway.dispatch("THREAD_UPDATE", ch.to_dict(), guild_id=ch.guild_id)
            msg = w.new_message(ch, author=user, content=content)
            self._gateway.dispatch("MESSAGE_CREATE", w.event_message(msg), guild_id=ch.guild_id)
            return copy.deepcopy(msg)

    # ------------------------------------------------------------------------------------------
    # faults
    # ------------------------------------------------------------------------------------------
    def inject(self, route: str = "POST /channels/{channel_id}/messages", status: int = 429,
               retry_after: float = 0.5, count: int = 1, global_: bool = False, *,
               after_effect: bool = False) -> Fault:
        """The next ``count`` requests matching ``route`` (a template like the default, or a concrete
        ``"POST /channels/123/messages"``) get ``status``: 429 with Discord's body and headers
        (``global_=True``: ``"global": true`` and ``X-RateLimit-Global: true``), a 500/502/503/504, or
        0: the connection is closed without a response (the client sees a disconnection).

        ``after_effect=False`` (default): the request is refused; nothing happens.
        ``after_effect=True``: a *lost response*. The request is carried out first (the message is
        created, stored and dispatched; the thread started; the edit applied) and only then does the
        client get ``status``. This is how a crash between "Discord created it" and "the bot recorded
        it" is reproduced: with 500, discord.py retries by itself (sending the same nonce, so with
        ``enforce_nonce`` the retry gets the same message back and ``nonce_hits`` counts it); with 0,
        discord.py raises ``aiohttp.ServerDisconnectedError`` to the caller, as a bot killed before
        reading the response would never see it. What the stand-in really answered is on the record
        (``effect_status``, ``effect_response``)."""
        fault = Fault(route, status, retry_after, count, global_, after_effect)
        with self._cond:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> int:
        """Forgets the injected faults not yet used up; returns how many there were."""
        with self._cond:
            n, self._faults = len(self._faults), []
            return n

    def drop_gateway(self, code: int | None = None) -> int:
        """Closes the gateway connection(s): abruptly (TCP reset) when ``code`` is None, else with that
        close code. Sessions stay resumable. Returns how many connections were dropped."""
        with self._cond:
            return self._gateway.drop(code)

    def invalidate_session(self, resumable: bool = False) -> None:
        """Sends INVALID_SESSION; with ``resumable=False`` the sessions are forgotten too."""
        with self._cond:
            self._gateway.invalidate(resumable)

    def request_reconnect(self) -> None:
        """Sends op 7 RECONNECT (the client should reconnect and RESUME)."""
        with self._cond:
            self._gateway.reconnect()

    # ------------------------------------------------------------------------------------------
    # discord.py in this process
    # ------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def patch_discord_py(self) -> Iterator[None]:
        """Points discord.py in *this* process at the stand-in: ``discord.http.Route.BASE`` (also used
        by the webhook/interaction adapter) and ``DiscordWebSocket.DEFAULT_GATEWAY`` (a plain
        ``Client`` connects there without asking ``GET /gateway/bot``). Restores both on exit."""
        import discord.gateway
        import discord.http
        import yarl

        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for c in components:
        if not isinstance(c, dict):
            continue
        if c.get("custom_id") == custom_id:
            return c
        for key in ("components",):
            found = _find_component(c.get(key) or [], custom_id)
            if found is not None:
                return found
        if isinstance(c.get("accessory"), dict):
            found = _find_component([c["accessory"]], custom_id)
            if found is not None:
                return found
    return None


def _custom_ids(components: list[dict[str, Any]]) -> list[str]:
    out = []
    for c in components:
        if isinstance(c, dict):
            if c.get("custom_id"):
                out.append(c["custom_id"])
            out += _custom_ids(c.get("components") or [])
            if isinstance(c.get("accessory"), dict):
                out += _custom_ids([c["accessory"]])
    return out
