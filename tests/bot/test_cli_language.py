"""`briefbot analyze` and `briefbot ask`: the stable JSON Lines interface, run as a real process."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.support.llm_server import LLMStandIn, Scripted, source_lines

BRIEFBOT = str(Path(sys.executable).with_name("briefbot"))

REPORT = (
    "Port workers in Velmar ended a nine-day strike on Friday after the harbour authority agreed to raise "
    "wages by 6 percent. \"We have won what we came for,\" union leader Petra Anand told reporters outside "
    "the terminal. The authority's director, Jonas Keel, said that ships delayed by the strike would be "
    "cleared within a week.\n\nThe strike had stranded more than 40 cargo vessels in the bay, a harbour official said."
)


async def briefbot(*args: str, stdin: bytes | None = None, stdin_file: Path | None = None,
                   timeout: float = 120, **settings: str) -> tuple[int, str, str]:
    """Run the command; ``stdin`` is piped in, or ``stdin_file`` redirected (``< FILE``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "LLM_"))}
    env["MODEL_THREADS"] = "1"
    env.update(settings)
    with open(stdin_file, "rb") if stdin_file else open(os.devnull, "rb") as redirected:
        proc = await asyncio.create_subprocess_exec(
            BRIEFBOT, *args, env=env, stdin=asyncio.subprocess.PIPE if stdin is not None else redirected,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout=timeout)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_analyze_writes_one_line_per_document_with_offsets_into_the_input(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([
        json.dumps({"id": "strike", "text": REPORT, "title": "Velmar port strike ends"}),
        "{not json",
        json.dumps({"id": "empty", "text": ""}),
        json.dumps({"id": 7, "text": "id is not a string"}),
    ]) + "\n")
    dst = tmp_path / "out.jsonl"
    code, _, err = await briefbot("analyze", "--input", str(src), "--output", str(dst))
    assert code == 1, "bad lines make the exit status non-zero"
    assert "line 2: not JSON" in err and "line 4: missing or non-string field(s): id" in err
    assert "Traceback" not in err
    rows = [json.loads(line) for line in dst.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["strike", "empty"]
    strike = rows[0]
    assert set(strike) == {"id", "summary", "summary_sentences", "actors", "statements"}
    for s in strike["summary_sentences"]:
        assert REPORT[s["start"]:s["end"]] == s["text"]
    names = {a["name"]: a for a in strike["actors"]}
    assert "Petra Anand" in names and names["Petra Anand"]["type"] == "PERSON"
    for actor in strike["actors"]:
        for start, end in actor["mentions"]:
            assert REPORT[start:end] in [actor["name"], *actor["aliases"]] or REPORT[start:end].rstrip("'s") in actor["name"]
    direct = [s for s in strike["statements"] if s["kind"] == "direct"]
    assert [(s["speaker"], s["text"]) for s in direct] == [("Petra Anand", "We have won what we came for")]
    for s in strike["statements"]:
        assert REPORT[s["span"][0]:s["span"][1]] == s["text"]
    assert any(s["speaker"] == "Jonas Keel" and s["kind"] == "indirect" for s in strike["statements"])
    by_role = [(s["speaker"], s["speaker_role"], s["text"]) for s in strike["statements"] if s["speaker_role"]]
    assert by_role == [(None, "a harbour official", "The strike had stranded more than 40 cargo vessels in the bay")]
    assert rows[1]["summary"] == "" and rows[1]["actors"] == [] and rows[1]["statements"] == []


async def test_ask_answers_with_citations_or_says_the_text_does_not(tmp_path: Path) -> None:
    lines = "\n".join([
        json.dumps({"id": "q1", "text": REPORT, "question": "How many cargo vessels did the strike strand?"}),
        json.dumps({"id": "q2", "text": REPORT, "question": "What did the mayor of Velmar say about tourism?"}),
    ]) + "\n"
    code, out, err = await briefbot("ask", "--input", "-", "--output", "-", stdin=lines.encode())
    assert code == 0, err
    q1, q2 = (json.loads(line) for line in out.splitlines())
    assert q1["answered"] and "40 cargo vessels" in q1["answer"]
    assert q1["citations"] and all(REPORT[c["start"]:c["end"]] == c["text"] for c in q1["citations"])
    assert q1["short"]["text"] == "40" and REPORT[q1["short"]["start"]:q1["short"]["end"]] == "40"
    assert not q2["answered"] and q2["citations"] == [] and "don't say" in q2["answer"]


async def test_ask_with_a_language_model_keeps_the_interface_and_names_who_answered() -> None:
    question = "How many cargo vessels did the strike strand?"
    lines = "\n".join(json.dumps({"id": f"q{i}", "text": REPORT, "question": question}) for i in (1, 2)) + "\n"
    with LLMStandIn() as llm:
        def cite_the_vessels(body: dict[str, object]) -> Scripted:
            n = next(n for n, s in source_lines(body).items() if "40 cargo" in s)
            return Scripted.answer(f"The strike stranded more than 40 cargo vessels [{n}].")

        llm.respond = cite_the_vessels
        llm.script(Scripted.answer("The strike stranded 90 vessels [1]."))  # q1: a wrong number
        code, out, err = await briefbot("ask", "-i", "-", "-o", "-", stdin=lines.encode(), LLM_BASE_URL=llm.root,
                                        LLM_MODEL="Writer-8B")
    assert code == 0, err
    q1, q2 = (json.loads(line) for line in out.splitlines())
    assert q1["model"] == "offline" and q1["answered"] and "40 cargo vessels" in q1["answer"]
    start = REPORT.index("The strike had")
    assert q2 == {"id": "q2", "answered": True, "model": "Writer-8B",
                  "answer": "The strike stranded more than 40 cargo vessels. [1]",
                  "citations": [{"start": start, "end": len(REPORT), "text": REPORT[start:]}]}


async def test_analyze_missing_input_is_one_clear_line(tmp_path: Path) -> None:
    code, _, err = await briefbot("analyze", "--input", str(tmp_path / "nope.jsonl"), "--output", "-")
    assert code == 1 and "cannot open" in err and "Traceback" not in err
