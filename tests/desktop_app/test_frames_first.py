"""Frames come first: background batches wait for a pause in the frames, never the reverse."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from desktop_app.core import affinity
from desktop_app.core.directions import compute_directions
from desktop_app.core.generator import Generator


def _inputs(gen, n):
    z = np.random.default_rng(0).standard_normal((n, gen.latent_dim)).astype(np.float32)
    return z, (np.eye(gen.num_classes, dtype=np.float32)[np.arange(n) % gen.num_classes]
               if gen.conditional else None)


def test_background_batch_waits_while_a_frame_is_drawn_and_runs_after(model_dir):
    gen = Generator.from_path(model_dir / "generator.onnx")
    z, w = _inputs(gen, 8)
    done = threading.Event()
    result = {}
    with gen._frames_changed:
        gen._frames += 1  # a frame is being drawn on the UI thread
    worker = threading.Thread(target=lambda: (result.update(images=gen.generate_background(z, w)), done.set()))
    worker.start()
    # Held back for as long as the frame lasts (a loaded machine only makes this wait longer).
    assert not done.wait(0.3)
    with gen._frames_changed:
        gen._frames -= 1
        gen._frames_changed.notify_all()
    worker.join(30)
    assert done.is_set()
    np.testing.assert_array_equal(result["images"], gen.generate(z, w))  # the same pictures


def test_frames_never_wait_for_background_work(model_dir):
    """A frame asked for while directions compute is drawn at once, on the caller's thread."""
    gen = Generator.from_path(model_dir / "generator.onnx")
    stop = threading.Event()
    worker = threading.Thread(target=lambda: _directions_until(gen, stop))
    worker.start()
    try:
        z, w = _inputs(gen, 64)
        for _ in range(20):
            images = gen.generate(z, w)  # would deadlock if frames waited on the background
            assert images.shape == (64, 28, 28)
    finally:
        stop.set()
        worker.join(60)
    assert not worker.is_alive()


def _directions_until(gen, stop: threading.Event) -> None:
    from desktop_app.core.directions import Cancelled

    try:
        compute_directions(gen, samples=256, should_stop=stop.is_set)
    except Cancelled:
        pass


def _in_thread(fn):
    """Run `fn` on a fresh thread (its CPU mask is its own) and return what it returned."""
    out = {}
    t = threading.Thread(target=lambda: out.update(value=fn()))
    t.start()
    t.join(30)
    return out["value"]


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="needs Linux thread affinity and two CPUs")
def test_a_split_frame_holds_its_halves_to_different_cpus_and_gives_the_mask_back(model_dir):
    gen = Generator.from_path(model_dir / "generator.onnx")
    allowed = os.sched_getaffinity(0)
    seen = {}
    run_half = gen._run_half

    def spying(cpus, z, w):  # the helper's half, as it runs
        out = run_half(cpus, z, w)
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


def test_on_one_cpu_nothing_is_pinned():
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("no thread affinity here")

    def pinned_to_one():
        one = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {one})
        with affinity.held_apart() as theirs:
            return theirs, os.sched_getaffinity(0), one

    theirs, inside, one = _in_thread(pinned_to_one)
    assert theirs is None and inside == {one}


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="needs Linux thread affinity and two CPUs")
def test_background_work_keeps_to_the_helpers_cpus_below_the_uis_priority():
    """Directions and digit search never share a CPU with the UI thread's half of a frame."""
    from desktop_app.views.background import BACKGROUND_NICENESS, BackgroundJobs

    def frame_masks():
        with affinity.held_apart() as theirs:
            return os.sched_getaffinity(0), theirs

    caller, helper = _in_thread(frame_masks)
    mine = os.sched_getaffinity(0)
    jobs = BackgroundJobs("test-background")
    seen = {}
    jobs.submit(lambda token: seen.update(
        cpus=os.sched_getaffinity(0),
        nice=os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
    jobs.shutdown(30)
    assert seen["cpus"] == helper and not seen["cpus"] & caller
    assert seen["nice"] >= BACKGROUND_NICENESS
    assert os.sched_getaffinity(0) == mine  # the thread that submitted keeps its own mask
