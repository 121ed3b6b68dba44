"""How many cores Briefbot uses and how it splits them between the analyser's torch threads and
the feed parsing and page extraction workers (``CPUS``; 0: the cores this process may run on).

Both kinds of work are CPU-bound and share the same cores: torch threads that outnumber the cores
left to them spin against the extraction workers (measured on a loaded 2-core machine: analysis
fell to 1.1 articles/s with 2 torch threads, against 8.2 with 1). So the analyser gets half the
cores (at most 4 threads, at least 1) and extraction the rest (at least 1).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MAX_MODEL_THREADS = 4


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and ``taskset`` set)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class CpuPlan:
    cores: int
    model_threads: int
    extract_workers: int

    def describe(self) -> str:
        return (f"{self.cores} core(s): {self.model_threads} torch thread(s), "
                f"{self.extract_workers} extraction worker(s)")


def plan(cpus: int = 0, *, model_threads: int = 0, extract_workers: int = 0) -> CpuPlan:
    """The split for ``cpus`` cores (0: :func:`usable_cores`); ``model_threads`` and
    ``extract_workers`` override their half when set (MODEL_THREADS, EXTRACT_WORKERS)."""
    cores = cpus or usable_cores()
    threads = model_threads or max(1, min(MAX_MODEL_THREADS, cores // 2))
    workers = extract_workers or max(1, cores - threads)
    return CpuPlan(cores, threads, workers)
