"""Request checks: Discord's OpenAPI 3.1 spec (JSON Schema 2020-12 via ``jsonschema``) plus the
documented limits the spec cannot express (message content 2000, the 6000-character embed total,
action rows, autocomplete choices, command naming...).

A check returns :class:`Problem` items; the HTTP layer turns them into a 400 with Discord's
``{"code": 50035, "message": "Invalid Form Body", "errors": {...}}`` and records each as a violation.
The spec is loaded once per process (cached by path and mtime) and a validator is compiled lazily
per operation, so a stand-in starts fast and only pays for the routes a test uses.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # the Unicode-aware command-name rule needs \p{...}; plain ``re`` gets the ASCII rule
    import regex as _regex
except ImportError:  # pragma: no cover - regex is a dependency of the project's language stack
    _regex = None
import re

try:
    import jsonschema
    import referencing
    import referencing.jsonschema
    from jsonschema.exceptions import relevance as _relevance

    _JSONSCHEMA_ERROR: str | None = None
except ImportError as exc:  # pragma: no cover - depends on the environment
    jsonschema = None  # type: ignore[assignment]
    referencing = None  # type: ignore[assignment]
    _JSONSCHEMA_ERROR = f"jsonschema/referencing not installed ({exc.name})"

SPEC_URI = "https://discord.com/api/openapi.json"


@dataclass(frozen=True)
class Problem:
    path: tuple[str | int, ...]
    message: str
    code: str = "BASE_TYPE_INVALID"
    source: str = "limit"  # "limit" or "openapi"

    def describe(self) -> str:
        where = ".".join(str(p) for p in self.path) or "<body>"
        return f"{where}: {self.message} [{self.source}]"


def error_body(problems: list[Problem]) -> dict[str, Any]:
    """Discord's 50035 error: problems nested by path, leaves ``{"_errors": [{code, message}]}``."""
    errors: dict[str, Any] = {}
    for p in problems:
        node = errors
        for part in p.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": p.code, "message": p.message})
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


# ---------------------------------------------------------------------------------------------
# OpenAPI
# ---------------------------------------------------------------------------------------------


REQUEST_SPEC_URI = SPEC_URI + "?requests"


def _request_overlay(schemas: dict[str, Any]) -> dict[str, Any]:
    """Where Discord accepts more in requests than its spec says (only request bodies are relaxed;
    response checks of the stand-in itself use the spec as published)."""
    return {
        # Discord takes integer snowflakes in request bodies, and discord.py sends them: attachment
        # indexes ({"id": 0} for files[0]), allowed_mentions.users, message_reference.message_id...
        "SnowflakeType": {"anyOf": [schemas["SnowflakeType"], {"type": "integer", "minimum": 0}]},
    }


class _LoadedSpec:
    def __init__(self, spec: dict[str, Any]):
        self.spec = spec
        draft = referencing.jsonschema.DRAFT202012
        schemas = spec["components"]["schemas"]
        relaxed = {**spec, "components": {**spec["components"], "schemas": {**schemas, **_request_overlay(schemas)}}}
        self.registry = referencing.Registry().with_resources([
            (SPEC_URI, referencing.Resource(contents=spec, specification=draft)),
            (REQUEST_SPEC_URI, referencing.Resource(contents=relaxed, specification=draft)),
        ])
        self.templates: list[tuple[int, list[str], str]] = []
        for template in spec.get("paths", {}):
            segs = template.strip("/").split("/")
            literal = sum(1 for s in segs if not (s.startswith("{") and s.endswith("}")))
            self.templates.append((literal, segs, template))
        self.templates.sort(key=lambda t: -t[0])
        self.validators: dict[tuple[str, ...], Any] = {}
        self.lock = threading.Lock()

    def match(self, path: str) -> str | None:
        segs = path.strip("/").split("/")
        for _, tsegs, template in self.templates:
            if len(tsegs) != len(segs):
                continue
            if all(t == s or (t.startswith("{") and t.endswith("}") and s) for t, s in zip(tsegs, segs, strict=True)):
                return template
        return None

    def validator(self, key: tuple[str, ...], pointer: str) -> Any:
        with self.lock:
            v = self.validators.get(key)
            if v is None:
                uri = REQUEST_SPEC_URI if key[0] == "req" else SPEC_URI
                v = jsonschema.Draft202012Validator({"$ref": f"{uri}#{pointer}"}, registry=self.registry)
                self.validators[key] = v
            return v


