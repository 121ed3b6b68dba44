"""`make bench` (hostile input): `briefbot analyze` over mutated articles, run as a user runs it.

Each article is a small built-in report mutated from a seed: random cuts, inserted quotes and
brackets, long runs of punctuation, lone surrogates, control characters. One line in ten is broken
on purpose (not UTF-8, not JSON, nested 200,000 deep, a text over the limit). Prints, at two sizes
(articles N and 2N times the text length), the lines written, the bad lines, seconds and chars/s:
time linear in the input keeps chars/s about equal. Exits non-zero when a line goes missing.

    python -m bench.hostile_analyze [--articles 1000] [--seed 10]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BRIEFBOT = str(Path(sys.executable).with_name("briefbot"))
BASE = (
    "Port workers in Velmar ended a nine-day strike on Friday after the harbour authority agreed to raise "
    "wages by 6 percent. \"We have won what we came for,\" union leader Petra Anand told reporters outside "
    "the terminal. The authority's director, Jonas Keel, said that ships delayed by the strike would be "
    "cleared within a week. \"We will not give up the fight for our homes,\" said Mira Osei, Tomas Brandt, "
    "Ilse Varga and Henrik Dahl of the tenants' association. Mayor Ada Lindqvist (Green Party) called the "
    "deal [a turning point] and promised 'more talks' with the unions... The strike had stranded more than "
    "40 cargo vessels in the bay!"
)
QUOTES = "\"'“”‘’«»„‚‹›「」"
BRACKETS = "[](){}<>"
RUNS = (".", "!", "…", "?!", "\"", "“", "-", ",", " ", "\n")
ODD = ("\ud83d", "\udc00", "\x00", "\u200b", "\u202e", "\ufeff", "\r", "\t", "🙂", "é", "\u0301")
MAX_CHARS = 2_000_000


@dataclass(frozen=True, slots=True)
class Result:
    lines: int
    written: int
    bad: list[int]
    expected_bad: list[int]
    seconds: float
    chars: int
    code: int


def mutate(rng: random.Random, text: str, scale: int, longest_run: int = 3000) -> str:
    text = " ".join([text] * scale)
    for _ in range(rng.randint(1, 6)):
        at = rng.randrange(len(text) + 1)
        kind = rng.randrange(6)
        if kind == 0:  # a random cut
            end = rng.randrange(at, len(text) + 1)
            text = text[:at] + text[end:] if rng.random() < 0.5 else text[at:end] or text
        elif kind == 1:
            text = text[:at] + "".join(rng.choice(QUOTES) for _ in range(rng.randint(1, 5))) + text[at:]
        elif kind == 2:
            text = text[:at] + "".join(rng.choice(BRACKETS) for _ in range(rng.randint(1, 5))) + text[at:]
        elif kind == 3:  # a long run of punctuation, no spaces
            text = text[:at] + rng.choice(RUNS) * rng.randint(50, longest_run * scale) + text[at:]
        elif kind == 4:
            text = text[:at] + "".join(rng.choice(ODD) for _ in range(rng.randint(1, 8))) + text[at:]
        else:
            text = text[:at] + " said " + text[at:]
    return text


def broken(rng: random.Random, i: int) -> bytes:
    kind = i // 10 % 4
    if kind == 0:
        return json.dumps({"id": f"a{i}", "text": "caf"}).encode().replace(b"caf", b"caf\xe9\xff")
    if kind == 1:
        return b'{"id": "a%d", "text": "cut off' % i
    if kind == 2:
        return b"[" * 200_000
    return json.dumps({"id": f"a{i}", "text": "x" * (MAX_CHARS + 1)}).encode()


def mutated_lines(n: int, seed: int, *, scale: int = 1, longest_run: int = 3000) -> tuple[list[bytes], list[int]]:
    """``n`` JSON Lines (ASCII-escaped, so lone surrogates travel as \\udXXX) and the line
    numbers broken on purpose (every tenth)."""
    rng = random.Random(seed)
    lines, bad = [], []
    for i in range(n):
        if i % 10 == 9:
            lines.append(broken(rng, i))
            bad.append(i + 1)
            continue
        record: dict[str, str] = {"id": f"a{i}", "text": mutate(rng, BASE, scale, longest_run)}
        if rng.random() < 0.3:
            record["title"] = mutate(rng, "Velmar strike [ends] \"now\"", 1)[:300]
        lines.append(json.dumps(record).encode())
    return lines, bad


def run(n: int, seed: int, *, scale: int = 1, longest_run: int = 3000, workdir: Path | None = None,
        threads: int = 0) -> Result:
    lines, expected_bad = mutated_lines(n, seed, scale=scale, longest_run=longest_run)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        src, dst = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        src.write_bytes(b"\n".join(lines) + b"\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
        if threads:
            env["MODEL_THREADS"] = str(threads)
        started = time.perf_counter()
        proc = subprocess.run([BRIEFBOT, "analyze", "-i", str(src), "-o", str(dst)], env=env,
                              capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        written = len(dst.read_bytes().splitlines()) if dst.exists() else 0
    bad = sorted(int(line.split()[2].rstrip(":")) for line in proc.stderr.splitlines() if line.startswith("✗ line "))
    if "Traceback" in proc.stderr:
        print(proc.stderr[-3000:], file=sys.stderr)
    chars = sum(len(x) for i, x in enumerate(lines, 1) if i not in expected_bad)
    return Result(n, written, bad, expected_bad, seconds, chars, proc.returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()
    print(f"hostile analyze: {args.articles} mutated articles, seed {args.seed}")
    ok = True
    rates = []
    for scale in (1, 2):
        r = run(args.articles, args.seed, scale=scale)
        rates.append(r.chars / r.seconds)
        missing = r.lines - r.written - len(r.bad)
        print(f"  text x{scale}: {r.lines} lines, {r.written} written, {len(r.bad)} bad (expected "
              f"{len(r.expected_bad)}), {missing} missing, exit {r.code}, {r.seconds:.1f} s, "
              f"{r.chars / 1e6:.1f} M chars, {r.chars / r.seconds / 1000:.0f} k chars/s")
        ok &= missing == 0 and r.bad == r.expected_bad and r.code == 1
    print(f"  chars/s at x2 / at x1: {rates[1] / rates[0]:.2f} (about 1 when time is linear in the input)")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
