"""Issue 10, defects 4, 12 and 13: `briefbot analyze` and `ask` (a real process) report each bad
line by its number and write every good one, whatever the input holds, and never overwrite their
input. The issue's check: 50 mutated articles in, one line each out (`make bench` runs 1,000)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench.hostile_analyze import mutated_lines
from bot.batch import clean_text
from tests.bot.test_cli_language import REPORT, briefbot

GOOD = json.dumps({"id": "good", "text": REPORT})


def bad_lines(err: str) -> dict[int, str]:
    out = {}
    for line in err.splitlines():
        if line.startswith("✗ line "):
            number, _, reason = line[len("✗ line "):].partition(": ")
            out[int(number)] = reason
    return out


async def test_analyze_reports_bad_lines_by_number_and_writes_the_rest(tmp_path: Path) -> None:
    lines = [
        GOOD.encode(),
        b'{"id": "latin1", "text": "caf\xe9"}',
        b"[" * 200_000,
        json.dumps({"id": "huge", "text": "x" * 2_000_001}).encode(),
        b'{"id": "half\\ud83d", "text": "A lone \\ud83d surrogate. \\"It stays,\\" said Petra Anand."}',
        json.dumps({"id": "stop", "text": ", , ,"}).encode(),
        json.dumps({"id": "dots", "text": "." * 20_000 + " The end."}).encode(),
        GOOD.replace('"good"', '"last"').encode(),
    ]
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    code, _, err = await briefbot("analyze", "--input", str(src), "--output", str(dst))
    assert code == 1 and "Traceback" not in err, err
    bad = bad_lines(err)
    assert sorted(bad) == [2, 3, 4], err
    assert bad[2].startswith("not UTF-8") and "nested too deeply" in bad[3] and "the limit is 2,000,000" in bad[4]
    rows = [json.loads(x) for x in dst.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["good", "half\ufffd", "stop", "dots", "last"]
    half = rows[1]
    text = "A lone \ufffd surrogate. \"It stays,\" said Petra Anand."
    assert all(text[s["span"][0]:s["span"][1]] == s["text"] for s in half["statements"])
    assert "5 written, 3 bad line(s)" in err


async def test_ask_isolates_each_bad_line(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "stop", "text": ", , ,", "question": "Who?"}).encode(),
        json.dumps({"id": "same", "text": "It is what it is.", "question": "What is it?"}).encode(),
        b'{"id": "x", "text": "\xff", "question": "?"}',
        json.dumps({"id": "q", "text": REPORT, "question": "How many cargo vessels did the strike strand?"}).encode(),
    ]
    code, out, err = await briefbot("ask", "-i", "-", "-o", "-", stdin=b"\n".join(lines))
    assert code == 1 and "Traceback" not in err and sorted(bad_lines(err)) == [3], err
    rows = {r["id"]: r for r in map(json.loads, out.splitlines())}
    assert set(rows) == {"stop", "same", "q"} and "40 cargo vessels" in rows["q"]["answer"]


@pytest.mark.parametrize("how", ["same", "hardlink", "symlink", "stdin"])
async def test_analyze_refuses_to_write_over_its_input(tmp_path: Path, how: str) -> None:
    src = tmp_path / "x.jsonl"
    src.write_text(GOOD + "\n")
    target = {"same": src, "hardlink": tmp_path / "hard.jsonl", "symlink": tmp_path / "sym.jsonl", "stdin": src}[how]
    if how == "hardlink":
        os.link(src, target)
    elif how == "symlink":
        target.symlink_to(src)
    args = ("-i", "-" if how == "stdin" else str(src), "-o", str(target))
    code, _, err = await briefbot("analyze", *args, stdin_file=src if how == "stdin" else None)
    assert code == 1 and "is the input" in err and "Traceback" not in err, err
    assert src.read_text() == GOOD + "\n"


async def test_analyze_over_50_mutated_articles_writes_one_line_per_input(tmp_path: Path) -> None:
    """Cuts, quotes, brackets, punctuation runs, lone surrogates; every tenth line broken on purpose."""
    lines, expected_bad = mutated_lines(50, seed=10, longest_run=200)
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    code, _, err = await briefbot("analyze", "-i", str(src), "-o", str(dst), timeout=300)
    assert code == 1 and "Traceback" not in err
    assert sorted(bad_lines(err)) == expected_bad
    good = [json.loads(x) for i, x in enumerate(lines, 1) if i not in expected_bad]
    texts = {r["id"]: clean_text(r["text"]) for r in good}
    rows = [json.loads(x) for x in dst.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == list(texts)
    for row in rows:
        text = texts[row["id"]]
        assert all(text[s["start"]:s["end"]] == s["text"] for s in row["summary_sentences"])
        assert all(text[s["span"][0]:s["span"][1]] == s["text"] for s in row["statements"])
        assert all(0 <= a <= b <= len(text) for actor in row["actors"] for a, b in actor["mentions"])
