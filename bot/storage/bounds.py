"""The storage boundary: every value written to the database fits its column.

Write through ``fit(Model, **values)`` (or ``fitted(Model, **values)`` for an instance). Each string
is cleaned of what no database stores (lone surrogates, NUL: each becomes U+FFFD, one code point for
one, so offsets into a text stay valid) and bounded: display text (titles, authors, speakers,
summaries, details) is cut to its column with a marker; an identifying value (a URL, a key, a hash,
a verbatim quote) that does not fit is refused with ``FieldTooLong``, which fails that one record.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from tortoise import fields
from tortoise.models import Model

from bot.errors import BriefbotError

M = TypeVar("M", bound=Model)

MARKER = "…"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# Fields whose value identifies or is quoted word for word: never cut, refuse the record instead.
EXACT = frozenset({
    "url", "url_key", "canonical_url", "site_url", "guid", "item_key", "content_hash", "idempotency_key",
    "key", "digest_key", "alias_key", "timezone", "time_of_day", "kind", "type", "status", "stage",
    "extraction", "summary_method", "text",
})
# Caps for unbounded text columns (characters). Article text is bounded by the summarizer's limit.
TEXT_CAPS: dict[tuple[str, str], int] = {("articles", "text"): 2_000_000}
DEFAULT_TEXT_CAP = 20_000
# Display text whose exact form matters to nobody, in columns bounded by the schema, e.g. an
# article's text is exact (statements index it) while a thread turn's answer is display text.
DISPLAY_TEXT = frozenset({("thread_turns", "question"), ("thread_turns", "answer"), ("notices", "text")})


class FieldTooLong(BriefbotError):
    """A value that must be stored exactly does not fit its column."""

    def __init__(self, table: str, name: str, length: int, limit: int) -> None:
        super().__init__(f"{table}.{name} is {length:,} characters; the column holds {limit:,}")
        self.table = table
        self.field = name


def clean(value: str) -> str:
    """``value`` with lone surrogates and NUL replaced by U+FFFD (same length)."""
    return _UNSTORABLE.sub("\ufffd", value)


def clean_json(value: Any) -> Any:
    """A JSON value with every string in it (keys included) cleaned."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean_json(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    return value


def limit_of(model: type[Model], name: str) -> int | None:
    """The most characters column ``name`` of ``model`` may hold (None: not a text column)."""
    field = model._meta.fields_map.get(name)
    if isinstance(field, fields.CharField):
        return int(field.max_length)
    if isinstance(field, fields.TextField):
        return TEXT_CAPS.get((model._meta.db_table, name), DEFAULT_TEXT_CAP)
    return None


def cut(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters, ending with a marker when it was cut."""
    if len(value) <= limit:
        return value
    return value[: max(0, limit - len(MARKER))].rstrip() + MARKER


def fit(model: type[Model], **values: Any) -> dict[str, Any]:
    """``values`` made storable in ``model``'s columns (see the module docstring)."""
    table = model._meta.db_table
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, str):
            value = clean(value)
            limit = limit_of(model, name)
            if limit is not None and len(value) > limit:
                if name in EXACT and (table, name) not in DISPLAY_TEXT:
                    raise FieldTooLong(table, name, len(value), limit)
                value = cut(value, limit)
        elif isinstance(value, (dict, list, tuple)):
            value = clean_json(value)
        out[name] = value
    return out


def fitted(model: type[M], **values: Any) -> M:
    """An unsaved ``model`` instance built from ``fit(model, **values)`` (for ``bulk_create``)."""
    return model(**fit(model, **values))


def fit_instance(instance: Model, names: list[str] | tuple[str, ...]) -> None:
    """Make the named attributes of ``instance`` storable in place (before ``save(update_fields=...)``)."""
    values = fit(type(instance), **{n: getattr(instance, n) for n in names})
    for name, value in values.items():
        setattr(instance, name, value)
