"""The real bot as a child process (`briefbot run`, `briefbot sync`), with its log captured so
tests can wait for what it reports instead of sleeping."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

BRIEFBOT = str(Path(sys.executable).with_name("briefbot"))


def bot_env(base: Mapping[str, str], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "FETCH_", "DATABASE_", "BRIEFBOT_"))}
    env.update(base)
    env.update(extra)
    return env


def processes_env(d: Any, database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of several `briefbot run --roles` processes on one database, against the
    Discord stand-in ``d`` and local feeds: quick ticks and beats, one CPU worker each."""
    return bot_env({}, DISCORD_TOKEN=d.token, DISCORD_API_BASE=d.api_base, DISCORD_GATEWAY_URL=d.gateway_url,
                   DATABASE_URL=database_url, DATA_DIR=str(data_dir), FETCH_ALLOW_PRIVATE="true",
                   FETCH_PAGES="false", EXTRACT_WORKERS="1", MODEL_THREADS="1", LOG_LEVEL="INFO",
                   POLL_INTERVAL_S="3600", DELIVERY_TICK_S="1", WORKER_HEARTBEAT_S="1", **extra)


class BotProcess:
    def __init__(self, env: Mapping[str, str], *args: str) -> None:
        self.args = args or ("run",)
        self.env = dict(env)
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def start(self) -> BotProcess:
        self.proc = subprocess.Popen([BRIEFBOT, *self.args], env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @property
    def log(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def wait_until(self, predicate: Callable[[list[str]], bool], timeout: float = 60, *, what: str = "") -> None:
        """Wait until ``predicate(log lines)`` holds; fail if the process exits first."""
        with self._cond:
            ok = self._cond.wait_for(lambda: predicate(self.lines)
                                     or (self.proc is not None and self.proc.poll() is not None), timeout=timeout)
            if predicate(self.lines):
                return
            tail = "\n".join(self.lines[-40:])
        raise AssertionError(f"bot {'exited' if ok else 'timed out'} before {what}; last lines:\n{tail}")

    def wait_log(self, pattern: str, timeout: float = 60, *, count: int = 1) -> list[str]:
        """Wait until ``count`` log lines match ``pattern`` (a regex); fail if the process exits first."""
        rx = re.compile(pattern)
        with self._cond:
            ok = self._cond.wait_for(
                lambda: len([ln for ln in self.lines if rx.search(ln)]) >= count
                or (self.proc is not None and self.proc.poll() is not None), timeout=timeout)
            hits = [ln for ln in self.lines if rx.search(ln)]
            if len(hits) >= count:
                return hits
            tail = "\n".join(self.lines[-40:])
        state = "exited" if ok else "timed out"
        raise AssertionError(f"bot {state} before logging {pattern!r} x{count}; last lines:\n{tail}")

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, as a service manager stops it; returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        if self._reader is not None:
            self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        if self._reader is not None:
            self._reader.join(timeout=5)


def run_once(env: Mapping[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BRIEFBOT, *args], env=dict(env), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)


def run_together(script: str, args: list[str], count: int, *, timeout: float = 600) -> list[str]:
    """Run ``count`` copies of a Python ``script`` that prints "ready", waits for a line on stdin and
    then works: all are released at once; returns the last line each printed."""
    procs = [subprocess.Popen([sys.executable, "-c", script, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True) for _ in range(count)]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        return [p.communicate(timeout=timeout)[0].strip().splitlines()[-1] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
