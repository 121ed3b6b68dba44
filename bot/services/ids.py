"""Record ids the user types (`source remove 12`, `/unsubscribe 3`): digits that fit the
model's id column, or nothing. Larger numbers can't name a record, so they are "not found"
rather than an overflow in the database driver."""

from __future__ import annotations

from tortoise.models import Model

MAX_DIGITS = 20  # more digits than any 64-bit id: not read further


def record_id(model: type[Model], ref: str) -> int | None:
    """``ref`` as an id of ``model`` when it is ASCII digits within the id column's range."""
    ref = ref.strip()
    if not ref or len(ref) > MAX_DIGITS or not (ref.isascii() and ref.isdigit()):
        return None
    value = int(ref)
    bounds = model._meta.fields_map[model._meta.pk_attr].constraints
    return value if bounds.get("ge", 0) <= value <= bounds.get("le", 2**63 - 1) and value > 0 else None
