"""CPU pinning is process-level tuning: off unless asked for, installed in one place
(desktop_app/pinning.py through core/models/placement.py), and when on it keeps a grid frame's
halves on different CPUs and gives the caller its mask back, even when that fails."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from desktop_app import pinning
from desktop_app.core.models import placement
from desktop_app.core.models.generator import Generator

TWO_CPUS = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs Linux thread affinity and two CPUs")


def _inputs(gen, n):
    z = np.random.default_rng(0).standard_normal((n, gen.latent_dim)).astype(np.float32)
    return z, None


def _in_thread(fn):
    """Run `fn` on a fresh thread (its CPU mask is its own) and return what it returned."""
    out = {}
    t = threading.Thread(target=lambda: out.update(value=fn()))
    t.start()
    t.join(30)
    return out["value"]


@pytest.fixture
def pinned():
    """CpuPinning installed for this test only."""
    pins = pinning.CpuPinning()
    previous = placement.install(pins)
    yield pins
    placement.install(previous)


def test_pinning_is_off_unless_asked_for():
    assert isinstance(placement.current(), placement.NoPlacement)
    previous = placement.current()
    try:
        assert not pinning.install_from_env({})
        assert isinstance(placement.current(), placement.NoPlacement)
        assert not pinning.install_from_env({pinning.ENV: "0"})
        assert pinning.install_from_env({pinning.ENV: "1"})
        assert isinstance(placement.current(), pinning.CpuPinning)
    finally:
        placement.install(previous)


def test_a_grid_frame_makes_no_cpu_system_call_by_default(model_dir, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "sched_setaffinity", lambda *a: calls.append(a), raising=False)
    gen = Generator.from_path(model_dir / "generator.onnx")
    images = gen.generate(*_inputs(gen, 64))  # split in two halves
    assert images.shape == (64, 28, 28)
    assert calls == []


@TWO_CPUS
def test_a_split_frame_holds_its_halves_to_different_cpus_and_gives_the_mask_back(
        model_dir, pinned):
    gen = Generator.from_path(model_dir / "generator.onnx")
    allowed = os.sched_getaffinity(0)
    seen = {}
    run_half = gen._run_half

    def spying(token, z, w):  # the helper's half, as it runs
        out = run_half(token, z, w)
        seen["helper"] = os.sched_getaffinity(0)
        return out

    def frame():
        gen._run_half = spying
        run = gen._run
        caller = threading.get_ident()

        def main_half(session, z, w):
            if threading.get_ident() == caller:
                seen["caller"] = os.sched_getaffinity(0)
            return run(session, z, w)

        gen._run = main_half
        images = gen.generate(*_inputs(gen, 64))
        return images, os.sched_getaffinity(0)

    images, after = _in_thread(frame)
    assert images.shape == (64, 28, 28)
    assert seen["caller"] and seen["helper"] and not seen["caller"] & seen["helper"]
    assert seen["caller"] | seen["helper"] == allowed
    assert after == allowed  # nothing the caller starts later inherits the narrow mask


@TWO_CPUS
def test_a_failed_restore_turns_pinning_off_and_never_breaks_the_frame(model_dir, pinned,
                                                                      monkeypatch):
    """A cpuset that refuses the caller's own mask back: the frame is still drawn (the
    restore used to raise out of `finally`), and pinning stops for the rest of the run."""
    real, everything = os.sched_setaffinity, os.sched_getaffinity(0)
    calls = []

    def refuse_widening(pid, cpus):
        calls.append(set(cpus))
        if set(cpus) == everything:
            raise OSError(22, "Invalid argument")
        real(pid, cpus)

    gen = Generator.from_path(model_dir / "generator.onnx")

    def frames():
        monkeypatch.setattr(os, "sched_setaffinity", refuse_widening)
        first = gen.generate(*_inputs(gen, 64))
        count = len(calls)
        second = gen.generate(*_inputs(gen, 64))
        return first, second, count

    first, second, count = _in_thread(frames)
    np.testing.assert_array_equal(first, second)
    assert not pinned.enabled
    assert len(calls) == count  # no further system calls once off


def test_on_one_cpu_nothing_is_pinned(pinned):
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("no thread affinity here")

    def pinned_to_one():
        one = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {one})
        with pinned.split() as theirs:
            return theirs, os.sched_getaffinity(0), one

    theirs, inside, one = _in_thread(pinned_to_one)
    assert theirs is None and inside == {one}


@TWO_CPUS
def test_background_work_keeps_to_the_helpers_cpus_below_the_uis_priority(pinned):
    """With pinning on, directions and digit search never share a CPU with the UI thread's
    half of a frame; off, background threads keep their mask."""
    from desktop_app.views.widgets.background import BACKGROUND_NICENESS, BackgroundJobs

    def frame_masks():
        with pinned.split() as theirs:
            return os.sched_getaffinity(0), theirs

    caller, helper = _in_thread(frame_masks)
    mine = os.sched_getaffinity(0)
    seen = {}

    def job(token):
        seen.update(cpus=os.sched_getaffinity(0),
                    nice=os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    jobs = BackgroundJobs("test-background")
    jobs.submit(job)
    jobs.shutdown(30)
    assert seen["cpus"] == helper and not seen["cpus"] & caller
    assert seen["nice"] >= BACKGROUND_NICENESS
    assert os.sched_getaffinity(0) == mine  # the thread that submitted keeps its own mask
    placement.install(None)
    jobs = BackgroundJobs("test-background-off")
    jobs.submit(job)
    jobs.shutdown(30)
    assert seen["cpus"] == mine
