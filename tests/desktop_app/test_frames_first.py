"""Frames come first: background batches wait for a pause in the frames, never the reverse.

The generator runs a real session wrapped so that a call made from a chosen thread is held
open until the test lets it go: a frame (or a background batch) that lasts exactly as long
as the test needs. Nothing is decided by a sleep: each test waits for the event it is about
(with a generous deadline that only a broken generator reaches), so a loaded machine only
makes the tests slower.
"""

from __future__ import annotations

import sys
import threading

import numpy as np
import onnxruntime as ort
import pytest

from desktop_app.core.models.generator import Generator

DEADLINE_S = 60.0  # for things that happen at once on a working generator


class _HeldSession:
    """A real session whose calls from `held_thread` stay open until `release` is set.

    `log` records, in order, ("start" | "end", thread name) for every call."""

    def __init__(self, session: ort.InferenceSession):
        self._session = session
        self.held_thread: threading.Thread | None = None
        self.entered = threading.Event()  # the held call has begun
        self.release = threading.Event()
        self.log: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def _note(self, what: str) -> None:
        with self._lock:
            self.log.append((what, threading.current_thread().name))

    def run(self, outputs, feeds, options=None):
        self._note("start")
        try:
            if threading.current_thread() is self.held_thread:
                self.entered.set()
                assert self.release.wait(2 * DEADLINE_S), "the test never released the held call"
                options = None  # held past any deadline on purpose: the real run gets a fresh one
            return self._session.run(outputs, feeds, options)
        finally:
            self._note("end")

    def __getattr__(self, name):
        return getattr(self._session, name)


def _held_generator(path) -> tuple[Generator, _HeldSession]:
    session = _HeldSession(ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]))
    return Generator.from_session(session, path), session


def _inputs(gen, n):
    z = np.random.default_rng(0).standard_normal((n, gen.latent_dim)).astype(np.float32)
    return z, (np.eye(gen.num_classes, dtype=np.float32)[np.arange(n) % gen.num_classes]
               if gen.conditional else None)


def _thread(name, target) -> threading.Thread:
    """A daemon thread that keeps what `target` returned, or raised, in `.result`."""
    def body():
        try:
            t.result = target()
        except BaseException as exc:  # noqa: BLE001 - handed to the test, which raises it
            t.result = exc
    t = threading.Thread(target=body, name=name, daemon=True)
    t.result = None
    return t


def _blocks_in_a_wait(signal: threading.Event, target):
    """`target` run with `signal` set as soon as this thread blocks in a threading wait
    (a Condition or Event): the moment a background call starts waiting for the frames."""
    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_name == "wait" and frame.f_code.co_filename.endswith("threading.py"):
            signal.set()

    def body():
        sys.setprofile(profile)
        try:
            return target()
        finally:
            sys.setprofile(None)
    return body


@pytest.mark.parametrize("name", ["generator.onnx", "conditional.onnx"])
def test_background_batch_waits_while_a_frame_is_drawn_and_runs_after(model_dir, name):
    gen, session = _held_generator(model_dir / name)
    z, w = _inputs(gen, 8)  # fewer than a split grid: one call, on the frame's own thread
    frame = _thread("frame", lambda: gen.generate(z, w))
    session.held_thread = frame
    frame.start()
    assert session.entered.wait(DEADLINE_S), "the frame never reached the model"

    waiting = threading.Event()
    background = _thread("background", _blocks_in_a_wait(waiting, lambda: gen.generate_background(z, w)))
    background.start()
    # Until the background call either blocks or reaches the model, the frame stays open.
    for _ in range(int(DEADLINE_S * 10)):
        if waiting.is_set() or ("start", "background") in session.log:
            break
        waiting.wait(0.1)
    assert ("start", "background") not in session.log, "a background batch ran while a frame was being drawn"
    assert waiting.is_set(), "the background call neither waited nor ran"

    session.release.set()
    frame.join(DEADLINE_S)
    background.join(DEADLINE_S)
    assert not frame.is_alive() and not background.is_alive()
    assert isinstance(background.result, np.ndarray), background.result
    # It ran once the frame had ended, and drew the same pictures a frame would.
    assert session.log.index(("start", "background")) > session.log.index(("end", "frame"))
    np.testing.assert_array_equal(background.result, gen.generate(z, w))
    np.testing.assert_array_equal(frame.result, background.result)


def test_frames_never_wait_for_background_work(model_dir):
    """A frame asked for while a background batch is in the model is drawn at once, on the
    caller's thread: single digits and a split 8x8 grid alike."""
    gen, session = _held_generator(model_dir / "generator.onnx")
    z, _ = _inputs(gen, 64)
    background = _thread("background", lambda: gen.generate_background(z[:8]))
    session.held_thread = background
    background.start()
    assert session.entered.wait(DEADLINE_S), "the background batch never reached the model"
    try:
        for n in (1, 64):
            frame = _thread(f"frame{n}", lambda n=n: gen.generate(z[:n]))
            frame.start()
            frame.join(DEADLINE_S)  # a frame that waited for the held batch would still be here
            assert not frame.is_alive(), f"a frame of {n} waited for background work"
            assert isinstance(frame.result, np.ndarray) and frame.result.shape == (n, 28, 28)
        assert ("end", "background") not in session.log  # the batch was in the model throughout
    finally:
        session.release.set()
        background.join(DEADLINE_S)
    np.testing.assert_array_equal(background.result, gen.generate(z[:8]))
