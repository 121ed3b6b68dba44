"""What the stand-in records: HTTP requests, injected faults, and interactions it sent to the bot."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .state import FLAG_LOADING

if TYPE_CHECKING:
    from .server import DiscordStandIn


@dataclass
class UploadedFile:
    field: str  # multipart field name, e.g. "files[0]"
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class RecordedRequest:
    method: str
    path: str  # relative to the API base, e.g. "/channels/1/messages"
    route: str | None  # template, e.g. "POST /channels/{channel_id}/messages"; None for unknown routes
    params: dict[str, str]
    query: dict[str, str]
    json: Any  # the JSON body, or the payload_json of a multipart body
    files: list[UploadedFile]
    headers: dict[str, str]
    time: float  # time.monotonic() when it arrived
    status: int = 0
    response: Any = None
    problems: list[str] = field(default_factory=list)  # violations found in this request
    fault: str | None = None  # "429", "500", "0" (connection closed)... when an injected fault answered it
    # after_effect faults: what the stand-in really did (status, body) while the client got ``status``
    effect_status: int | None = None
    effect_response: Any = None
    nonce_hit: bool = False  # enforce_nonce found an earlier message: it was returned, nothing created

    def __repr__(self) -> str:
        effect = f" (done: {self.effect_status})" if self.effect_status is not None else ""
        return f"<{self.method} {self.path} -> {self.status}{' fault ' + self.fault if self.fault else ''}{effect}>"


@dataclass
class Fault:
    """An injected failure (see ``DiscordStandIn.inject``). ``status`` 0 closes the connection without a
    response. ``after_effect``: the request is carried out first (the response is what gets lost)."""

    route: str  # "POST /channels/{channel_id}/messages" (a template) or "POST /channels/123/messages"
    status: int
    retry_after: float = 0.5
    count: int = 1
    global_: bool = False
    after_effect: bool = False
    hits: int = 0

    @property
    def remaining(self) -> int:
        return max(0, self.count - self.hits)

    def matches(self, method: str, template: str | None, path: str) -> bool:
        m, _, target = self.route.partition(" ")
        if not target:  # a bare template/path: any method
            m, target = "*", self.route
        if m != "*" and m.upper() != method:
            return False
        target = target.removeprefix("/api/v10")
        if "{" in target:
            return template is not None and template.partition(" ")[2] == target
        return target.rstrip("/") == path.rstrip("/")


class Interaction:
    """An interaction the stand-in dispatched (as the user) and what the bot made of it.

    ``wait_response()`` -> the initial callback ``{"type": .., "data": ..}``; ``wait_final()`` -> the
    message the user ends up seeing; ``followups`` -> follow-up messages (current versions).
    """

    def __init__(self, owner: DiscordStandIn, *, id: int, token: str, type: int, payload: dict[str, Any],
                 name: str | None = None, message_id: int | None = None):
        self._owner = owner
        self.id = id
        self.token = token
        self.type = type  # 2 command, 3 component, 4 autocomplete, 5 modal submit
        self.name = name
        self.payload = payload
        self.channel_id = int(payload["channel_id"])
        self.component_message_id = message_id  # for component interactions: the clicked message
        self.sent_at = time.monotonic()
        self.responded_at: float | None = None
        self.response: dict[str, Any] | None = None  # {"type": int, "data": dict | None}
        self.original_message_id: int | None = None
        self.followup_ids: list[int] = []
        self.original_edits = 0
        self.triggered_by: Interaction | None = None  # for modal submits: the interaction that opened it

    # -- state (read under the owner's lock) ---------------------------------------------------
    @property
    def latency(self) -> float | None:
        return None if self.responded_at is None else self.responded_at - self.sent_at

    def _message(self, mid: int | None) -> dict[str, Any] | None:
        if mid is None:
            return None
        msg = self._owner.world.find_message(mid)
        return self._owner.world.view(msg) if msg is not None else None

    @property
    def original(self) -> dict[str, Any] | None:
        """The current @original message (the response message, or the clicked one for updates)."""
        with self._owner._cond:
            return self._message(self.original_message_id)

    @property
    def followups(self) -> list[dict[str, Any]]:
        with self._owner._cond:
            return [m for m in (self._message(i) for i in self.followup_ids) if m is not None]

    def _final(self) -> Any:
        if self.response is None:
            return None
        t = self.response["type"]
        if t in (8, 9):
            return copy.deepcopy(self.response.get("data"))
        if t in (4, 7):
            return self._message(self.original_message_id)
        if t == 5:
            msg = self._message(self.original_message_id)
            if msg is not None and not msg["flags"] & FLAG_LOADING:
                return msg
            if msg is None and self.followup_ids:  # "thinking..." deleted, then a new (ephemeral) follow-up
                return self._message(self.followup_ids[-1])
            return None
        if t == 6:
            if self.original_edits:
                return self._message(self.original_message_id)
            if self.followup_ids:
                return self._message(self.followup_ids[0])
            return None
        return copy.deepcopy(self.response)

    # -- waiting ------------------------------------------------------------------------------
    def wait_response(self, timeout: float = 10) -> dict[str, Any]:
        """The initial callback, ``{"type": ..., "data": ...}``."""
        return self._owner.wait_for(lambda d: copy.deepcopy(self.response), timeout,
                                    what=f"the bot's callback to interaction {self.describe()}")

    def wait_final(self, timeout: float = 10) -> Any:
        """The message the user ends up with: the callback message, the deferred message once edited
        (or filled by the first follow-up), the clicked message after an update; for autocomplete and
        modals the callback data."""
        return self._owner.wait_for(lambda d: self._final(), timeout,
                                    what=f"the final message of interaction {self.describe()}")

    def wait_followups(self, n: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
        def ready(_: Any) -> list[dict[str, Any]] | None:
            if len(self.followup_ids) < n:
                return None
            return [m for m in (self._message(i) for i in self.followup_ids) if m is not None]

        return self._owner.wait_for(ready, timeout, what=f"{n} follow-up(s) of interaction {self.describe()}")

    def describe(self) -> str:
        kind = {2: "command", 3: "component", 4: "autocomplete", 5: "modal"}.get(self.type, str(self.type))
        return f"{self.id} ({kind} {self.name or ''})".strip()

    def __repr__(self) -> str:
        return f"<Interaction {self.describe()} response={self.response and self.response['type']}>"
