"""`Encoder`: a generator's encoder (image -> latent) behind a small NumPy API.

    enc = Encoder.from_path("exported_models/generator.encoder.onnx", generator=gen)
    z, weights = enc.encode(images)   # (n, 28, 28) in [0, 1] -> (n, latent_dim), (n, k) or None

An encoder belongs to one generator (docs/model-contract.md, "Encoders"): its metadata
names the generator's file (`generator`) and repeats its `latent_dim` and `num_classes`
(and, for a generator whose classes are clusters, `classes` and `class_priors`).
Given the generator, loading refuses an encoder made for another one, with one sentence,
because its latents would draw some other digit. `encoder_path_for(model)` is where an
encoder is looked for: beside the generator, as `<stem>.encoder.onnx`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Sequence

import numpy as np
import onnxruntime as ort

from ..models import contract, deadline, probe_process
from ..models.contract import ContractError, ModelInfo, ModelRunError
from ..models.model import ContractModel
from ..models.probe import call_seconds
from ..models.session import make_session

KIND = "encoder"
TRAIN = "python -m training encoder RUN_DIR --out {name}"


def _kind(info: ModelInfo) -> str:
    return "clusters" if info.clusters else "digits"


def encoder_path_for(model_path: str | Path) -> Path:
    """Where the encoder of `model_path` lives: `dir/x.onnx` -> `dir/x.encoder.onnx`."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".encoder.onnx")


def parse_encoder_metadata(path: Path, meta: dict[str, str]) -> tuple[ModelInfo, str]:
    """Check an encoder's metadata; returns its `ModelInfo` and the generator file it names.

    An encoder's table is a generator's (latent_dim required, num_classes 0 or 10 digits, or
    2..100 clusters with their `classes` and `class_priors`) plus the
    `generator` key, so the generator's rules check it and only `kind` is the encoder's own.
    """
    kind = meta.get("kind")
    if kind is None:
        raise ContractError(path, "its metadata lacks the required key 'kind'")
    if kind != KIND and meta.get("contract_version") != "1":
        what = f"a {kind}" if kind in ("generator", "classifier") else f"kind {str(kind)[:20]!r}"
        raise ContractError(path, f"its metadata says {what}, not an encoder")
    info = contract.parse_metadata(path, {**meta, "kind": "generator"}, "generator")
    generator = meta.get("generator", "").strip()
    if not generator:
        raise ContractError(path, "its metadata lacks the required key 'generator' (the file "
                                  "name of the generator it belongs to)")
    return dataclasses.replace(info, kind=KIND), generator


def read_encoder_file(path: str | Path) -> tuple[bytes, ModelInfo, str]:
    """`contract.read_model_file` for an encoder: the bytes, its info, its generator's name."""
    data, (info, generator) = contract.read_checked_file(path, parse_encoder_metadata)
    return data, info, generator


