"""Load-time checks of an ONNX file against docs/model-contract.md.

`read_model_file` vets the bytes and the metadata before any native code parses the graph;
`check_io` vets the inputs and outputs that ONNX Runtime reports (what a model answers when
run is probe.py's). The metadata table itself is parsed by `digit_contract.metadata`, the
one parser that training's evaluator uses too. Every failure is a `ContractError` whose
text is one sentence naming the file and the broken rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from digit_contract.metadata import (  # noqa: F401 - the contract, as the app's modules import it
    CLASS_KINDS, CONTRACT_VERSION, IMAGE_SIZE, MAX_CLASSES, MAX_LATENT_DIM, MAX_METADATA_BYTES, MAX_MODEL_BYTES,
    MIN_CLUSTERS, NUM_DIGITS, PRIORS_TOLERANCE, REEXPORT, ContractError, ModelInfo, parse_metadata)
from digit_contract.reading import read_capped

from .onnx_wire import WireBudgetError, WireError, read_skeleton


class ModelRunError(RuntimeError):
    """A loaded model failed on one call (ran past its deadline, answered NaN); `str()` is
    one sentence naming the file, e.g. "generator.encoder.onnx gave NaN for this picture."."""

    def __init__(self, path: str | Path, what: str):
        self.path = Path(path)
        super().__init__(f"{self.path.name} {what}.")


def read_model_file(path: str | Path, expected_kind: str) -> tuple[bytes, ModelInfo]:
    """Read `path` and check everything that can be checked without ONNX Runtime.

    Returns the raw bytes (for `InferenceSession`) and the parsed metadata.
    """
    return read_checked_file(path, lambda p, metadata: parse_metadata(p, metadata, expected_kind))


def read_checked_file(path: str | Path, parse: Callable[[Path, dict], Any]) -> tuple[bytes, Any]:
    """The reading rule every model file goes through: capped read, ONNX skeleton, metadata
    parsed by `parse(path, metadata)`, no external data. Returns (bytes, what `parse` gave)."""
    path = Path(path)
    data = read_capped(path, MAX_MODEL_BYTES, ContractError,
                       "it is larger than the {mib} MiB a model file may be")
    if not data:
        raise ContractError(path, "the file is empty")
    try:
        skel = read_skeleton(data, MAX_METADATA_BYTES)
    except WireBudgetError as exc:
        raise ContractError(path, f"{exc}, so it is not parsed") from None
    except WireError as exc:
        raise ContractError(path, f"it is not an ONNX file or it is truncated ({exc})") from None
    except OverflowError as exc:
        raise ContractError(path, f"its metadata is {exc.args[0]} bytes, "
                                  f"more than the 1 MiB the contract allows") from None
    if skel.ir_version is None or not skel.has_graph:
        raise ContractError(path, "it is not an ONNX model (no IR version or no graph); "
                                  "the file may be truncated")
    parsed = parse(path, skel.metadata)
    if skel.external_data:
        # ONNX Runtime would resolve the weights' relative path against a folder the user
        # never chose; the contract says a model is one self-contained file.
        raise ContractError(path, "its weights point at external data files, and a model "
                                  "must be one self-contained file; re-export it without "
                                  "external data")
    return data, parsed


def _is_dynamic(dim: Any) -> bool:
    return not isinstance(dim, int) or dim <= 0


def _check_tensor(path: Path, arg: Any, what: str, dtype: str, shape: tuple) -> None:
    """`shape` entries: None = the dynamic batch, an int = that size, '?' = any."""
    if arg.type != dtype:
        raise ContractError(path, f"{what} '{arg.name}' is {arg.type}, the contract needs {dtype}")
    dims = list(arg.shape) if arg.shape is not None else []
    if len(dims) != len(shape):
        raise ContractError(path, f"{what} '{arg.name}' has shape {dims}, the contract needs "
                                  f"rank {len(shape)}")
    for i, (dim, want) in enumerate(zip(dims, shape)):
        if want is None and not _is_dynamic(dim):
            raise ContractError(path, f"{what} '{arg.name}' has a fixed batch size {dim}; "
                                      f"the contract needs a dynamic batch")
        # A symbolic non-batch dim is tolerated here: the probe run checks the real size.
        if isinstance(want, int) and isinstance(dim, int) and dim > 0 and dim != want:
            raise ContractError(path, f"{what} '{arg.name}' has size {dim} in dimension {i}, "
                                      f"the contract needs {want}")


def check_generator_io(path: Path, info: ModelInfo, inputs: list, outputs: list) -> None:
    """Check a generator's graph inputs/outputs (ONNX Runtime `NodeArg`s) against `info`."""
    names = sorted(a.name for a in inputs)
    want = ["class_weights", "z"] if info.conditional else ["z"]
    if names != want:
        kind = "a conditional" if info.conditional else "an unconditional"
        raise ContractError(path, f"its inputs are {names}, {kind} generator must have "
                                  f"exactly {want}")
    for arg in inputs:
        if arg.name == "z":
            _check_tensor(path, arg, "input", "tensor(float)", (None, info.latent_dim))
            dim = arg.shape[1]
            if isinstance(dim, int) and dim != info.latent_dim:
                raise ContractError(path, f"input 'z' has {dim} dimensions but metadata "
                                          f"'latent_dim' says {info.latent_dim}")
            if not isinstance(dim, int):
                raise ContractError(path, "input 'z' must have a fixed latent dimension")
        else:
            _check_tensor(path, arg, "input", "tensor(float)", (None, info.num_classes))
            if not isinstance(arg.shape[1], int) or arg.shape[1] != info.num_classes:
                raise ContractError(path, f"input 'class_weights' must have a fixed width "
                                          f"of {info.num_classes} (metadata 'num_classes')")
    _check_outputs(path, outputs, {"image": (None, IMAGE_SIZE, IMAGE_SIZE)})


