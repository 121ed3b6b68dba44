"""CPUS: the models' torch threads and the extraction workers are sized together from the cores
this process may use."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.cpus import plan
from bot.settings import Settings


@pytest.mark.parametrize(("cores", "threads", "workers"), [(1, 1, 1), (2, 1, 1), (3, 1, 2), (4, 2, 2), (8, 4, 4),
                                                           (16, 4, 12)])
def test_the_cores_are_split_between_torch_threads_and_extraction(cores: int, threads: int, workers: int) -> None:
    p = plan(cores)
    assert (p.model_threads, p.extract_workers) == (threads, workers)
    assert p.model_threads + p.extract_workers <= max(cores, 2)  # never more busy threads than cores (but 1+1)


def test_model_threads_and_extract_workers_override_their_share() -> None:
    s = Settings(_env_file=None, cpus=8, model_threads=2)
    assert (s.cpu_plan.model_threads, s.cpu_plan.extract_workers) == (2, 6)
    s = Settings(_env_file=None, cpus=8, extract_workers=3)
    assert (s.cpu_plan.model_threads, s.cpu_plan.extract_workers) == (4, 3)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
def test_cpus_zero_follows_the_cores_the_process_may_run_on() -> None:
    code = ("import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
            "from bot.settings import Settings; p = Settings(_env_file=None).cpu_plan; "
            "print(p.cores, p.model_threads, p.extract_workers)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["1", "1", "1"]
