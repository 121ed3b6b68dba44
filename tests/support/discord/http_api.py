"""The fake REST API under ``/api/v10``: the routes discord.py 2.7 uses for a bot like ours.

Every request is recorded; bodies are checked (OpenAPI spec + documented limits) before the
handler runs; injected faults answer before the handler too. Handlers are plain functions that
run under the stand-in's lock and raise :class:`ApiError` for Discord's error responses.
"""

from __future__ import annotations

import copy
import hashlib
import json
import mimetypes
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from aiohttp import web

from . import validate as v
from .records import Fault, Interaction, RecordedRequest, UploadedFile
from .state import (
    CHANNEL_FLAG_REQUIRE_TAG,
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    FLAG_EPHEMERAL,
    FLAG_HAS_THREAD,
    FLAG_LOADING,
    MANAGE_CHANNELS,
    MANAGE_MESSAGES,
    MANAGE_THREADS,
    MAX_APPLIED_TAGS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    SETTABLE_MESSAGE_FLAGS,
    TEXT_LIKE_CHANNEL_TYPES,
    VIEW_CHANNEL,
    Channel,
    iso,
    normalise_embed,
    number_components,
)

if TYPE_CHECKING:
    from .server import DiscordStandIn

API_PREFIX = "/api/v10"


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, *, errors: dict[str, Any] | None = None,
                 violation: str | None = None):
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "code": code}
        if errors:
            self.body["errors"] = errors
        self.violation = violation


def unknown(kind: str, code: int) -> ApiError:
    return ApiError(404, code, f"Unknown {kind}")


MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")


@dataclass
class RouteDef:
    method: str
    template: str
    handler: Callable[[RecordedRequest], tuple[int, Any]]
    auth: str = "bot"  # "bot" (Authorization: Bot <token>), "webhook" (token in the path), "none"
    needs_body: bool = False

    def __post_init__(self) -> None:
        self.segs = self.template.strip("/").split("/")
        self.literal = sum(1 for s in self.segs if not s.startswith("{"))

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"

    def match(self, segs: list[str]) -> dict[str, str] | None:
        if len(segs) != len(self.segs):
            return None
        params = {}
        for t, s in zip(self.segs, segs, strict=True):
            if t.startswith("{"):
                if not s:
                    return None
                params[t[1:-1]] = s
            elif t != s:
                return None
        return params


