"""The fake gateway: a websocket at ``/gateway`` speaking Discord's v10 JSON protocol.

HELLO -> IDENTIFY -> READY + one GUILD_CREATE per guild; HEARTBEAT -> HEARTBEAT_ACK; sessions with
sequence numbers and a replay buffer so a RESUME after a dropped connection gets the events it
missed, then RESUMED; an unknown session gets INVALID_SESSION (false). ``compress=zlib-stream``
(what discord.py asks for when it has no zstd) is honoured with one shared zlib context per
connection and a Z_SYNC_FLUSH per message; otherwise frames are plain text.

Every method here except the websocket coroutines runs under the stand-in's lock.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
import uuid
import zlib
from collections import deque
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import DiscordStandIn

# Intents (https://discord.com/developers/docs/events/gateway#gateway-intents)
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
GUILD_MESSAGE_TYPING = 1 << 11
MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

EVENT_INTENTS = {
    "GUILD_CREATE": GUILDS, "GUILD_UPDATE": GUILDS, "GUILD_DELETE": GUILDS,
    "GUILD_ROLE_CREATE": GUILDS, "GUILD_ROLE_UPDATE": GUILDS, "GUILD_ROLE_DELETE": GUILDS,
    "CHANNEL_CREATE": GUILDS, "CHANNEL_UPDATE": GUILDS, "CHANNEL_DELETE": GUILDS,
    "THREAD_CREATE": GUILDS, "THREAD_UPDATE": GUILDS, "THREAD_DELETE": GUILDS, "THREAD_LIST_SYNC": GUILDS,
    "GUILD_MEMBER_ADD": GUILD_MEMBERS, "GUILD_MEMBER_UPDATE": GUILD_MEMBERS, "GUILD_MEMBER_REMOVE": GUILD_MEMBERS,
    "MESSAGE_CREATE": GUILD_MESSAGES, "MESSAGE_UPDATE": GUILD_MESSAGES, "MESSAGE_DELETE": GUILD_MESSAGES,
    "MESSAGE_REACTION_ADD": GUILD_MESSAGE_REACTIONS, "MESSAGE_REACTION_REMOVE": GUILD_MESSAGE_REACTIONS,
    "TYPING_START": GUILD_MESSAGE_TYPING,
}
BUFFER_MAX = 10_000

_CLOSE = "close"
_ABORT = "abort"


class Connection:
    def __init__(self, owner: DiscordStandIn, ws: web.WebSocketResponse, request: web.Request):
        self.owner = owner
        self.ws = ws
        self.transport = request.transport
        self.query = dict(request.query)
        self.compress = self.query.get("compress") == "zlib-stream"
        self._zlib = zlib.compressobj() if self.compress else None
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.session: Session | None = None
        self.closed = False
        self.close_code: int | None = None

    def enqueue(self, item: Any) -> None:
        """Thread-safe: frames reach the socket in the order they were enqueued."""
        if self.closed:
            return
        try:
            self.owner._loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the stand-in's loop has stopped: nobody will read this connection
            self.closed = True

    def close(self, code: int, reason: str = "") -> None:
        self.enqueue((_CLOSE, code, reason))

    def abort(self) -> None:
        self.enqueue((_ABORT,))

    def encode(self, frame: dict[str, Any]) -> str | bytes:
        text = json.dumps(frame, separators=(",", ":"), ensure_ascii=False)
        if self._zlib is None:
            return text
        return self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)


class Session:
    def __init__(self, sid: str, intents: int, shard: tuple[int, int], identify: dict[str, Any]):
        self.id = sid
        self.intents = intents
        self.shard = shard
        self.identify = identify
        self.seq = 0
        self.buffer: deque[tuple[int, dict[str, Any]]] = deque(maxlen=BUFFER_MAX)
        self.conn: Connection | None = None
        self.invalidated = False
        self.ready = False
        self.presence: dict[str, Any] | None = None

    def has_guild(self, guild_id: int | None) -> bool:
        if guild_id is None:
            return True
        shard_id, count = self.shard
        return count <= 1 or (int(guild_id) >> 22) % count == shard_id

    def send(self, event: str, data: Any) -> int:
        self.seq += 1
        frame = {"op": 0, "t": event, "s": self.seq, "d": data}
        self.buffer.append((self.seq, frame))
        if self.conn is not None:
            self.conn.enqueue(frame)
        return self.seq


class Gateway:
    def __init__(self, owner: DiscordStandIn):
        self.owner = owner
        self.connections: list[Connection] = []
        self.sessions: list[Session] = []

    # ---- dispatch (under the lock) -------------------------------------------------------------
    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions if not s.invalidated]

    def dispatch(self, event: str, data: dict[str, Any], *, guild_id: int | None = None) -> None:
        """Sends ``event`` to every (resumable) session whose intents ask for it."""
        owner = self.owner
        intent = EVENT_INTENTS.get(event)
        owner._events.append((event, copy.deepcopy(data), time.monotonic()))
        for s in self.live_sessions():
            if not s.ready or not s.has_guild(guild_id):
                continue
            if intent is not None and not s.intents & intent:
                continue
            payload = copy.deepcopy(data)
            if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
                payload = self._content_for(s, payload)
            s.send(event, payload)
        owner._changed()

    def _content_for(self, s: Session, msg: dict[str, Any]) -> dict[str, Any]:
        """Without MESSAGE_CONTENT a bot sees content only of its own messages and ones that mention it."""
        if s.intents & MESSAGE_CONTENT:
            return msg
        bot_id = str(self.owner.world.bot.id)
        if msg.get("author", {}).get("id") == bot_id or any(m.get("id") == bot_id for m in msg.get("mentions", [])):
            return msg
        for key in ("content",):
            if key in msg:
                msg[key] = ""
        for key in ("embeds", "attachments", "components"):
            if key in msg:
                msg[key] = []
        msg.pop("poll", None)
        return msg

    # ---- websocket ---------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        owner = self.owner
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = Connection(owner, ws, request)
        with owner._cond:
            self.connections.append(conn)
            owner._gateway_connections.append({"query": dict(conn.query), "time": time.monotonic()})
            owner._changed()
        writer = asyncio.create_task(self._writer(conn))
        conn.enqueue({"op": 10, "d": {"heartbeat_interval": owner.heartbeat_interval_ms}, "s": None, "t": None})
        if conn.query.get("v", "10") != "10":
            conn.close(4012, "Invalid API version")
        elif conn.query.get("encoding", "json") != "json":
            conn.close(4002, "Only encoding=json is supported by the stand-in")
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(conn, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    with owner._cond:
                        owner._violation("gateway: the client sent a binary frame (only JSON text is expected)")
                    conn.close(4002, "Decode error")
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            with owner._cond:
                conn.closed = True
                conn.close_code = ws.close_code
                if conn.session is not None and conn.session.conn is conn:
                    conn.session.conn = None
                conn.session = None
                owner._changed()
            conn.queue.put_nowait((_CLOSE, 1000, ""))  # let the writer finish (direct: we are on the loop)
            try:
                await asyncio.wait_for(writer, 2)
            except (TimeoutError, asyncio.CancelledError):
                writer.cancel()
        return ws

    async def _writer(self, conn: Connection) -> None:
        ws = conn.ws
        while True:
            item = await conn.queue.get()
            if isinstance(item, tuple):
                if ws.closed:
                    return
                if item[0] == _ABORT:
                    if conn.transport is not None:
                        conn.transport.abort()
                    return
                await ws.close(code=item[1], message=item[2].encode())
                return
            if ws.closed:
                continue  # drain: frames stay in the session buffer for a RESUME
            data = conn.encode(item)
            try:
                if isinstance(data, bytes):
                    await ws.send_bytes(data)
                else:
                    await ws.send_str(data)
            except (ConnectionError, RuntimeError):
                return

    # ---- client frames ---------------------------------------------------------------------------
    def _on_text(self, conn: Connection, text: str) -> None:
        owner = self.owner
        try:
            frame = json.loads(text)
            op = frame["op"]
            d = frame.get("d")
        except (ValueError, KeyError, TypeError):
            with owner._cond:
                owner._violation(f"gateway: undecodable frame {text[:200]!r}")
            conn.close(4002, "Decode error")
            return
        with owner._cond:
            owner._gateway_log.append(("recv", op, time.monotonic()))
            if op == 1:
                owner._heartbeats += 1
                conn.enqueue({"op": 11, "d": None, "s": None, "t": None})
            elif op == 2:
                self._identify(conn, d or {})
            elif op == 6:
                self._resume(conn, d or {})
            elif conn.session is None:
                owner._violation(f"gateway: op {op} before IDENTIFY/RESUME")
                conn.close(4003, "Not authenticated")
            elif op == 8:
                self._request_members(conn.session, d or {})
            elif op == 3:
                conn.session.presence = d
            elif op == 4:
                pass  # voice state: nothing to do
            else:
                owner._violation(f"gateway: unknown opcode {op}")
                conn.close(4001, "Unknown opcode")
            owner._changed()

    def _identify(self, conn: Connection, d: dict[str, Any]) -> None:
        owner = self.owner
        if conn.session is not None:
            owner._violation("gateway: IDENTIFY twice on one connection")
            conn.close(4005, "Already authenticated")
            return
        if d.get("token") != owner.token:
            conn.close(4004, "Authentication failed")
            return
        intents = d.get("intents")
        if not isinstance(intents, int):
            owner._violation("gateway: IDENTIFY without intents (required in v10)")
            conn.close(4013, "Invalid intent(s)")
            return
        allowed = owner.allowed_privileged_intents
        if allowed is not None and intents & PRIVILEGED_INTENTS & ~allowed:
            conn.close(4014, "Disallowed intent(s)")
            return
        shard = tuple(d.get("shard") or (0, 1))
        session = Session(uuid.uuid4().hex, intents, (int(shard[0]), int(shard[1])), copy.deepcopy(d))
        self.sessions.append(session)
        conn.session = session
        session.conn = conn
        owner._identifies += 1
        world = owner.world
        guilds = [g for g in world.guilds.values() if session.has_guild(g.id)]
        ready = {
            "v": 10,
            "user": {**world.bot.to_dict(), "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": owner.gateway_url,
            "shard": list(session.shard),
            "application": {"id": str(world.application_id), "flags": owner.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["local"],
            "user_settings": {},
            "auth": {},
            "_trace": ["[\"discord-standin\"]"],
        }
        session.send("READY", ready)
        for g in guilds:
            session.send("GUILD_CREATE", world.guild_create_dict(g))
        session.ready = True

    def _resume(self, conn: Connection, d: dict[str, Any]) -> None:
        owner = self.owner
        if d.get("token") != owner.token:
            conn.close(4004, "Authentication failed")
            return
        session = next((s for s in self.live_sessions() if s.id == d.get("session_id")), None)
        seq = d.get("seq")
        oldest = session.buffer[0][0] if session is not None and session.buffer else 1
        if session is None or not isinstance(seq, int) or seq < oldest - 1 or seq > session.seq:
            owner._invalid_resumes += 1
            conn.enqueue({"op": 9, "d": False, "s": None, "t": None})
            return
        if session.conn is not None and session.conn is not conn:
            old = session.conn
            old.session = None
            old.abort()
        session.conn = conn
        conn.session = session
        for s, frame in session.buffer:
            if s > seq:
                conn.enqueue(frame)
        session.send("RESUMED", {"_trace": ["[\"discord-standin\"]"]})
        owner._resumes += 1

    def _request_members(self, session: Session, d: dict[str, Any]) -> None:
        world = self.owner.world
        gids = d.get("guild_id")
        for gid in gids if isinstance(gids, list) else [gids]:
            guild = world.guilds.get(int(gid)) if gid is not None else None
            if guild is None:
                continue
            query = (d.get("query") or "").lower()
            user_ids = {int(u) for u in (d.get("user_ids") or [])} if d.get("user_ids") else None
            members = [
                m for m in guild.members.values()
                if (user_ids is not None and m.user_id in user_ids)
                or (user_ids is None and world.users[m.user_id].name.lower().startswith(query))
            ]
            limit = d.get("limit") or 0
            if limit:
                members = members[:limit]
            chunk: dict[str, Any] = {
                "guild_id": str(guild.id),
                "members": [world.member_dict(m) for m in members],
                "chunk_index": 0,
                "chunk_count": 1,
            }
            if user_ids is not None:
                chunk["not_found"] = [str(u) for u in user_ids if u not in guild.members]
            if d.get("presences"):
                chunk["presences"] = []
            if d.get("nonce") is not None:
                chunk["nonce"] = d["nonce"]
            session.send("GUILD_MEMBERS_CHUNK", chunk)

    # ---- faults ----------------------------------------------------------------------------------
    def drop(self, code: int | None) -> int:
        """Closes every live connection (abruptly when ``code`` is None); sessions stay resumable."""
        n = 0
        for conn in self.connections:
            if conn.closed:
                continue
            if conn.session is not None:
                conn.session.conn = None
                conn.session = None
            if code is None:
                conn.abort()
            else:
                conn.close(code, "dropped by the test")
            n += 1
        return n

    def invalidate(self, resumable: bool) -> None:
        for s in self.live_sessions():
            if s.conn is not None:
                s.conn.enqueue({"op": 9, "d": resumable, "s": None, "t": None})
            if not resumable:
                s.invalidated = True

    def reconnect(self) -> None:
        for s in self.live_sessions():
            if s.conn is not None:
                s.conn.enqueue({"op": 7, "d": None, "s": None, "t": None})

    def shutdown(self) -> None:
        for conn in self.connections:
            if not conn.closed:
                conn.close(1001, "stand-in stopping")
