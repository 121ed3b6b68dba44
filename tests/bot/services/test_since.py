"""Issue 10, defect 14: `since` (in /brief, /statements and the console) is read at the edge: any
text gives a time at most 3650 days back or an InvalidInputError, never an overflow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import InvalidInputError
from bot.services.scope import MAX_SINCE, parse_since

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
FUZZ_EXAMPLES = 800


@pytest.mark.parametrize(("text", "reason"), [
    ("99999999999d", "too long"), ("3651d", "too long"), ("9" * 5000 + "w", "too long"),
    ("0001-01-01T00:00+14:00", "too far back"), ("0001-01-01", "too far back"), ("1900-01-01", "too far back"),
    ("9999-12-31T23:59-14:00", "in the future"), ("2026-11-22", "in the future"),
    ("٣d", "can't read"), ("²h", "can't read"), ("someday", "can't read"), ("2026-11-20" + "0" * 100, "can't read"),
])
def test_since_out_of_range_is_a_clear_error(text: str, reason: str) -> None:
    with pytest.raises(InvalidInputError, match=reason):
        parse_since(text, NOW)


@pytest.mark.parametrize(("text", "back"), [
    ("24h", timedelta(hours=24)), ("3650d", timedelta(days=3650)), ("90m", timedelta(minutes=90)),
    ("2w", timedelta(weeks=2)), ("0d", timedelta(0)), ("2026-11-20", timedelta(days=1, hours=12)),
    ("2026-11-20T10:00+05:00", timedelta(days=1, hours=7)), ("2026-11-20t10:00", timedelta(days=1, hours=2)),
])
def test_since_reads_spans_and_dates(text: str, back: timedelta) -> None:
    moment = parse_since(text, NOW)
    assert moment == NOW - back and moment.utcoffset() == timedelta(0)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.text(max_size=60),
    st.from_regex(r"\A\s*[0-9٣]{1,30}\s*(m|min|h|hours|d|days|w|weeks)?\s*\Z"),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat() + st_offsets[d.microsecond % len(st_offsets)]),
))
def test_since_fuzz_gives_a_bounded_time_or_a_clear_error(text: str) -> None:
    try:
        moment = parse_since(text, NOW)
    except InvalidInputError:
        return
    if not text.strip():
        assert moment is None  # no `since`: the command's default
        return
    assert moment is not None and NOW - MAX_SINCE <= moment <= NOW


st_offsets = ("+14:00", "-14:00", "Z", "+23:59", "-23:59", "")
