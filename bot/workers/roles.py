"""The roles of a `briefbot run` process: ``gateway`` (the Discord connection and its commands),
``poll`` (fetching sources), ``analyse`` (the language work, and the model's story briefings) and
``deliver`` (routing stories to subscriptions and posting them). Every role by default."""

from __future__ import annotations

from bot.errors import ConfigError

ROLES = ("gateway", "poll", "analyse", "deliver")
ALL = frozenset(ROLES)
_ALIASES = {"analyze": "analyse", "analysis": "analyse", "delivery": "deliver", "polling": "poll"}


def parse_roles(text: str | None) -> frozenset[str]:
    """``"gateway,deliver"`` -> the roles; empty or None: all of them."""
    if text is None or not text.strip():
        return ALL
    roles = set()
    for word in text.replace(" ", ",").split(","):
        word = word.strip().lower()
        if not word:
            continue
        role = _ALIASES.get(word, word)
        if role not in ALL:
            raise ConfigError(f"unknown role {word[:40]!r}: choose from {', '.join(ROLES)} (comma-separated)")
        roles.add(role)
    return frozenset(roles) or ALL


def describe(roles: frozenset[str]) -> str:
    return ",".join(r for r in ROLES if r in roles)
