"""Frames come first: background batches wait for a pause in the frames, never the reverse."""

from __future__ import annotations

import threading

import numpy as np

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
