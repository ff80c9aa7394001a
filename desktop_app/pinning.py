"""CPU pinning for one kind of machine: opt-in, off by default (`DIGIT_STUDIO_PIN_CPUS=1`).

`CpuPinning` is a `core.placement.Placement`: it keeps the two halves of a grid frame on
different CPUs, and background work on the helper's CPUs. It was tuned on one 2-vCPU
machine whose kernel packs lightly loaded threads onto as few vCPUs as it can
(`sched_vcpu_pack`): after a pause of 8 ms or more the helper's half woke on the UI
thread's vCPU and the halves ran by turns (64 digits: 7.3 ms at p50 after each 40 ms pause,
3.9 ms back to back, 4.2 ms pinned); with background work held to the helper's CPUs, busy
grid p99 went 11.57 → 10.59 ms there (docs/performance.md). That is about 1 ms of p99 on
that machine, for two system calls per grid frame; on other machines it may cost instead.
So it is off unless asked for, and the benchmark measures both (`python -m
desktop_app.bench --pinning on` / `off`).

The calling thread is held to every other CPU it may use for the length of a split, and
gets its own mask back when the split ends, so nothing it starts later inherits the
narrower one. Should that restore fail (a cpuset changed under the app), pinning turns
itself off for the rest of the run rather than raise out of a frame.

Linux only (`os.sched_setaffinity` on a thread); elsewhere, with a single CPU, or where the
mask cannot be changed, nothing is pinned.

    python -m desktop_app                        # no pinning
    DIGIT_STUDIO_PIN_CPUS=1 python -m desktop_app
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Iterator, Mapping

from .core.models import placement

ENV = "DIGIT_STUDIO_PIN_CPUS"


def wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """True when `environ` asks for pinning ("1", "on", "yes" or "true")."""
    return environ.get(ENV, "").strip().lower() in {"1", "on", "yes", "true"}


def install_from_env(environ: Mapping[str, str] = os.environ) -> bool:
    """Install `CpuPinning` if `environ` asks for it (else no placement); True if on."""
    on = wanted(environ)
    placement.install(CpuPinning() if on else None)
    return on


def _split() -> tuple[set[int], list[int], list[int]] | None:
    """(the calling thread's CPUs, the caller's half of them, the helper's half), or None
    where the mask cannot be read or holds fewer than two."""
    try:
        allowed = os.sched_getaffinity(0)  # 0: the calling thread, on Linux
    except (AttributeError, OSError):
        return None
    cpus = sorted(allowed)
    return (allowed, cpus[0::2], cpus[1::2]) if len(cpus) >= 2 else None


class CpuPinning:
    """The halves of a split frame on different CPUs; background work on the helper's."""

    def __init__(self) -> None:
        self.enabled = True
        self._local = threading.local()

    def background_cpus(self) -> frozenset[int] | None:
        """The CPUs that `split` gives the helper, from the calling thread's mask; None
        where nothing can be pinned."""
        split = _split() if self.enabled else None
        return frozenset(split[2]) if split else None

    @contextmanager
    def split(self) -> Iterator[frozenset[int] | None]:
        """Hold the calling thread to every other CPU it may use until the block ends;
        yields the other CPUs, for the helper, or None where nothing could be pinned."""
        split = _split() if self.enabled else None
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
            try:
                os.sched_setaffinity(0, allowed)
            except OSError:
                # The caller keeps the narrow mask it has; nothing narrows it again, and
                # the frame's own result or error goes through untouched.
                self.enabled = False

    def helper(self, token: object) -> None:
        self.hold_to(token)

    def background(self) -> None:
        self.hold_to(self.background_cpus())

    def hold_to(self, cpus) -> None:
        """Hold the calling thread to `cpus` (None: leave it); the system call is made
        only when they change."""
        if cpus is None or getattr(self._local, "cpus", None) == cpus:
            return
        self._local.cpus = cpus  # set even when refused: never retried on every frame
        try:
            os.sched_setaffinity(0, cpus)
        except OSError:
            pass