_SPEC_CACHE: dict[tuple[str, float], _LoadedSpec] = {}
_SPEC_CACHE_LOCK = threading.Lock()


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _resolve_ref(spec: dict[str, Any], node: dict[str, Any]) -> tuple[dict[str, Any], list[str] | None]:
    """Follows one local ``$ref`` (e.g. to components/responses); returns the node and its pointer parts."""
    ref = node.get("$ref")
    if not ref or not ref.startswith("#/"):
        return node, None
    parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
    target: Any = spec
    for p in parts:
        target = target[p]
    return target, parts


class SpecValidator:
    """Validates bodies against ``openapi.json``; ``enabled`` is False (with ``reason``) when it can't."""

    def __init__(self, spec_path: str | Path | None):
        self.path = Path(spec_path) if spec_path is not None else None
        self.reason: str | None = None
        if self.path is None:
            self.reason = "spec_path=None: OpenAPI validation off"
        elif not self.path.is_file():
            self.reason = f"OpenAPI spec absent ({self.path}): validation skipped"
        elif _JSONSCHEMA_ERROR is not None:
            self.reason = f"{_JSONSCHEMA_ERROR}: OpenAPI validation skipped"
        self._loaded: _LoadedSpec | None = None

    @property
    def enabled(self) -> bool:
        return self.reason is None

    def _spec(self) -> _LoadedSpec:
        if self._loaded is None:
            assert self.path is not None
            key = (str(self.path.resolve()), self.path.stat().st_mtime)
            with _SPEC_CACHE_LOCK:
                loaded = _SPEC_CACHE.get(key)
                if loaded is None:
                    loaded = _LoadedSpec(json.loads(self.path.read_text(encoding="utf-8")))
                    _SPEC_CACHE[key] = loaded
            self._loaded = loaded
        return self._loaded

    def warm(self) -> None:
        """Loads the spec now (e.g. in a background thread) rather than on the first request."""
        if self.enabled:
            self._spec()

    def operation_template(self, method: str, path: str) -> str | None:
        if not self.enabled:
            return None
        spec = self._spec()
        template = spec.match(path)
        if template is None or method.lower() not in spec.spec["paths"][template]:
            return None
        return template

    def validate_request(self, method: str, path: str, body: Any) -> list[Problem]:
        """``path`` is relative to the API base (``/channels/1/messages``). Unknown operations pass."""
        if not self.enabled:
            return []
        spec = self._spec()
        template = self.operation_template(method, path)
        if template is None:
            return []
        op = spec.spec["paths"][template][method.lower()]
        content = (op.get("requestBody") or {}).get("content") or {}
        if "application/json" not in content:
            return []
        pointer = _pointer("paths", template, method.lower(), "requestBody", "content", "application/json", "schema")
        validator = spec.validator(("req", template, method.lower()), pointer)
        return _problems(validator, body)

    def validate_response(self, method: str, path: str, status: int, body: Any) -> list[Problem]:
        if not self.enabled or body is None:
            return []
        spec = self._spec()
        template = self.operation_template(method, path)
        if template is None:
            return []
        responses = spec.spec["paths"][template][method.lower()].get("responses", {})
        resp = responses.get(str(status))
        if resp is None:
            return []
        resp, ref_parts = _resolve_ref(spec.spec, resp)
        if "application/json" not in (resp.get("content") or {}):
            return []
        base = ref_parts or ["paths", template, method.lower(), "responses", str(status)]
        pointer = _pointer(*base, "content", "application/json", "schema")
        validator = spec.validator(("resp", template, method.lower(), str(status)), pointer)
        return _problems(validator, body)