def _snowflake(value: str, kind: str, code: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(404, code, f"Unknown {kind}") from None


def _truthy(value: str | None) -> bool:
    return str(value).lower() in ("1", "true", "yes")


class HttpApi:
    def __init__(self, owner: DiscordStandIn):
        self.owner = owner
        self.world = owner.world
        r = RouteDef
        routes = [
            r("GET", "/users/@me", self.get_me),
            r("GET", "/users/{user_id}", self.get_user),
            r("GET", "/gateway", self.get_gateway, auth="none"),
            r("GET", "/gateway/bot", self.get_gateway_bot),
            r("GET", "/oauth2/applications/@me", self.get_application),
            r("GET", "/applications/@me", self.get_application),
            # application commands, global and guild
            r("GET", "/applications/{application_id}/commands", self.list_commands),
            r("PUT", "/applications/{application_id}/commands", self.put_commands, needs_body=True),
            r("POST", "/applications/{application_id}/commands", self.post_command, needs_body=True),
            r("GET", "/applications/{application_id}/commands/{command_id}", self.get_command),
            r("PATCH", "/applications/{application_id}/commands/{command_id}", self.patch_command, needs_body=True),
            r("DELETE", "/applications/{application_id}/commands/{command_id}", self.delete_command),
            r("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self.list_commands),
            r("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self.put_commands, needs_body=True),
            r("POST", "/applications/{application_id}/guilds/{guild_id}/commands", self.post_command, needs_body=True),
            r("GET", "/applications/{application_id}/guilds/{guild_id}/commands/permissions", self.command_permissions),
            r("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", self.get_command),
            r("PATCH", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", self.patch_command,
              needs_body=True),
            r("DELETE", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", self.delete_command),
            # interactions and their webhooks
            r("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self.callback, auth="webhook",
              needs_body=True),
            r("POST", "/webhooks/{webhook_id}/{webhook_token}", self.post_followup, auth="webhook", needs_body=True),
            r("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self.get_webhook_message,
              auth="webhook"),
            r("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self.patch_webhook_message,
              auth="webhook", needs_body=True),
            r("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self.delete_webhook_message,
              auth="webhook"),
            r("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self.get_webhook_message,
              auth="webhook"),
            r("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self.patch_webhook_message,
              auth="webhook", needs_body=True),
            r("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self.delete_webhook_message,
              auth="webhook"),
            # channels, messages, threads
            r("GET", "/channels/{channel_id}", self.get_channel),
            r("PATCH", "/channels/{channel_id}", self.patch_channel, needs_body=True),
            r("DELETE", "/channels/{channel_id}", self.delete_channel),
            r("GET", "/channels/{channel_id}/messages", self.list_messages),
            r("POST", "/channels/{channel_id}/messages", self.post_message, needs_body=True),
            r("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message),
            r("PATCH", "/channels/{channel_id}/messages/{message_id}", self.patch_message, needs_body=True),
            r("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message),
            r("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.thread_from_message,
              needs_body=True),
            r("POST", "/channels/{channel_id}/threads", self.thread_without_message, needs_body=True),
            r("PUT", "/channels/{channel_id}/thread-members/@me", self.no_content_in_channel),
            r("DELETE", "/channels/{channel_id}/thread-members/@me", self.no_content_in_channel),
            r("POST", "/channels/{channel_id}/typing", self.typing),
            r("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self.add_reaction),
            r("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self.remove_reaction),
            # guilds
            r("GET", "/guilds/{guild_id}", self.get_guild),
            r("GET", "/guilds/{guild_id}/channels", self.guild_channels),
            r("GET", "/guilds/{guild_id}/roles", self.guild_roles),
            r("GET", "/guilds/{guild_id}/members/{user_id}", self.guild_member),
            r("GET", "/guilds/{guild_id}/threads/active", self.active_threads),
        ]
        # literal segments win over parameters (/users/@me before /users/{user_id})
        self.routes = sorted(routes, key=lambda rd: -rd.literal)

    # ------------------------------------------------------------------------------------------
    # plumbing
    # ------------------------------------------------------------------------------------------
    def match(self, method: str, segs: list[str]) -> tuple[RouteDef | None, dict[str, str]]:
        for rd in self.routes:
            if rd.method != method:
                continue
            params = rd.match(segs)
            if params is not None:
                return rd, params
        return None, {}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        owner = self.owner
        arrived = time.monotonic()
        raw = request.raw_path.split("?", 1)[0]
        rel_raw = raw[len(API_PREFIX):] if raw.startswith(API_PREFIX + "/") else None
        segs = [unquote(s) for s in (rel_raw or raw).strip("/").split("/")]
        rel = "/" + "/".join(segs)
        rd, params = self.match(request.method, segs) if rel_raw is not None else (None, {})
        body, files, parse_error = await self._read_body(request)
        rec = RecordedRequest(
            method=request.method, path=rel, route=rd.key if rd else None, params=params,
            query=dict(request.query), json=body, files=files, headers=dict(request.headers), time=arrived,
        )
        headers: dict[str, str] = {}
        with owner._cond:
            if rel_raw is None:
                status, payload = 404, {"message": "404: Not Found", "code": 0}
                self._problem(rec, f"request outside {API_PREFIX}: {request.method} {raw}")
            else:
                status, payload, headers = self._process(rd, rec, parse_error)
            rec.status, rec.response = status, (None if status == 0 else payload)
            owner._requests.append(rec)
            if owner.check_responses and rd is not None and 200 <= status < 300 and payload is not None:
                for p in owner.spec.validate_response(rec.method, rec.path, status, payload):
                    owner._self_violations.append(f"{rd.key} -> {status}: {p.describe()}")
            owner._changed()
        if status == 0:
            # a lost response: close the connection without answering. The client (aiohttp) sees
            # ServerDisconnectedError; discord.py does not retry that (it only retries OSErrors with
            # errno 54/10054) and the caller's send()/edit() raises it.
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)  # never written: the transport is closing
        return self._respond(status, payload, headers, rd)

    async def _read_body(self, request: web.Request) -> tuple[Any, list[UploadedFile], str | None]:
        ctype = request.headers.get("Content-Type", "")
        files: list[UploadedFile] = []
        if ctype.startswith("multipart/"):
            body: Any = None
            reader = await request.multipart()
            async for part in reader:
                if part is None:
                    break
                data = await part.read(decode=False)
                if part.name == "payload_json":
                    try:
                        body = json.loads(data.decode())
                    except ValueError:
                        return None, files, "payload_json is not valid JSON"
                elif part.filename is not None:
                    files.append(UploadedFile(part.name or "", part.filename,
                                              part.headers.get("Content-Type", "application/octet-stream"), bytes(data)))
            return body, files, None
        raw = await request.read()
        if not raw:
            return None, files, None
        try:
            return json.loads(raw), files, None
        except ValueError:
            return None, files, "the body is not valid JSON"

    def _problem(self, rec: RecordedRequest, text: str) -> None:
        rec.problems.append(text)
        self.owner._violation(f"{rec.method} {rec.path}: {text}")

    def _process(self, rd: RouteDef | None, rec: RecordedRequest, parse_error: str | None) -> tuple[int, Any, dict[str, str]]:
        owner = self.owner
        if rd is None:
            self._problem(rec, f"unimplemented route: {rec.method} {rec.path}")
            return 404, {"message": "404: Not Found", "code": 0}, {}
        if rd.auth == "bot" and rec.headers.get("Authorization") != f"Bot {owner.token}":
            return 401, {"message": "401: Unauthorized", "code": 0}, {}
        fault = owner._take_fault(rec.method, rd.key, rec.path)
        if fault is not None:
            rec.fault = str(fault.status)
            if not fault.after_effect:
                return self._fault_response(fault)
            # carried out, then the response is lost: what Discord did is kept on the record
            status, payload, _ = self._carry_out(rd, rec, parse_error)
            rec.effect_status, rec.effect_response = status, copy.deepcopy(payload)
            return self._fault_response(fault)
        return self._carry_out(rd, rec, parse_error)

    def _carry_out(self, rd: RouteDef, rec: RecordedRequest,
                   parse_error: str | None) -> tuple[int, Any, dict[str, str]]:
        if parse_error:
            self._problem(rec, parse_error)
            return 400, {"message": "The request body contains invalid JSON.", "code": 50109}, {}
        if rd.needs_body and rec.json is None and not rec.files:
            self._problem(rec, "a JSON body is required")
            return 400, {"message": "The request body contains invalid JSON.", "code": 50109}, {}
        problems = self._check(rd, rec)
        if problems:
            for p in problems:
                self._problem(rec, f"[{rd.key}] {p.describe()}")
            return 400, v.error_body(problems), {}
        try:
            status, payload = rd.handler(rec)
        except ApiError as e:
            if e.violation:
                self._problem(rec, f"[{rd.key}] {e.violation}")
            return e.status, e.body, {}
        return status, payload, {}

    def _fault_response(self, fault: Fault) -> tuple[int, Any, dict[str, str]]:
        if fault.status == 0:
            return 0, None, {}
        if fault.status == 429:
            now = time.time()
            headers = {
                "Retry-After": f"{fault.retry_after:.3f}",
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{now + fault.retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
                "X-RateLimit-Scope": "global" if fault.global_ else "user",
            }
            if fault.global_:
                headers["X-RateLimit-Global"] = "true"
            body = {"message": "You are being rate limited.", "retry_after": fault.retry_after,
                    "global": fault.global_, "code": 0}
            return 429, body, headers
        if fault.status in (502, 503, 504):
            text = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}[fault.status]
            return fault.status, f"<html><body><h1>{fault.status} {text}</h1></body></html>", {}
        return fault.status, {"message": f"{fault.status}: Internal Server Error", "code": 0}, {}

    def _respond(self, status: int, payload: Any, headers: dict[str, str], rd: RouteDef | None) -> web.Response:
        now = time.time()
        bucket = hashlib.md5((rd.key if rd else "unknown").encode()).hexdigest()
        base = {
            "Via": "1.1 google",  # discord.py treats a 429 without Via as a Cloudflare ban
            "X-RateLimit-Bucket": bucket,
            "X-RateLimit-Limit": "50",
            "X-RateLimit-Remaining": "49",
            "X-RateLimit-Reset": f"{now + 1:.3f}",
            "X-RateLimit-Reset-After": "1.000",
        }
        base.update(headers)
        if status == 204 or payload is None:
            return web.Response(status=204 if status < 300 else status, headers=base)
        if isinstance(payload, str):
            return web.Response(status=status, text=payload, content_type="text/html", headers=base)
        # exactly "application/json": discord.py's json_or_text compares the header verbatim, so
        # aiohttp's default "; charset=utf-8" would make it treat every body as text
        base["Content-Type"] = "application/json"
        return web.Response(status=status, body=json.dumps(payload).encode(), headers=base)

    # ------------------------------------------------------------------------------------------
    # checks
    # ------------------------------------------------------------------------------------------
    def _check(self, rd: RouteDef, rec: RecordedRequest) -> list[v.Problem]:
        body = rec.json
        problems: list[v.Problem] = []
        if body is not None:
            problems += self.owner.spec.validate_request(rec.method, rec.path, body)
        t = rd.template
        if body is not None:
            if (t.startswith("/channels/{channel_id}/messages") and "threads" not in t
                    and "reactions" not in t) or t.startswith("/webhooks/"):
                problems += v.check_message(body)
            elif t.endswith("/callback") and isinstance(body, dict):
                ctype = body.get("type")
                if ctype in (4, 7):
                    problems += v.check_message(body.get("data"), ("data",))
                elif ctype == 8:
                    problems += v.check_autocomplete(body.get("data"))
                elif ctype == 9:
                    title = (body.get("data") or {}).get("title")
                    problems += v._too_long(("data", "title"), title, 45)
            elif "threads" in t or t == "/channels/{channel_id}":
                if isinstance(body, dict):
                    problems += v.check_thread_name(body.get("name"))
                    if isinstance(body.get("message"), dict):
                        problems += v.check_message(body["message"], ("message",))
            elif t.endswith("/commands") and rd.method == "PUT":
                problems += v.check_command_set(body, "guild" if "{guild_id}" in t else "global")
            elif t.endswith("/commands") and rd.method == "POST":
                problems += v.check_command(body)
        # one problem per place: the spec and the limit checks often say the same thing
        seen: set[tuple[tuple[str | int, ...], str]] = set()
        unique = []
        for p in problems:
            if (p.path, p.message) not in seen:
                seen.add((p.path, p.message))
                unique.append(p)
        return unique

    # ------------------------------------------------------------------------------------------
    # helpers shared by handlers
    # ------------------------------------------------------------------------------------------
    def _channel(self, rec: RecordedRequest) -> Channel:
        cid = _snowflake(rec.params["channel_id"], "Channel", 10003)
        ch = self.world.channel(cid)
        if ch is None:
            raise unknown("Channel", 10003)
        return ch

    def _message_in(self, ch: Channel, message_id: str) -> dict[str, Any]:
        mid = _snowflake(message_id, "Message", 10008)
        msg = self.world.messages.get(ch.id, {}).get(mid)
        if msg is None:
            raise unknown("Message", 10008)
        return msg

    def _require(self, ch: Channel, perms: int) -> None:
        have = self.world.channel_permissions(ch, self.world.bot.id)
        if have & perms != perms:
            raise ApiError(*MISSING_PERMISSIONS)

    def _guess_type(self, f: UploadedFile, filename: str) -> str:
        if f.content_type and f.content_type != "application/octet-stream":
            return f.content_type.split(";")[0]
        return mimetypes.guess_type(filename)[0] or "application/octet-stream"

    def _attachments(self, rec: RecordedRequest, body: dict[str, Any], channel_id: int,
                     existing: list[dict[str, Any]] | None, ephemeral: bool) -> list[dict[str, Any]] | None:
        """The attachments a create/edit ends with; None = unchanged (edit without the key)."""
        uploads: dict[int, UploadedFile] = {}
        for f in rec.files:
            m = re.fullmatch(r"files\[(\d+)\]|file(\d*)", f.field)
            idx = int(m.group(1) or m.group(2) or 0) if m else len(uploads)
            uploads[idx] = f
        entries = body.get("attachments")
        if entries is None and not uploads:
            return None if existing is not None else []
        kept: list[dict[str, Any]] = []
        meta: dict[int, dict[str, Any]] = {}
        if entries is None:
            kept = list(existing or [])
        for i, e in enumerate(entries or []):
            eid = str(e.get("id")) if isinstance(e, dict) else None
            old = next((a for a in existing or [] if a["id"] == eid), None)
            if old is not None:
                kept.append(old)
            elif eid is not None and eid.isdigit() and int(eid) in uploads:
                meta[int(eid)] = e
            else:
                raise ApiError(400, 50035, "Invalid Form Body",
                               errors={"attachments": {str(i): {"_errors": [{"code": "ATTACHMENT_NOT_FOUND",
                                                                             "message": "Unknown attachment"}]}}},
                               violation=f"attachments.{i}: id {eid!r} is neither an upload nor an existing attachment")
        new = []
        for idx, f in sorted(uploads.items()):
            e = meta.get(idx, {})
            aid = self.world.new_id()
            filename = e.get("filename") or f.filename
            ctype = self._guess_type(f, filename)
            self.world.attachments[aid] = (filename, ctype, f.data)
            url = f"{self.owner.base_url}/attachments/{channel_id}/{aid}/{quote(filename)}"
            a: dict[str, Any] = {"id": str(aid), "filename": filename, "size": f.size, "url": url, "proxy_url": url,
                                 "content_type": ctype}
            if e.get("description"):
                a["description"] = e["description"]
            if ephemeral:
                a["ephemeral"] = True
            new.append(a)
        return kept + new

    def _has_visible_content(self, body: dict[str, Any], rec: RecordedRequest) -> bool:
        return bool(body.get("content") or body.get("embeds") or rec.files or body.get("sticker_ids")
                    or body.get("components") or body.get("poll") or body.get("attachments"))

    def create_message(self, rec: RecordedRequest, ch: Channel, body: dict[str, Any], *, type: int = 0,
                       webhook_id: int | None = None, interaction_metadata: dict[str, Any] | None = None,
                       extra_flags: int = 0, message_id: int | None = None) -> dict[str, Any]:
        if not self._has_visible_content(body, rec) and not extra_flags & FLAG_LOADING:
            raise ApiError(400, 50006, "Cannot send an empty message", violation="empty message (no content, "
                           "embeds, files, components, stickers or poll)")
        flags = (int(body.get("flags") or 0) & SETTABLE_MESSAGE_FLAGS) | extra_flags
        if webhook_id is None:
            flags &= ~FLAG_EPHEMERAL  # only interaction responses can be ephemeral
        ephemeral = bool(flags & FLAG_EPHEMERAL)
        attachments = self._attachments(rec, body, ch.id, None, ephemeral) or []
        ref = body.get("message_reference")
        if ref and ref.get("message_id") and self.world.find_message(int(ref["message_id"])) is None:
            if ref.get("fail_if_not_exists", True):
                raise ApiError(400, 50035, "Invalid Form Body", errors={"message_reference": {"_errors": [
                    {"code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "message": "Unknown message"}]}},
                    violation="message_reference points to an unknown message")
            ref = None
        msg = self.world.new_message(
            ch, author=self.world.bot, content=body.get("content") or "", embeds=body.get("embeds"),
            components=body.get("components"), attachments=attachments, flags=flags, tts=bool(body.get("tts")),
            type=19 if ref and type == 0 else type, nonce=body.get("nonce"),
            allowed_mentions=body.get("allowed_mentions"), message_reference=ref, webhook_id=webhook_id,
            interaction_metadata=interaction_metadata, message_id=message_id,
        )
        if body.get("poll"):
            msg["poll"] = body["poll"]
        if not ephemeral:
            self.owner._gateway.dispatch("MESSAGE_CREATE", self.world.event_message(msg), guild_id=ch.guild_id)
        return msg

    def edit_message(self, rec: RecordedRequest, msg: dict[str, Any], body: dict[str, Any], *,
                     finishing_defer: bool = False) -> dict[str, Any]:
        """Applies an edit to the stored message (in place, all or nothing); PATCH bodies are recorded
        for ``edits_of``."""
        ch = self.world.channels[int(msg["channel_id"])]
        ephemeral = bool(msg["flags"] & FLAG_EPHEMERAL)
        new = copy.deepcopy(msg)
        if "content" in body:
            new["content"] = body["content"] or ""
            guild = self.world.guilds.get(ch.guild_id)
            new["mentions"], new["mention_everyone"] = self.world.mentions_in(
                new["content"], body.get("allowed_mentions"), guild)
            new["mention_roles"] = self.world.role_mentions_in(new["content"], body.get("allowed_mentions"), guild)
        if "embeds" in body:
            new["embeds"] = [normalise_embed(e) for e in body["embeds"] or []]
        if "components" in body:
            new["components"] = number_components(body["components"])
        if "flags" in body and body["flags"] is not None:
            keep = new["flags"] & (FLAG_EPHEMERAL | FLAG_HAS_THREAD | (1 << 15))
            new["flags"] = keep | (int(body["flags"]) & (SETTABLE_MESSAGE_FLAGS & ~FLAG_EPHEMERAL))
        if "poll" in body:
            new["poll"] = body["poll"]
        was_loading = bool(new["flags"] & FLAG_LOADING)
        new["flags"] &= ~FLAG_LOADING
        if not (finishing_defer and was_loading):
            new["edited_timestamp"] = iso()
        attachments = self._attachments(rec, body, ch.id, new["attachments"], ephemeral)
        if attachments is not None:
            new["attachments"] = attachments
        if not new["content"] and not new["embeds"] and not new["attachments"] and not new["components"] \
                and not new.get("poll"):
            raise ApiError(400, 50006, "Cannot send an empty message",
                           violation="edit leaves the message empty")
        msg.clear()
        msg.update(new)
        if rec.method == "PATCH":
            self.world.edits.setdefault(int(msg["id"]), []).append(copy.deepcopy(body))
        if not ephemeral:
            self.owner._gateway.dispatch("MESSAGE_UPDATE", self.world.event_message(msg), guild_id=ch.guild_id)
        return msg

    def remove_message(self, msg: dict[str, Any]) -> None:
        mid = int(msg["id"])
        cid = int(msg["channel_id"])
        self.world.messages.get(cid, {}).pop(mid, None)
        self.world.message_channel.pop(mid, None)
        self.world.deleted_messages[mid] = msg
        ch = self.world.channels.get(cid)
        if not msg["flags"] & FLAG_EPHEMERAL and ch is not None:
            self.owner._gateway.dispatch("MESSAGE_DELETE", {"id": str(mid), "channel_id": str(cid),
                                                            "guild_id": str(ch.guild_id)}, guild_id=ch.guild_id)

    # ------------------------------------------------------------------------------------------
    # users, gateway, application
    # ------------------------------------------------------------------------------------------
    def get_me(self, rec: RecordedRequest) -> tuple[int, Any]:
        return 200, {**self.world.bot.to_dict(), "verified": True, "mfa_enabled": False, "locale": "en-US",
                     "email": None}

    def get_user(self, rec: RecordedRequest) -> tuple[int, Any]:
        user = self.world.users.get(_snowflake(rec.params["user_id"], "User", 10013))
        if user is None:
            raise unknown("User", 10013)
        return 200, user.to_dict()

    def get_gateway(self, rec: RecordedRequest) -> tuple[int, Any]:
        return 200, {"url": self.owner.gateway_url}

    def get_gateway_bot(self, rec: RecordedRequest) -> tuple[int, Any]:
        return 200, {"url": self.owner.gateway_url, "shards": 1,
                     "session_start_limit": {"total": 1000, "remaining": 1000 - self.owner._identifies,
                                             "reset_after": 86_400_000, "max_concurrency": 1}}

    def get_application(self, rec: RecordedRequest) -> tuple[int, Any]:
        w = self.world
        owner_user = w.users.get(next(iter(w.guilds.values())).owner_id) if w.guilds else None
        return 200, {
            "id": str(w.application_id), "name": w.bot.name, "icon": None, "description": "",
            "type": None, "bot": w.bot.to_dict(), "bot_public": False, "bot_require_code_grant": False,
            "verify_key": "0" * 64, "flags": self.owner.application_flags, "flags_new": str(self.owner.application_flags),
            "redirect_uris": [], "interactions_endpoint_url": None, "role_connections_verification_url": None,
            "owner": (owner_user or w.bot).to_dict(), "team": None, "approximate_guild_count": len(w.guilds),
            "approximate_user_install_count": 0, "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0, "eligible_oauth2_scopes": [], "tags": [], "rpc_origins": [],
            "summary": "", "hook": True, "integration_types_config": {"0": {}},
        }

    # ------------------------------------------------------------------------------------------
    # commands
    # ------------------------------------------------------------------------------------------
    def _scope(self, rec: RecordedRequest) -> int | None:
        if rec.params.get("application_id") != str(self.world.application_id):
            raise ApiError(403, 20012, "You are not authorized to perform this action on "
                           "this application", violation=f"application id {rec.params.get('application_id')} "
                           f"is not ours ({self.world.application_id})")
        gid = rec.params.get("guild_id")
        if gid is None:
            return None
        g = _snowflake(gid, "Guild", 10004)
        if g not in self.world.guilds:
            raise unknown("Guild", 10004)
        return g

    def _normalise_option(self, opt: dict[str, Any]) -> dict[str, Any]:
        out = {k: val for k, val in opt.items() if val is not None}
        out.setdefault("name_localizations", None)
        out.setdefault("description_localizations", None)
        if opt.get("options"):
            out["options"] = [self._normalise_option(o) for o in opt["options"]]
        if out.get("type") not in (1, 2) and "required" not in out:
            out["required"] = False
        return out

    def _command_dict(self, scope: int | None, body: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
        cmd_id = old["id"] if old else str(self.world.new_id())
        perms = body.get("default_member_permissions")
        cmd: dict[str, Any] = {
            "id": cmd_id,
            "application_id": str(self.world.application_id),
            "version": str(self.world.new_id()),
            "default_member_permissions": str(perms) if perms is not None else None,
            "type": body.get("type") or 1,
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description") or "",
            "description_localizations": body.get("description_localizations"),
            "nsfw": bool(body.get("nsfw")),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
        }
        if scope is not None:
            cmd["guild_id"] = str(scope)
        else:
            cmd["dm_permission"] = body.get("dm_permission", True) is not False
        if body.get("options"):
            cmd["options"] = [self._normalise_option(o) for o in body["options"]]
        if old is not None and all(old.get(k) == cmd.get(k) for k in cmd if k not in ("version",)):
            cmd["version"] = old["version"]
        return cmd

    def list_commands(self, rec: RecordedRequest) -> tuple[int, Any]:
        return 200, self.world.command_list(self._scope(rec))

    def put_commands(self, rec: RecordedRequest) -> tuple[int, Any]:
        scope = self._scope(rec)
        current = self.world.commands.get(scope, {})
        by_key = {(c["name"], c["type"]): c for c in current.values()}
        new: dict[int, dict[str, Any]] = {}
        for body in rec.json or []:
            old = by_key.get((body["name"], body.get("type") or 1))
            cmd = self._command_dict(scope, body, old)
            new[int(cmd["id"])] = cmd
        self.world.commands[scope] = new
        return 200, self.world.command_list(scope)

    def post_command(self, rec: RecordedRequest) -> tuple[int, Any]:
        scope = self._scope(rec)
        current = self.world.commands.setdefault(scope, {})
        body = rec.json
        old = next((c for c in current.values() if c["name"] == body["name"] and c["type"] == (body.get("type") or 1)),
                   None)
        if old is None and sum(1 for c in current.values() if c["type"] == (body.get("type") or 1)) >= v.COMMANDS_MAX:
            raise ApiError(400, 30032, "Maximum number of application commands reached (100)",
                           violation="more than 100 commands")
        cmd = self._command_dict(scope, body, old)
        current[int(cmd["id"])] = cmd
        return (200 if old else 201), copy.deepcopy(cmd)

    def _find_command(self, rec: RecordedRequest) -> tuple[int | None, dict[str, Any]]:
        scope = self._scope(rec)
        cid = _snowflake(rec.params["command_id"], "application command", 10063)
        cmd = self.world.commands.get(scope, {}).get(cid)
        if cmd is None:
            raise unknown("application command", 10063)
        return scope, cmd

    def get_command(self, rec: RecordedRequest) -> tuple[int, Any]:
        return 200, copy.deepcopy(self._find_command(rec)[1])

    def patch_command(self, rec: RecordedRequest) -> tuple[int, Any]:
        scope, cmd = self._find_command(rec)
        merged = {**cmd, **{k: val for k, val in (rec.json or {}).items()}}
        problems = v.check_command(merged)
        if problems:
            raise ApiError(400, 50035, "Invalid Form Body", errors=v.error_body(problems)["errors"],
                           violation="; ".join(p.describe() for p in problems))
        new = self._command_dict(scope, merged, cmd)
        self.world.commands[scope][int(new["id"])] = new
        return 200, copy.deepcopy(new)

    def delete_command(self, rec: RecordedRequest) -> tuple[int, Any]:
        scope, cmd = self._find_command(rec)
        del self.world.commands[scope][int(cmd["id"])]
        return 204, None

    def command_permissions(self, rec: RecordedRequest) -> tuple[int, Any]:
        self._scope(rec)
        return 200, []

    # ------------------------------------------------------------------------------------------
    # interactions
    # ------------------------------------------------------------------------------------------
    def _interaction(self, rec: RecordedRequest, id_key: str, token_key: str) -> Interaction:
        ix = self.owner._interactions_by_token.get(rec.params[token_key])
        if ix is None or (id_key == "interaction_id" and str(ix.id) != rec.params[id_key]):
            if id_key == "interaction_id":
                raise ApiError(404, 10062, "Unknown interaction")
            raise ApiError(404, 10015, "Unknown Webhook")
        if id_key == "webhook_id" and rec.params[id_key] != str(self.world.application_id):
            raise ApiError(404, 10015, "Unknown Webhook",
                           violation=f"webhook id {rec.params[id_key]} is not the application id")
        return ix

    def interaction_metadata(self, ix: Interaction) -> dict[str, Any]:
        """``message.interaction_metadata`` for messages an interaction produced."""
        m: dict[str, Any] = {
            "id": str(ix.id), "type": ix.type, "user": copy.deepcopy(ix.payload["member"]["user"]),
            "authorizing_integration_owners": {"0": ix.payload.get("guild_id")},
        }
        if ix.type in (2, 4):
            m["name"] = ix.name
            m["command_type"] = 1
        elif ix.type == 3:
            m["interacted_message_id"] = str(ix.component_message_id)
        elif ix.type == 5:
            trigger = ix.triggered_by
            m["triggering_interaction_metadata"] = self.interaction_metadata(trigger) if trigger else {
                "id": str(ix.id), "type": 2, "authorizing_integration_owners": m["authorizing_integration_owners"]}
        return m

    ALLOWED_CALLBACKS = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}

    def callback(self, rec: RecordedRequest) -> tuple[int, Any]:
        owner = self.owner
        ix = self._interaction(rec, "interaction_id", "interaction_token")
        body = rec.json if isinstance(rec.json, dict) else {}
        ctype = body.get("type")
        data = body.get("data") or {}
        if ix.response is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.",
                           violation=f"second callback (type {ctype}) for interaction {ix.describe()}")
        if owner.interaction_deadline is not None and time.monotonic() - ix.sent_at > owner.interaction_deadline:
            raise ApiError(404, 10062, "Unknown interaction",
                           violation=f"callback after the {owner.interaction_deadline}s deadline "
                                     f"({time.monotonic() - ix.sent_at:.2f}s) for {ix.describe()}")
        if ctype not in self.ALLOWED_CALLBACKS.get(ix.type, set()):
            raise ApiError(400, 50035, "Invalid Form Body", errors={"type": {"_errors": [
                {"code": "INTERACTION_RESPONSE_TYPE_INVALID", "message": "Invalid interaction response type"}]}},
                violation=f"callback type {ctype} is not valid for interaction type {ix.type}")
        ch = self.world.channel(ix.channel_id)
        metadata = self.interaction_metadata(ix)
        msg = None
        if ctype == 4:
            if ch is None:
                raise unknown("Channel", 10003)
            msg = self.create_message(rec, ch, data, type=20 if ix.type == 2 else 0, webhook_id=self.world.application_id,
                                      interaction_metadata=metadata)
            ix.original_message_id = int(msg["id"])
        elif ctype == 5:
            if ch is None:
                raise unknown("Channel", 10003)
            flags = int(data.get("flags") or 0) & FLAG_EPHEMERAL
            msg = self.create_message(rec, ch, {"flags": flags}, type=20 if ix.type == 2 else 0,
                                      webhook_id=self.world.application_id, interaction_metadata=metadata,
                                      extra_flags=FLAG_LOADING)
            ix.original_message_id = int(msg["id"])
        elif ctype in (6, 7):
            target = self.world.find_message(ix.component_message_id) if ix.component_message_id else None
            if target is None:
                raise unknown("Message", 10008)
            ix.original_message_id = int(target["id"])
            if ctype == 7:
                msg = self.edit_message(rec, target, data)
        ix.response = {"type": ctype, "data": copy.deepcopy(body.get("data"))}
        ix.responded_at = time.monotonic()
        if not _truthy(rec.query.get("with_response")):
            return 204, None
        out: dict[str, Any] = {"interaction": {
            "id": str(ix.id), "type": ix.type,
            "response_message_loading": ctype == 5,
            "response_message_ephemeral": bool(msg and msg["flags"] & FLAG_EPHEMERAL),
            "channel_id": str(ix.channel_id), "guild_id": ix.payload.get("guild_id"),
        }}
        if msg is not None:
            out["interaction"]["response_message_id"] = msg["id"]
            if ctype in (4, 7):  # the spec's resource variants: messages for 4 and 7 (and activities)
                out["resource"] = {"type": ctype, "message": self.world.view(msg)}
        return 200, out

    def post_followup(self, rec: RecordedRequest) -> tuple[int, Any]:
        ix = self._interaction(rec, "webhook_id", "webhook_token")
        body = rec.json if isinstance(rec.json, dict) else {}
        if ix.response is None:
            raise ApiError(404, 10015, "Unknown Webhook",
                           violation=f"follow-up before the initial response to {ix.describe()}")
        original = self.world.find_message(ix.original_message_id) if ix.original_message_id else None
        if original is not None and original["flags"] & FLAG_LOADING and ix.response["type"] == 5:
            # the first follow-up after a deferred response replaces the "thinking..." message
            msg = self.edit_message(rec, original, body, finishing_defer=True)
        else:
            ch = self.world.channel(ix.channel_id)
            if ch is None:
                raise unknown("Channel", 10003)
            metadata = self.interaction_metadata(ix)
            if ix.original_message_id is not None:
                metadata["original_response_message_id"] = str(ix.original_message_id)
            msg = self.create_message(rec, ch, body, type=20 if ix.type == 2 else 0,
                                      webhook_id=self.world.application_id, interaction_metadata=metadata)
        ix.followup_ids.append(int(msg["id"]))
        if _truthy(rec.query.get("wait")):
            return 200, self.world.view(msg)
        return 204, None

    def _webhook_message(self, rec: RecordedRequest) -> tuple[Interaction, dict[str, Any]]:
        ix = self._interaction(rec, "webhook_id", "webhook_token")
        mid_raw = rec.params.get("message_id")
        if mid_raw is None:  # @original
            mid = ix.original_message_id
        else:
            mid = _snowflake(mid_raw, "Message", 10008)
            if mid not in ix.followup_ids and mid != ix.original_message_id:
                raise unknown("Message", 10008)
        msg = self.world.find_message(mid) if mid else None
        if msg is None:
            raise unknown("Message", 10008)
        return ix, msg

    def get_webhook_message(self, rec: RecordedRequest) -> tuple[int, Any]:
        return 200, self.world.view(self._webhook_message(rec)[1])

    def patch_webhook_message(self, rec: RecordedRequest) -> tuple[int, Any]:
        ix, msg = self._webhook_message(rec)
        original = rec.params.get("message_id") is None or int(msg["id"]) == ix.original_message_id
        msg = self.edit_message(rec, msg, rec.json if isinstance(rec.json, dict) else {}, finishing_defer=original)
        if original:
            ix.original_edits += 1
        return 200, self.world.view(msg)

    def delete_webhook_message(self, rec: RecordedRequest) -> tuple[int, Any]:
        _, msg = self._webhook_message(rec)
        self.remove_message(msg)
        return 204, None

    # ------------------------------------------------------------------------------------------
    # channels and messages
    # ------------------------------------------------------------------------------------------
    def get_channel(self, rec: RecordedRequest) -> tuple[int, Any]:
        return 200, self._channel(rec).to_dict()

    def patch_channel(self, rec: RecordedRequest) -> tuple[int, Any]:
        ch = self._channel(rec)
        body = rec.json or {}
        if "name" in body and body["name"]:
            ch.name = body["name"]
        if ch.is_thread:
            if "archived" in body and body["archived"] is not None:
                ch.archived = bool(body["archived"])
                ch.archive_timestamp = iso()
            if "locked" in body and body["locked"] is not None:
                ch.locked = bool(body["locked"])
            if body.get("auto_archive_duration"):
                ch.auto_archive_duration = int(body["auto_archive_duration"])
            self.owner._gateway.dispatch("THREAD_UPDATE", ch.to_dict(), guild_id=ch.guild_id)
        else:
            if "topic" in body:
                ch.topic = body["topic"]
            self.owner._gateway.dispatch("CHANNEL_UPDATE", ch.to_dict(), guild_id=ch.guild_id)
        return 200, ch.to_dict()

    def delete_channel(self, rec: RecordedRequest) -> tuple[int, Any]:
        ch = self._channel(rec)
        self._require(ch, VIEW_CHANNEL | (MANAGE_THREADS if ch.is_thread else MANAGE_CHANNELS))
        data = self.owner._delete_channel_locked(ch)
        return 200, data

    def list_messages(self, rec: RecordedRequest) -> tuple[int, Any]:
        """GET /channels/{id}/messages (a channel or a thread): newest first, ``limit`` 1-100 (50), and
        one of ``around`` / ``before`` / ``after``. Without READ_MESSAGE_HISTORY the list is empty."""
        ch = self._channel(rec)
        self._require(ch, VIEW_CHANNEL)
        q = rec.query
        limit = self._query_int(q, "limit", 50, low=1, high=100)
        anchors = {k: self._query_int(q, k, None, low=0) for k in ("around", "before", "after") if q.get(k)}
        if len(anchors) > 1:
            self._problem_now(rec, f"around/before/after are mutually exclusive, got {sorted(anchors)}")
        if not self.world.channel_permissions(ch, self.world.bot.id) & READ_MESSAGE_HISTORY:
            return 200, []
        msgs = sorted((m for m in self.world.messages.get(ch.id, {}).values() if not m["flags"] & FLAG_EPHEMERAL),
                      key=lambda m: int(m["id"]))
        if "around" in anchors:
            # Discord's split: up to limit // 2 newer than the id, the rest at or before it
            around = anchors["around"]
            newer = [m for m in msgs if int(m["id"]) > around][: limit // 2]
            older = [m for m in msgs if int(m["id"]) <= around][-(limit - limit // 2):]
            page = older + newer
        elif "before" in anchors:
            page = [m for m in msgs if int(m["id"]) < anchors["before"]][-limit:]
        elif "after" in anchors:
            page = [m for m in msgs if int(m["id"]) > anchors["after"]][:limit]
        else:
            page = msgs[-limit:]
        return 200, [self.world.view(m) for m in reversed(page)]

    def _query_int(self, q: dict[str, str], key: str, default: int | None, *, low: int,
                   high: int | None = None) -> Any:
        raw = q.get(key)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, 50035, "Invalid Form Body", errors={key: {"_errors": [
                {"code": "NUMBER_TYPE_COERCE", "message": f"Value \"{raw}\" is not int."}]}},
                violation=f"query {key}={raw!r} is not an integer") from None
        if value < low or (high is not None and value > high):
            bound = f"greater than or equal to {low}" if value < low else f"less than or equal to {high}"
            raise ApiError(400, 50035, "Invalid Form Body", errors={key: {"_errors": [
                {"code": "NUMBER_TYPE_MIN" if value < low else "NUMBER_TYPE_MAX",
                 "message": f"int value should be {bound}."}]}},
                violation=f"query {key}={value} out of range")
        return value

    def _problem_now(self, rec: RecordedRequest, text: str) -> None:
        self._problem(rec, f"[{rec.route}] {text}")

    def post_message(self, rec: RecordedRequest) -> tuple[int, Any]:
        ch = self._channel(rec)
        if ch.type not in TEXT_LIKE_CHANNEL_TYPES:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel",
                           violation=f"message to non-text channel type {ch.type}")
        self._require(ch, VIEW_CHANNEL | (SEND_MESSAGES_IN_THREADS if ch.is_thread else SEND_MESSAGES))
        body = rec.json if isinstance(rec.json, dict) else {}
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce") is True:
            earlier = self.owner._nonce_lookup(ch.id, self.world.bot.id, nonce)
            if earlier is not None:
                # Discord: "If another message was created by the same author with the same nonce, that
                # message will be returned and no new message will be created."
                rec.nonce_hit = True
                self.owner._nonce_hits += 1
                return 200, self.world.view(earlier)
        if ch.is_thread and ch.archived:
            if ch.locked:
                raise ApiError(400, 50083, "Thread is archived")
            ch.archived = False
            self.owner._gateway.dispatch("THREAD_UPDATE", ch.to_dict(), guild_id=ch.guild_id)
        msg = self.create_message(rec, ch, body)
        if nonce is not None:
            self.world.nonces[(ch.id, self.world.bot.id, str(nonce))] = (int(msg["id"]), time.monotonic())
        return 200, self.world.view(msg)

    def get_message(self, rec: RecordedRequest) -> tuple[int, Any]:
        ch = self._channel(rec)
        msg = self._message_in(ch, rec.params["message_id"])
        if msg["flags"] & FLAG_EPHEMERAL:
            raise unknown("Message", 10008)
        return 200, self.world.view(msg)

    def patch_message(self, rec: RecordedRequest) -> tuple[int, Any]:
        ch = self._channel(rec)
        msg = self._message_in(ch, rec.params["message_id"])
        body = rec.json if isinstance(rec.json, dict) else {}
        # stricter than Discord may be: where the bot can no longer send, it can't edit either
        self._require(ch, VIEW_CHANNEL | (SEND_MESSAGES_IN_THREADS if ch.is_thread else SEND_MESSAGES))
        if msg["author"]["id"] != str(self.world.bot.id) or "webhook_id" in msg:
            if set(body) - {"flags"}:
                raise ApiError(403, 50005, "Cannot edit a message authored by another user",
                               violation="edit of a message the bot did not author")
            self._require(ch, MANAGE_MESSAGES)
        return 200, self.world.view(self.edit_message(rec, msg, body))

    def delete_message(self, rec: RecordedRequest) -> tuple[int, Any]:
        ch = self._channel(rec)
        msg = self._message_in(ch, rec.params["message_id"])
        if msg["author"]["id"] != str(self.world.bot.id):
            self._require(ch, MANAGE_MESSAGES)
        self.remove_message(msg)
        return 204, None

    def _new_thread(self, parent: Channel, body: dict[str, Any], *, thread_type: int, thread_id: int | None = None) -> Channel:
        th = self.world.add_thread(parent, body.get("name") or "thread", type=thread_type, thread_id=thread_id,
                                   auto_archive_duration=body.get("auto_archive_duration"))
        if body.get("rate_limit_per_user"):
            th.rate_limit_per_user = int(body["rate_limit_per_user"])
        if thread_type == 12 and body.get("invitable") is False:
            th.invitable = False
        return th

    def _thread_created(self, th: Channel) -> dict[str, Any]:
        data = th.to_dict()
        member = {"id": str(th.id), "user_id": str(self.world.bot.id), "join_timestamp": iso(), "flags": 1}
        self.owner._gateway.dispatch("THREAD_CREATE", {**data, "newly_created": True, "member": member},
                                     guild_id=th.guild_id)
        return {**data, "member": member}

    def thread_from_message(self, rec: RecordedRequest) -> tuple[int, Any]:
        ch = self._channel(rec)
        msg = self._message_in(ch, rec.params["message_id"])
        if ch.type not in (0, 5):
            raise ApiError(400, 50024, "Cannot execute action on this channel type",
                           violation=f"thread from a message in channel type {ch.type}")
        self._require(ch, VIEW_CHANNEL | CREATE_PUBLIC_THREADS)
        if int(msg["id"]) in self.world.channels:
            # not a violation: retrying after a lost response (or a crash) lands here, and a bot that
            # recovers by fetching the thread (it has the message's id) is doing the right thing
            raise ApiError(400, 160004, "A thread has already been created for this message")
        th = self._new_thread(ch, rec.json or {}, thread_type=10 if ch.type == 5 else 11, thread_id=int(msg["id"]))
        msg["flags"] |= FLAG_HAS_THREAD
        return 201, self._thread_created(th)

    def thread_without_message(self, rec: RecordedRequest) -> tuple[int, Any]:
        ch = self._channel(rec)
        body = rec.json if isinstance(rec.json, dict) else {}
        if ch.type == 15:
            return 201, self._forum_post(ch, rec, body)
        if ch.type not in (0, 5):
            raise ApiError(400, 50024, "Cannot execute action on this channel type",
                           violation=f"thread in channel type {ch.type}")
        thread_type = int(body.get("type") or 12)
        self._require(ch, VIEW_CHANNEL | (CREATE_PRIVATE_THREADS if thread_type == 12 else CREATE_PUBLIC_THREADS))
        th = self._new_thread(ch, body, thread_type=thread_type)
        return 201, self._thread_created(th)

    def _forum_post(self, forum: Channel, rec: RecordedRequest, body: dict[str, Any]) -> dict[str, Any]:
        """A forum post: a thread whose starter message has the thread's id (as on Discord, so the
        post is addressable as a message and as a channel), with tags from the forum's own."""
        starter = body.get("message")
        if not isinstance(starter, dict):
            raise ApiError(400, 50035, "Invalid Form Body", errors={"message": {"_errors": [
                {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}},
                violation="forum thread without a message")
        self._require(forum, VIEW_CHANNEL | SEND_MESSAGES)
        tags = [str(t) for t in body.get("applied_tags") or []]
        known = {t["id"] for t in forum.available_tags}
        if len(tags) > MAX_APPLIED_TAGS or not set(tags) <= known:
            raise ApiError(400, 50035, "Invalid Form Body", errors={"applied_tags": {"_errors": [
                {"code": "INVALID_TAG", "message": "Invalid tag"}]}},
                violation=f"forum tags {tags} not among the forum's {sorted(known)} (or more than 5)")
        if not tags and forum.flags & CHANNEL_FLAG_REQUIRE_TAG:
            raise ApiError(400, 40067, "A tag is required to create a forum post in this channel")
        if not self._has_visible_content(starter, rec):
            raise ApiError(400, 50006, "Cannot send an empty message", violation="empty forum starter message")
        th = self._new_thread(forum, body, thread_type=11)
        th.applied_tags = tags
        out = self._thread_created(th)
        msg = self.create_message(rec, th, starter, message_id=th.id)
        out["message"] = self.world.view(msg)
        return out

    def no_content_in_channel(self, rec: RecordedRequest) -> tuple[int, Any]:
        self._channel(rec)
        return 204, None

    def typing(self, rec: RecordedRequest) -> tuple[int, Any]:
        ch = self._channel(rec)
        self._require(ch, VIEW_CHANNEL | (SEND_MESSAGES_IN_THREADS if ch.is_thread else SEND_MESSAGES))
        return 204, None

    def _reaction(self, rec: RecordedRequest, add: bool) -> tuple[int, Any]:
        ch = self._channel(rec)
        msg = self._message_in(ch, rec.params["message_id"])
        emoji = rec.params["emoji"]
        name, _, eid = emoji.partition(":")
        reactions = msg.setdefault("reactions", [])
        entry = next((r for r in reactions if r["emoji"]["name"] == name), None)
        if add and (entry is None or not entry["me"]):
            if entry is None:
                entry = {"count": 0, "count_details": {"burst": 0, "normal": 0}, "me": False, "me_burst": False,
                         "burst_colors": [], "emoji": {"id": eid or None, "name": name}}
                reactions.append(entry)
            entry["count"] += 1
            entry["count_details"]["normal"] += 1
            entry["me"] = True
        elif not add and entry is not None and entry["me"]:
            entry["count"] -= 1
            entry["count_details"]["normal"] -= 1
            entry["me"] = False
            if entry["count"] <= 0:
                reactions.remove(entry)
        return 204, None

    def add_reaction(self, rec: RecordedRequest) -> tuple[int, Any]:
        return self._reaction(rec, True)

    def remove_reaction(self, rec: RecordedRequest) -> tuple[int, Any]:
        return self._reaction(rec, False)

    # ------------------------------------------------------------------------------------------
    # guilds
    # ------------------------------------------------------------------------------------------
    def _guild(self, rec: RecordedRequest) -> Any:
        g = self.world.guilds.get(_snowflake(rec.params["guild_id"], "Guild", 10004))
        if g is None:
            raise unknown("Guild", 10004)
        return g

    def get_guild(self, rec: RecordedRequest) -> tuple[int, Any]:
        g = self._guild(rec)
        d = self.world.guild_dict(g)
        if _truthy(rec.query.get("with_counts")):
            d["approximate_member_count"] = len(g.members)
            d["approximate_presence_count"] = 0
        return 200, d

    def guild_channels(self, rec: RecordedRequest) -> tuple[int, Any]:
        g = self._guild(rec)
        return 200, [self.world.channels[c].to_dict() for c in g.channel_ids if not self.world.channels[c].deleted]

    def guild_roles(self, rec: RecordedRequest) -> tuple[int, Any]:
        return 200, [r.to_dict() for r in self._guild(rec).roles.values()]

    def guild_member(self, rec: RecordedRequest) -> tuple[int, Any]:
        g = self._guild(rec)
        m = g.members.get(_snowflake(rec.params["user_id"], "Member", 10007))
        if m is None:
            raise unknown("Member", 10007)
        return 200, self.world.member_dict(m)

    def active_threads(self, rec: RecordedRequest) -> tuple[int, Any]:
        g = self._guild(rec)
        threads = [c.to_dict() for c in self.world.channels.values()
                   if c.is_thread and c.guild_id == g.id and not c.deleted and not c.archived]
        return 200, {"threads": threads, "members": [], "has_more": False}
