"""Keeping the two halves of a grid frame on different CPUs.

A grid frame runs as two single-threaded halves side by side (`Generator._run_split`).
A scheduler may still put both on one CPU. This project's 2-vCPU machine packs lightly
loaded threads onto as few vCPUs as it can (its kernel runs with `sched_vcpu_pack`), so
after a pause of 8 ms or more the helper's half woke up on the UI thread's CPU and the
two halves ran by turns: a 64-digit frame took 7.3 ms at p50 after each 40 ms pause,
against 3.9 ms back to back. With the calling thread held to one half of its CPUs for
the length of the split and the helper to the other half, it took 4.2 ms.

The calling thread gets its own mask back when the split ends, so nothing it starts
later inherits the narrower one.

Background work (directions, digit search) keeps to the helper's CPUs for good
(`background_cpus`): it never runs where the UI thread draws its half of a grid, the UI
thread always has a CPU without it for single-digit frames, and the CPU it keeps busy is
the one the helper wakes on. Busy frames every 40 ms with directions computing, 2000 of
each, interleaved in blocks of 25: grid p99 11.57 → 10.59 ms, single digit 4.97 → 4.38 ms.

Linux only (`os.sched_setaffinity` on a thread); elsewhere, with a single CPU, or where
the mask cannot be changed (a cpuset that refuses it), nothing is pinned.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Iterator

_local = threading.local()


def _split() -> tuple[set[int], list[int], list[int]] | None:
    """(the calling thread's CPUs, the caller's half of them, the helper's half), or None
    where the mask cannot be read or holds fewer than two."""
    try:
        allowed = os.sched_getaffinity(0)  # 0: the calling thread, on Linux
    except (AttributeError, OSError):
        return None
    cpus = sorted(allowed)
    return (allowed, cpus[0::2], cpus[1::2]) if len(cpus) >= 2 else None


def background_cpus() -> frozenset[int] | None:
    """The CPUs that `held_apart` gives the helper, from the calling thread's mask; None
    where nothing can be pinned."""
    split = _split()
    return frozenset(split[2]) if split else None


@contextmanager
def held_apart() -> Iterator[frozenset[int] | None]:
    """Hold the calling thread to every other CPU it may use until the block ends; yields
    the other CPUs, for the helper (`hold_to`), or None where nothing could be pinned."""
    split = _split()
    if split is None:
        yield None
        return
    allowed, mine, theirs = split
    try:
        os.sched_setaffinity(0, mine)
    except OSError:
        yield None
        return
    try:
        yield frozenset(theirs)
    finally:
        os.sched_setaffinity(0, allowed)


def hold_to(cpus: frozenset[int] | None) -> None:
    """Hold the calling thread (a frame helper, or a background thread) to `cpus`; the
    system call is made only when they change."""
    if cpus is None or getattr(_local, "cpus", None) == cpus:
        return
    _local.cpus = cpus  # set even when refused: never retried on every frame
    try:
        os.sched_setaffinity(0, cpus)
    except OSError:
        pass