def _problems(validator: Any, body: Any, limit: int = 5) -> list[Problem]:
    errors = sorted(validator.iter_errors(body), key=_relevance, reverse=True)
    return [_to_problem(_leaf(err)) for err in errors[:limit]]


def _discriminator_failed(errors: list[Any]) -> bool:
    """True when a union branch was rejected on its ``type`` discriminator (a different variant)."""
    for e in errors:
        if tuple(e.relative_path)[:1] == ("type",) and e.validator in ("enum", "const", "allOf", "type"):
            return True
    return False


def _leaf(err: Any) -> Any:
    """Descends through anyOf/oneOf to the error of the variant the body meant (matching ``type``)."""
    while err.context:
        branches: dict[Any, list[Any]] = {}
        for e in err.context:
            branches.setdefault(e.relative_schema_path[0] if e.relative_schema_path else None, []).append(e)
        kept = [es for es in branches.values() if not _discriminator_failed(es)]
        if not kept:
            break  # no variant has this ``type``: report the union itself
        candidates = [e for es in kept for e in es]
        best = max(candidates, key=lambda e: (len(e.absolute_path), e.validator not in ("anyOf", "oneOf")))
        if len(kept) > 1 and len(best.absolute_path) == len(err.absolute_path):
            break  # several variants fail at the same place: report the union itself
        err = best
    return err


def _to_problem(err: Any) -> Problem:
    return Problem(tuple(err.absolute_path), _message(err), _code(err), "openapi")


def _message(err: Any) -> str:
    v = err.validator
    if v == "maxLength":
        return f"Must be {err.validator_value} or fewer in length."
    if v == "minLength":
        return f"Must be {err.validator_value} or more in length."
    if v == "maxItems":
        return f"Must be {err.validator_value} or fewer in length."
    if v == "minItems":
        return f"Must be {err.validator_value} or more in length."
    if v in ("anyOf", "oneOf"):
        return f"Not valid under any of the accepted forms ({v})."
    msg = err.message
    return msg if len(msg) <= 300 else msg[:297] + "..."


def _code(err: Any) -> str:
    return {
        "maxLength": "BASE_TYPE_MAX_LENGTH",
        "minLength": "BASE_TYPE_MIN_LENGTH",
        "maxItems": "BASE_TYPE_MAX_LENGTH",
        "minItems": "BASE_TYPE_MIN_LENGTH",
        "required": "BASE_TYPE_REQUIRED",
        "type": "BASE_TYPE_INVALID",
        "enum": "BASE_TYPE_CHOICES",
        "maximum": "NUMBER_TYPE_MAX",
        "minimum": "NUMBER_TYPE_MIN",
    }.get(err.validator, "BASE_TYPE_INVALID")


# ---------------------------------------------------------------------------------------------
# Documented limits the spec can't express (or expresses more loosely)
# ---------------------------------------------------------------------------------------------

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
ACTION_ROWS_MAX = 5
COMPONENTS_PER_ROW_MAX = 5
AUTOCOMPLETE_CHOICES_MAX = 25
CHOICE_LEN_MAX = 100
THREAD_NAME_MAX = 100
COMMAND_OPTIONS_MAX = 25
COMMANDS_MAX = 100
COMMAND_TOTAL_CHARS_MAX = 4000

if _regex is not None:
    _NAME_RE = _regex.compile(r"^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$")
else:  # pragma: no cover
    _NAME_RE = re.compile(r"^[-_'a-z0-9]{1,32}$")


def _too_long(path: tuple[str | int, ...], value: Any, limit: int) -> list[Problem]:
    if isinstance(value, str) and len(value) > limit:
        return [Problem(path, f"Must be {limit} or fewer in length.", "BASE_TYPE_MAX_LENGTH")]
    return []


def embed_length(embed: dict[str, Any]) -> int:
    n = len(embed.get("title") or "") + len(embed.get("description") or "")
    for f in embed.get("fields") or []:
        n += len(f.get("name") or "") + len(f.get("value") or "")
    n += len((embed.get("footer") or {}).get("text") or "")
    n += len((embed.get("author") or {}).get("name") or "")
    return n