def check_classifier_io(path: Path, inputs: list, outputs: list) -> None:
    """Check a classifier's graph inputs/outputs (ONNX Runtime `NodeArg`s)."""
    if [a.name for a in inputs] != ["image"]:
        raise ContractError(path, f"its inputs are {[a.name for a in inputs]}, a classifier "
                                  f"must have exactly ['image']")
    _check_tensor(path, inputs[0], "input", "tensor(float)", (None, IMAGE_SIZE, IMAGE_SIZE))
    _check_outputs(path, outputs, {"probs": (None, NUM_DIGITS), "features": (None, "?")})


def check_encoder_io(path: Path, info: ModelInfo, inputs: list, outputs: list) -> None:
    """Check an encoder's graph inputs/outputs: image in; z (and class_weights) out."""
    if [a.name for a in inputs] != ["image"]:
        raise ContractError(path, f"its inputs are {[a.name for a in inputs]}, an "
                                  f"encoder must have exactly ['image']")
    _check_tensor(path, inputs[0], "input", "tensor(float)", (None, IMAGE_SIZE, IMAGE_SIZE))
    wanted = {"z": (None, info.latent_dim)}
    if info.num_classes > 0:
        wanted["class_weights"] = (None, info.num_classes)
    _check_outputs(path, outputs, wanted)


def check_io(info: ModelInfo, inputs: list, outputs: list) -> None:
    """The inputs/outputs check of `info.kind`: generator, encoder or classifier."""
    if info.kind == "generator":
        check_generator_io(info.path, info, inputs, outputs)
    elif info.kind == "encoder":
        check_encoder_io(info.path, info, inputs, outputs)
    else:
        check_classifier_io(info.path, inputs, outputs)


def _check_outputs(path: Path, outputs: list, wanted: dict[str, tuple]) -> None:
    by_name = {a.name: a for a in outputs}
    for name, shape in wanted.items():
        if name not in by_name:
            raise ContractError(path, f"it has no output '{name}' (outputs: {sorted(by_name)})")
        _check_tensor(path, by_name[name], "output", "tensor(float)", shape)
