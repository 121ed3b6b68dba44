"""The JSON Lines reader and batch runner behind `briefbot analyze` and `ask` (issue 10, defect 12):
every input line is accounted for, written or reported by its number, whatever the bytes."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.batch import BadLine, InputAborted, Numbered, clean_text, read_records, run_batches

FUZZ_EXAMPLES = 300


def records(data: bytes, required: tuple[str, ...] = ("id", "text"), **kw: Any) -> list[Numbered | BadLine]:
    return list(read_records(io.BytesIO(data), required, **kw))


def test_each_hostile_line_is_one_bad_line_and_the_rest_are_read() -> None:
    lines = [
        json.dumps({"id": "a", "text": "fine"}).encode(),
        b'{"id": "b", "text": "caf\xe9"}',                # Latin-1, not UTF-8
        b"[" * 200_000,                                   # nested deeper than any parser's stack
        json.dumps({"id": "c", "text": "x" * 101}).encode(),
        b"",                                              # blank: skipped, not bad
        b'{"id": "d", "text": "half \\ud83d a pair"}',     # a lone surrogate in JSON
        b"y" * 300_000,                                   # longer than the line cap
        json.dumps({"id": "e", "text": "last"}).encode(),
    ]
    got = records(b"\n".join(lines), max_chars=100, max_line_bytes=250_000)
    good = {r.line: r.record for r in got if isinstance(r, Numbered)}
    bad = {r.line: r.reason for r in got if isinstance(r, BadLine)}
    assert sorted(good) == [1, 6, 8]
    assert bad[2].startswith("not UTF-8") and "nested too deeply" in bad[3]
    assert "101 characters; the limit is 100" in bad[4] and "longer than 250,000 bytes" in bad[7]
    assert good[6]["text"] == "half \ufffd a pair" and len(good[6]["text"]) == len("half \ud83d a pair")


def test_an_endless_line_stops_the_input_with_a_reason() -> None:
    with pytest.raises(InputAborted, match="line 2 is longer than"):
        records(b'{"id": "a", "text": "b"}\n' + b"\0" * 10_000, max_line_bytes=100)


def test_a_failing_record_costs_only_its_own_line() -> None:
    """The batch is retried one record at a time; the failure is reported with its line number."""
    data = b"\n".join(json.dumps({"id": str(i), "text": "boom" if i in (3, 7) else "ok"}).encode()
                      for i in range(1, 11))
    calls: list[int] = []

    def process(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        calls.append(len(batch))
        if any(r["text"] == "boom" for r in batch):
            raise TypeError("cannot analyse this")
        return [{"id": r["id"]} for r in batch]

    out = io.BytesIO()
    report = run_batches(records(data), out, process, batch_size=4)
    assert [json.loads(x)["id"] for x in out.getvalue().splitlines()] == ["1", "2", "4", "5", "6", "8", "9", "10"]
    assert [(b.line, b.reason) for b in report.bad] == [(3, "TypeError: cannot analyse this"),
                                                        (7, "TypeError: cannot analyse this")]
    assert report.written == 8 and calls == [4, 1, 1, 1, 1, 4, 1, 1, 1, 1, 2]


def test_surrogates_never_reach_the_output_and_offsets_stay_valid() -> None:
    text = "A \ud83d B \udc00 C \ud83d\ude00 D"
    assert clean_text(text) == "A \ufffd B \ufffd C \ufffd\ufffd D" and len(clean_text(text)) == len(text)
    out = io.BytesIO()
    run_batches([Numbered(1, {"id": "x"})], out, lambda batch: [{"id": "\ud83d", "text": text}])
    assert json.loads(out.getvalue().decode("utf-8"))["id"] == "\ufffd"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["id", "text", "title", "q"]) | st.text(),
                                                                 inner, max_size=4),
    max_leaves=12,
)
line = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"id": st.text(max_size=20), "text": st.text(max_size=200)},
                          optional={"title": json_values}).map(lambda v: json.dumps(v, ensure_ascii=False).encode()),
    st.text(alphabet='[]{}"\\:,ud83 0', max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line, max_size=12), st.sampled_from([b"\n", b"\r\n"]), st.sets(st.integers(1, 12)))
def test_fuzz_every_line_is_written_or_reported_by_number(lines: list[bytes], sep: bytes, failing: set[int]) -> None:
    """Any bytes: the reader and runner never raise; each non-blank line is written or bad, once."""
    data = sep.join(lines)

    def process(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for r in batch:
            if int(r["_line"]) in failing:
                raise RuntimeError("fails")
        return [{"id": r["id"], "text": r["text"]} for r in batch]

    read = records(data, max_line_bytes=256)
    tagged: list[Numbered | BadLine] = []
    for r in read:
        if isinstance(r, Numbered):
            assert isinstance(r.record["id"], str) and isinstance(r.record["text"], str)
            assert not any("\ud800" <= c <= "\udfff" for c in r.record["id"] + r.record["text"])
            r.record["_line"] = r.line
        tagged.append(r)
    out = io.BytesIO()
    report = run_batches(tagged, out, process, batch_size=3)
    written = out.getvalue().splitlines()
    assert all(json.loads(x.decode("utf-8")) for x in written)
    numbers = [r.line for r in tagged if isinstance(r, Numbered) and r.line not in failing] + [b.line for b in report.bad]
    assert sorted(numbers) == sorted(r.line for r in tagged)  # each line once, written or bad
    assert len(written) == report.written == len(tagged) - len(report.bad)