def check_message(body: dict[str, Any] | None, prefix: tuple[str | int, ...] = ()) -> list[Problem]:
    """Content, embed and component limits of a message body (create, edit, webhook, callback data)."""
    if not isinstance(body, dict):
        return []
    out: list[Problem] = []
    out += _too_long((*prefix, "content"), body.get("content"), CONTENT_MAX)
    out += _too_long((*prefix, "nonce"), body.get("nonce"), 25)
    embeds = body.get("embeds") or []
    if isinstance(embeds, list):
        if len(embeds) > EMBEDS_MAX:
            out.append(Problem((*prefix, "embeds"), f"Must be {EMBEDS_MAX} or fewer in length.", "BASE_TYPE_MAX_LENGTH"))
        total = 0
        for i, e in enumerate(embeds):
            if not isinstance(e, dict):
                continue
            p = (*prefix, "embeds", i)
            out += _too_long((*p, "title"), e.get("title"), 256)
            out += _too_long((*p, "description"), e.get("description"), 4096)
            out += _too_long((*p, "footer", "text"), (e.get("footer") or {}).get("text"), 2048)
            out += _too_long((*p, "author", "name"), (e.get("author") or {}).get("name"), 256)
            fields = e.get("fields") or []
            if len(fields) > 25:
                out.append(Problem((*p, "fields"), "Must be 25 or fewer in length.", "BASE_TYPE_MAX_LENGTH"))
            for j, f in enumerate(fields):
                out += _too_long((*p, "fields", j, "name"), f.get("name"), 256)
                out += _too_long((*p, "fields", j, "value"), f.get("value"), 1024)
                if not f.get("name") or not f.get("value"):
                    out.append(Problem((*p, "fields", j), "Field name and value are required and non-empty.",
                                       "BASE_TYPE_REQUIRED"))
            total += embed_length(e)
        if total > EMBED_TOTAL_MAX:
            out.append(Problem((*prefix, "embeds"), f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX} "
                                                    f"(got {total} characters over all embeds)", "MAX_EMBED_SIZE_EXCEEDED"))
    out += check_components(body.get("components"), int(body.get("flags") or 0), prefix)
    return out


def check_components(components: Any, flags: int, prefix: tuple[str | int, ...] = ()) -> list[Problem]:
    if not isinstance(components, list):
        return []
    out: list[Problem] = []
    if flags & (1 << 15):  # IS_COMPONENTS_V2: layout components, 40 in total (the spec has maxItems)
        return out
    if len(components) > ACTION_ROWS_MAX:
        out.append(Problem((*prefix, "components"), f"Must be {ACTION_ROWS_MAX} or fewer in length.",
                           "BASE_TYPE_MAX_LENGTH"))
    for i, row in enumerate(components):
        p = (*prefix, "components", i)
        if not isinstance(row, dict) or row.get("type") != 1:
            out.append(Problem(p, "Top-level components must be action rows (type 1) without IS_COMPONENTS_V2.",
                               "COMPONENT_LAYOUT_INVALID"))
            continue
        children = row.get("components") or []
        if not children:
            out.append(Problem((*p, "components"), "Must be 1 or more in length.", "BASE_TYPE_MIN_LENGTH"))
        if len(children) > COMPONENTS_PER_ROW_MAX:
            out.append(Problem((*p, "components"), "Must be 5 or fewer in length.", "BASE_TYPE_MAX_LENGTH"))
        selects = [c for c in children if isinstance(c, dict) and c.get("type") in (3, 5, 6, 7, 8)]
        if selects and len(children) > 1:
            out.append(Problem((*p, "components"), "A select menu must be alone in its action row.",
                               "COMPONENT_LAYOUT_WIDTH_EXCEEDED"))
        for j, c in enumerate(children):
            if not isinstance(c, dict):
                continue
            out += _too_long((*p, "components", j, "custom_id"), c.get("custom_id"), 100)
            out += _too_long((*p, "components", j, "label"), c.get("label"), 80)
            if c.get("type") == 2 and c.get("style") != 5 and c.get("style") != 6 and not c.get("custom_id"):
                out.append(Problem((*p, "components", j, "custom_id"), "A non-link button needs a custom_id.",
                                   "BASE_TYPE_REQUIRED"))
            opts = c.get("options")
            if isinstance(opts, list) and len(opts) > 25:
                out.append(Problem((*p, "components", j, "options"), "Must be 25 or fewer in length.",
                                   "BASE_TYPE_MAX_LENGTH"))
    return out