class Encoder(ContractModel):
    """A contract-checked encoder session: `encode(images) -> (z, class_weights or None)`."""

    KIND = KIND

    def __init__(self, session: ort.InferenceSession, info: ModelInfo, generator_name: str,
                 tried: bool = False):
        self.generator_name = generator_name
        self._out = ["z", "class_weights"] if info.num_classes > 0 else ["z"]
        super().__init__(session, info, tried)

    @classmethod
    def from_path(cls, path: str | Path, generator=None,
                  providers: Sequence[str] | None = None) -> "Encoder":
        """Load, check and try `path`; with `generator` (a `Generator`), also check that
        the encoder was made for it. Raises `ContractError` with a one-sentence reason."""
        data, info, generator_name = read_encoder_file(path)
        tried = probe_process.verdict(data, info)
        encoder = cls(make_session(data, info.path, 1, providers), info, generator_name, tried)
        if generator is not None:
            encoder.check_belongs_to(generator)
        return encoder

    @classmethod
    def from_session(cls, session: ort.InferenceSession, path: str | Path = "<session>"):
        meta = dict(session.get_modelmeta().custom_metadata_map)
        info, generator_name = parse_encoder_metadata(Path(path), meta)
        return cls(session, info, generator_name)

    @property
    def latent_dim(self) -> int:
        return self.info.latent_dim

    @property
    def num_classes(self) -> int:
        """Width of `class_weights`: 0 for encoders of unconditional generators."""
        return self.info.num_classes

    @property
    def conditional(self) -> bool:
        return self.info.num_classes > 0

    def check_belongs_to(self, generator) -> None:
        """Raise `ContractError` unless this encoder was made for `generator`."""
        gen_name = Path(generator.path).name
        if self.generator_name != gen_name:
            raise ContractError(self.path, f"it was made for the generator "
                                           f"{self.generator_name[:80]!r}, not {gen_name!r}; "
                                           f"train one with `{TRAIN.format(name=encoder_path_for(gen_name))}`")
        if (self.latent_dim, self.num_classes) != (generator.latent_dim, generator.num_classes):
            raise ContractError(self.path, f"it has latent_dim {self.latent_dim} and num_classes "
                                           f"{self.num_classes}, but {gen_name} has "
                                           f"{generator.latent_dim} and {generator.num_classes}")
        gen_info = generator.info
        if self.conditional and self.info.clusters != gen_info.clusters:
            raise ContractError(self.path, f"its classes are {_kind(self.info)}, but "
                                           f"{gen_name}'s are {_kind(gen_info)}; train one with "
                                           f"`{TRAIN.format(name=encoder_path_for(gen_name))}`")
        if self.info.clusters and not np.allclose(self.info.class_priors, gen_info.class_priors,
                                                  rtol=0, atol=contract.PRIORS_TOLERANCE):
            raise ContractError(self.path, f"its cluster priors differ from {gen_name}'s, so it "
                                           f"was made for another clustering; train one with "
                                           f"`{TRAIN.format(name=encoder_path_for(gen_name))}`")

    def encode(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """images : (n, 28, 28) or (28, 28) float in [0, 1], ink bright on black.

        Returns z : (n, latent_dim) float32 and class_weights : (n, num_classes) float32
        rows on the simplex (renormalised against float rounding), or None. Raises
        `ModelRunError` (one sentence) when the call fails or runs past its deadline, or
        when its answer could not be drawn: NaN or infinite values, or class weights with
        nothing positive to normalise. Such an answer never reaches the caller.
        """
        images = np.ascontiguousarray(images, dtype=np.float32)
        if images.ndim == 2:
            images = images[None]
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError(f"images must have shape (n, 28, 28), got {images.shape}")
        n = len(images)
        try:
            out = deadline.run(self._session, self._out, {"image": images}, call_seconds(n))
        except Exception as exc:  # noqa: BLE001 - ORT raises its own untyped pybind errors
            raise self.run_error(exc, "encoding the picture") from None
        z, w = out[0], (out[1] if len(out) > 1 else None)
        if getattr(z, "shape", None) != (n, self.latent_dim) or (
                w is not None and getattr(w, "shape", None) != (n, self.num_classes)):
            raise ModelRunError(self.path, f"gave latents of shape {getattr(z, 'shape', None)} "
                                           f"for {n} picture(s)")
        z = z.astype(np.float32, copy=False)
        if not np.isfinite(z).all() or (w is not None and not np.isfinite(w).all()):
            raise ModelRunError(self.path, "gave NaN or infinite values for this picture, so "
                                           "no latent was found")
        if w is not None:
            w = np.clip(w.astype(np.float64), 0.0, None)
            sums = w.sum(axis=1, keepdims=True)
            if (sums <= 1e-6).any():
                raise ModelRunError(self.path, "gave class weights that are all zero or "
                                               "negative for this picture, so no digit was "
                                               "found")
            w = (w / sums).astype(np.float32)
        return z, w
