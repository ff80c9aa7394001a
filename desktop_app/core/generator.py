"""`Generator`: one ONNX generator behind a small NumPy API.

    gen = Generator.from_path("exported_models/generator.onnx")
    images = gen.generate(z)            # z : (n, latent_dim) float32 -> (n, 28, 28) in [0, 1]
    images = gen.generate(z, labels)    # conditional models: labels : (n,) int64, 0..9

Loading checks the file against the contract (see `contract.py`) and runs a two-sample
probe, so a model that loads is a model that renders.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

import numpy as np
import onnxruntime as ort

from . import contract
from .contract import ContractError, ModelInfo
from .session import ContractModel

# From this many samples on, half the batch runs on a helper thread. Two single-threaded
# runs side by side beat one run on ORT's two-thread pool on a 2-core machine (64 digits:
# p50 3.4 ms against 6.1 ms), and no pool threads are left to spin between frames.
_SPLIT_THRESHOLD = 16
_helper: ThreadPoolExecutor | None = None


def _helper_thread() -> ThreadPoolExecutor:
    global _helper
    if _helper is None:  # made on first use: most sessions never show a grid
        _helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="generator-half")
    return _helper


class Generator(ContractModel):
    """A contract-checked generator session; `generate` is cheap enough to call per frame."""

    KIND = "generator"

    def __init__(self, session: ort.InferenceSession, info: ModelInfo):
        super().__init__(session, info)
        contract.check_generator_io(info.path, info, session.get_inputs(), session.get_outputs())
        self._out = ["image"]
        self._probe()

    @property
    def latent_dim(self) -> int:
        return self.info.latent_dim

    @property
    def conditional(self) -> bool:
        return self.info.conditional

    def _probe(self) -> None:
        z = np.zeros((2, self.latent_dim), np.float32)
        labels = np.array([0, 1], np.int64) if self.conditional else None
        try:
            out = self._run(self._session, z, labels)
        except Exception as exc:  # noqa: BLE001 - any ORT failure means "does not render"
            raise ContractError(self.path, f"a probe run failed ({str(exc)[:200]})") from None
        contract.check_probe(self.path, "image", out, (2, 28, 28))

    def _run(self, session: ort.InferenceSession, z: np.ndarray,
             labels: np.ndarray | None) -> np.ndarray:
        feeds = {"z": z}
        if labels is not None:
            feeds["label"] = labels
        return session.run(self._out, feeds)[0]

    def _run_split(self, z: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
        """Both halves at once: ORT releases the GIL and a session may run concurrently."""
        h = len(z) // 2
        other = _helper_thread().submit(self._run, self._session, z[h:],
                                        None if labels is None else labels[h:])
        first = self._run(self._session, z[:h], None if labels is None else labels[:h])
        return np.concatenate([first, other.result()])

    def generate(self, z: np.ndarray, labels: np.ndarray | Sequence[int] | None = None
                 ) -> np.ndarray:
        """Images for latents `z`.

        z : (n, latent_dim) or (latent_dim,) float; labels : (n,) ints in 0..9, required for
        conditional models and refused otherwise. Returns (n, 28, 28) float32 in [0, 1].
        """
        z = np.ascontiguousarray(z, dtype=np.float32)
        if z.ndim == 1:
            z = z[None, :]
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (n, {self.latent_dim}), got {z.shape}")
        if self.conditional:
            if labels is None:
                raise ValueError("this conditional generator needs a digit label per sample")
            labels = np.ascontiguousarray(np.broadcast_to(labels, (z.shape[0],)), np.int64)
            if labels.size and (labels.min() < 0 or labels.max() >= self.info.num_classes):
                raise ValueError(f"labels must be in 0..{self.info.num_classes - 1}")
        elif labels is not None:
            raise ValueError("this generator is unconditional; it takes no labels")
        if z.shape[0] >= _SPLIT_THRESHOLD:
            return self._run_split(z, labels)
        return self._run(self._session, z, labels)