def check_autocomplete(data: Any) -> list[Problem]:
    out: list[Problem] = []
    choices = (data or {}).get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list):
        return [Problem(("data", "choices"), "Autocomplete results need a choices list.", "BASE_TYPE_REQUIRED")]
    if len(choices) > AUTOCOMPLETE_CHOICES_MAX:
        out.append(Problem(("data", "choices"), f"Must be {AUTOCOMPLETE_CHOICES_MAX} or fewer in length.",
                           "BASE_TYPE_MAX_LENGTH"))
    out += _check_choices(choices, ("data", "choices"))
    return out


def _check_choices(choices: list[Any], p: tuple[str | int, ...]) -> list[Problem]:
    out: list[Problem] = []
    for i, ch in enumerate(choices):
        if not isinstance(ch, dict):
            continue
        name = ch.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= CHOICE_LEN_MAX:
            out.append(Problem((*p, i, "name"), f"Must be between 1 and {CHOICE_LEN_MAX} in length.",
                               "BASE_TYPE_BAD_LENGTH"))
        value = ch.get("value")
        if isinstance(value, str) and len(value) > CHOICE_LEN_MAX:
            out.append(Problem((*p, i, "value"), f"Must be {CHOICE_LEN_MAX} or fewer in length.",
                               "BASE_TYPE_MAX_LENGTH"))
    return out


def check_thread_name(name: Any, path: tuple[str | int, ...] = ("name",)) -> list[Problem]:
    if name is None:
        return []
    if not isinstance(name, str) or not 1 <= len(name) <= THREAD_NAME_MAX:
        return [Problem(path, f"Must be between 1 and {THREAD_NAME_MAX} in length.", "BASE_TYPE_BAD_LENGTH")]
    return []


def _check_name(name: Any, path: tuple[str | int, ...], chat_input: bool) -> list[Problem]:
    if not isinstance(name, str) or not 1 <= len(name) <= 32:
        return [Problem(path, "Must be between 1 and 32 in length.", "BASE_TYPE_BAD_LENGTH")]
    if chat_input:
        if not _NAME_RE.match(name):
            return [Problem(path, f"Command name {name!r} does not match ^[-_'\\p{{L}}\\p{{N}}\\p{{sc=Deva}}"
                                  "\\p{sc=Thai}]{1,32}$", "APPLICATION_COMMAND_INVALID_NAME")]
        if name != name.lower():
            return [Problem(path, f"Command name {name!r} must be lowercase.", "APPLICATION_COMMAND_INVALID_NAME")]
    return []


def _command_chars(node: dict[str, Any]) -> int:
    n = len(node.get("name") or "") + len(node.get("description") or "")
    for ch in node.get("choices") or []:
        n += len(str(ch.get("name") or "")) + len(str(ch.get("value") or ""))
    for opt in node.get("options") or []:
        if isinstance(opt, dict):
            n += _command_chars(opt)
    return n


def check_command(cmd: Any, prefix: tuple[str | int, ...] = ()) -> list[Problem]:
    if not isinstance(cmd, dict):
        return [Problem(prefix, "A command must be an object.")]
    out: list[Problem] = []
    ctype = cmd.get("type") or 1
    chat_input = ctype == 1
    out += _check_name(cmd.get("name"), (*prefix, "name"), chat_input)
    desc = cmd.get("description")
    if chat_input:
        if not isinstance(desc, str) or not 1 <= len(desc) <= 100:
            out.append(Problem((*prefix, "description"), "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH"))
    elif desc:
        out.append(Problem((*prefix, "description"), "User and message commands take an empty description.",
                           "APPLICATION_COMMAND_INVALID_DESCRIPTION"))
    options = cmd.get("options") or []
    if options and not chat_input:
        out.append(Problem((*prefix, "options"), "Only chat input commands take options."))
    out += _check_options(options, (*prefix, "options"), depth=0)
    if chat_input and _command_chars(cmd) > COMMAND_TOTAL_CHARS_MAX:
        out.append(Problem(prefix or ("name",), f"Command exceeds the maximum combined size of "
                                                f"{COMMAND_TOTAL_CHARS_MAX} characters.", "APPLICATION_COMMAND_TOO_LARGE"))
    return out


