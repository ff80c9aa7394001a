"""`Generator`: one ONNX generator behind a small NumPy API.

    gen = Generator.from_path("exported_models/generator.onnx")
    images = gen.generate(z)            # z : (n, latent_dim) float32 -> (n, 28, 28) in [0, 1]
    images = gen.generate(z, weights)   # conditional: weights (n, k) or (k,) on the simplex

Loading checks the file against the contract (see `contract.py`) and tries it (probe.py,
in a child process): every batch size the app uses, every one-hot class and a blend, each
within a time and memory budget. So a model that loads is a model that renders: finite
grey levels in [0, 1] everywhere the app will feed it, in time for a frame. Every later
call has a deadline too (deadline.py).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

import numpy as np
import onnxruntime as ort

from ..explore.weights import check as check_weights
from . import deadline, placement
from .contract import ModelInfo
from .model import ContractModel
from .probe import call_seconds

# From this many samples on, half the batch runs on a helper thread. Two single-threaded
# runs side by side beat one run on ORT's two-thread pool on a 2-core machine (64 digits:
# p50 3.4 ms against 6.1 ms), and no pool threads are left to spin between frames.
_SPLIT_THRESHOLD = 16
# Background work starts a batch only once no frame has been drawn for this long: frames
# come first. A drag (a frame every ~16 ms) holds it back; path playback at 30 fps (33 ms
# apart) does not.
QUIET_S = 0.02


class Generator(ContractModel):
    """A contract-checked generator session; `generate` is cheap enough to call per frame."""

    KIND = "generator"

    def __init__(self, session: ort.InferenceSession, info: ModelInfo, tried: bool = False):
        super().__init__(session, info, tried)
        self._out = ["image"]
        # Each generator owns its helper, made with it (no shared global made on first use
        # by whichever thread came first); its thread starts only when a grid is drawn.
        # Only frames use it: background work never queues in front of a frame's half.
        self._helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="generator-half")
        self._frames = 0  # `generate` calls running now
        self._last_frame = 0.0  # time.monotonic() when the last one ended
        self._frames_changed = threading.Condition()

    @property
    def latent_dim(self) -> int:
        return self.info.latent_dim

    @property
    def conditional(self) -> bool:
        return self.info.conditional

    @property
    def num_classes(self) -> int:
        """Width of `class_weights`: 0 for unconditional models."""
        return self.info.num_classes

    @property
    def clusters(self) -> bool:
        """True when the classes are k-means clusters (metadata `classes` "clusters")."""
        return self.info.clusters

    @property
    def class_priors(self) -> tuple[float, ...] | None:
        """A cluster model's priors (random samples draw their cluster by them); else None."""
        return self.info.class_priors if self.info.clusters else None

    def _run(self, session: ort.InferenceSession, z: np.ndarray,
             weights: np.ndarray | None) -> np.ndarray:
        feeds = {"z": z}
        if weights is not None:
            feeds["class_weights"] = weights
        try:
            return deadline.run(session, self._out, feeds, call_seconds(len(z)))[0]
        except Exception as exc:  # noqa: BLE001 - ORT raises its own untyped pybind errors
            raise self.run_error(exc, f"drawing {len(z)} digit{'s' if len(z) > 1 else ''}"
                                 ) from None

    def _run_split(self, z: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        """Both halves at once: ORT releases the GIL and a session may run concurrently.
        Where each half runs is the installed placement's business (placement.py)."""
        h = len(z) // 2
        with placement.current().split() as theirs:
            other = self._helper.submit(self._run_half, theirs, z[h:],
                                        None if weights is None else weights[h:])
            first = self._run(self._session, z[:h], None if weights is None else weights[:h])
            return np.concatenate([first, other.result()])

    def _run_half(self, token, z: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        placement.current().helper(token)
        return self._run(self._session, z, weights)

    def generate(self, z: np.ndarray, class_weights: np.ndarray | Sequence | None = None
                 ) -> np.ndarray:
        """Images for latents `z`.

        z : (n, latent_dim) or (latent_dim,) float; class_weights : (n, num_classes), or
        (num_classes,) for every sample, non-negative rows summing to 1; required for
        conditional models and refused otherwise. Returns (n, 28, 28) float32 in [0, 1].
        """
        z, weights = self._checked(z, class_weights)
        with self._frames_changed:
            self._frames += 1
        try:
            if z.shape[0] >= _SPLIT_THRESHOLD:
                return self._run_split(z, weights)
            return self._run(self._session, z, weights)
        finally:
            with self._frames_changed:
                self._frames -= 1
                self._last_frame = time.monotonic()
                self._frames_changed.notify_all()

    def generate_background(self, z: np.ndarray,
                            class_weights: np.ndarray | Sequence | None = None) -> np.ndarray:
        """`generate` for background work: on the calling thread only (the frame helper
        stays free), and only once frames have paused for `QUIET_S`. A frame that arrives
        while such a batch runs shares the CPU with it, so callers keep batches small."""
        z, weights = self._checked(z, class_weights)
        self.wait_for_quiet()
        return self._run(self._session, z, weights)

    def wait_for_quiet(self) -> None:
        """Block until no frame is being drawn and none has been for `QUIET_S`."""
        with self._frames_changed:
            while True:
                waited = time.monotonic() - self._last_frame
                if self._frames == 0 and waited >= QUIET_S:
                    return
                self._frames_changed.wait(QUIET_S - waited if self._frames == 0 else None)

    def close(self) -> None:
        """Stop the helper thread (the session itself is freed with the object)."""
        self._helper.shutdown(wait=False)

    def _checked(self, z, class_weights) -> tuple[np.ndarray, np.ndarray | None]:
        z = np.ascontiguousarray(z, dtype=np.float32)
        if z.ndim == 1:
            z = z[None, :]
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (n, {self.latent_dim}), got {z.shape}")
        weights = None
        if self.conditional:
            if class_weights is None:
                raise ValueError("this conditional generator needs class_weights per sample")
            weights = check_weights(class_weights, self.info.num_classes, z.shape[0])
        elif class_weights is not None:
            raise ValueError("this generator is unconditional; it takes no class_weights")
        return z, weights
