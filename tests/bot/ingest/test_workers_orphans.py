"""Extraction workers exit when the process that started them is killed outright (kill -9), and run
at a lower priority than the bot."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys

import pytest

from bot.ingest.workers import CpuPool

CHILD = """
import os, sys
from bot.ingest.workers import CpuPool
pool = CpuPool(2)
pool.warm_up()
pids = set()
while len(pids) < 2:  # both workers up, each having run a task
    pids |= {f.result() for f in [pool._executor.submit(os.getpid) for _ in range(8)]}
print(" ".join(map(str, sorted(pids))), flush=True)
sys.stdin.read()  # wait to be killed
"""


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs pidfd_open (Linux)")
def test_workers_exit_when_their_parent_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        workers = [int(p) for p in parent.stdout.readline().split()]
        assert len(workers) == 2
        handles = [os.pidfd_open(pid) for pid in workers]
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    poller = select.poll()
    for fd in handles:
        poller.register(fd, select.POLLIN)  # readable once the process has exited
    gone: set[int] = set()
    while len(gone) < len(handles):
        ready = poller.poll(15_000)
        assert ready, f"workers {workers} still running 15 s after their parent was killed"
        for fd, _ in ready:
            gone.add(fd)
            poller.unregister(fd)
    for fd in handles:
        os.close(fd)


async def test_extraction_processes_run_at_a_lower_priority_than_the_bot() -> None:
    """On shared cores the analyser and the commands come first: the workers are niced."""
    with CpuPool(2) as pool:
        theirs = await pool.run(os.nice, 0)
    assert theirs >= os.nice(0) + 10 or theirs == 19  # 19: the lowest priority there is