def _check_options(options: Any, p: tuple[str | int, ...], depth: int) -> list[Problem]:
    if not isinstance(options, list):
        return []
    out: list[Problem] = []
    if len(options) > COMMAND_OPTIONS_MAX:
        out.append(Problem(p, f"Must be {COMMAND_OPTIONS_MAX} or fewer in length.", "BASE_TYPE_MAX_LENGTH"))
    names: set[str] = set()
    seen_optional = False
    kinds = {o.get("type") in (1, 2) for o in options if isinstance(o, dict)}
    if len(kinds) > 1:
        out.append(Problem(p, "Sub-commands and groups can't be mixed with plain options.",
                           "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID"))
    for i, opt in enumerate(options):
        if not isinstance(opt, dict):
            continue
        op = (*p, i)
        out += _check_name(opt.get("name"), (*op, "name"), True)
        if opt.get("name") in names:
            out.append(Problem((*op, "name"), "Option names must be unique.", "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS"))
        names.add(opt.get("name"))
        desc = opt.get("description")
        if not isinstance(desc, str) or not 1 <= len(desc) <= 100:
            out.append(Problem((*op, "description"), "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH"))
        otype = opt.get("type")
        if otype in (1, 2):
            if otype == 2 and depth > 0 or otype == 1 and depth > 1:
                out.append(Problem((*op, "type"), "Sub-commands nest at most group > sub-command.",
                                   "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID"))
            inner = opt.get("options") or []
            if otype == 2 and any(isinstance(o, dict) and o.get("type") != 1 for o in inner):
                out.append(Problem((*op, "options"), "A sub-command group holds only sub-commands.",
                                   "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID"))
            out += _check_options(inner, (*op, "options"), depth + 1)
            continue
        if opt.get("required"):
            if seen_optional:
                out.append(Problem((*op, "required"), "Required options must be placed before non-required options.",
                                   "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"))
        else:
            seen_optional = True
        choices = opt.get("choices")
        if isinstance(choices, list):
            if len(choices) > 25:
                out.append(Problem((*op, "choices"), "Must be 25 or fewer in length.", "BASE_TYPE_MAX_LENGTH"))
            if choices and opt.get("autocomplete"):
                out.append(Problem((*op, "autocomplete"), "Autocomplete can't be combined with choices.",
                                   "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID"))
            out += _check_choices(choices, (*op, "choices"))
    return out


def check_command_set(commands: Any, scope: str) -> list[Problem]:
    """A bulk overwrite: each command, at most 100 chat-input commands, unique (name, type)."""
    if not isinstance(commands, list):
        return [Problem((), "Expected a list of commands.")]
    out: list[Problem] = []
    for i, c in enumerate(commands):
        out += check_command(c, (i,))
    chat = [c for c in commands if isinstance(c, dict) and (c.get("type") or 1) == 1]
    if len(chat) > COMMANDS_MAX:
        out.append(Problem((), f"At most {COMMANDS_MAX} {scope} chat input commands (got {len(chat)}).",
                           "MAX_APPLICATION_COMMANDS"))
    keys = [(c.get("name"), c.get("type") or 1) for c in commands if isinstance(c, dict)]
    for k in {k for k in keys if keys.count(k) > 1}:
        out.append(Problem((), f"Duplicate command {k[0]!r} (type {k[1]}).", "APPLICATION_COMMANDS_DUPLICATE_NAME"))
    return out
