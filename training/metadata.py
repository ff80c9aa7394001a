"""The metadata an export writes, and the files an export may replace: a leaf module.

Everything that makes or rewrites a model file's metadata imports it from here (export,
encoder, classifier, evaluate --embed, clusters), so none of them needs another's module
and the package has no import cycle. The contract itself: docs/model-contract.md.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from digit_contract.atomic import OutputError, write_atomic
from digit_contract.metadata import CONTRACT_VERSION

MAX_REPLACEABLE_BYTES = 256 * 2**20  # larger than any model this project exports


class ExportError(Exception):
    """The export could not be made, or failed its own checks; nothing was written."""


def set_metadata(model, metadata: dict[str, str]) -> None:
    del model.metadata_props[:]
    for k, v in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, str(v)


def base_metadata(kind: str, architecture: str, epochs: int, num_classes: int,
                  config_json: str, metrics: dict | None, dataset: str = "mnist") -> dict[str, str]:
    """The contract's required keys; `dataset` names the data trained on (MNIST, or the
    user's folder or file: `training.data.dataset_name`)."""
    meta = {
        "contract_version": CONTRACT_VERSION,
        "kind": kind,
        "num_classes": str(num_classes),
        "architecture": architecture,
        "epochs": str(epochs),
        "dataset": dataset,
        "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "config": config_json,
    }
    if metrics is not None:
        meta["metrics"] = json.dumps(metrics, sort_keys=True)
    return meta


def is_our_model(path: Path) -> bool:
    """True if `path` is a regular file holding an ONNX model with this project's metadata
    (`contract_version`): an earlier export, which a new export may replace."""
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_REPLACEABLE_BYTES:
            return False
        import onnx

        model = onnx.load_model_from_string(path.read_bytes())
    except Exception:  # noqa: BLE001 - anything unreadable is not ours to replace
        return False
    return any(p.key == "contract_version" for p in model.metadata_props)


def with_metrics(onnx_path: Path, metrics: dict) -> None:
    """Rewrite a model's `metrics` metadata in place (atomically), after `evaluate --embed`."""
    import onnx

    model = onnx.load_from_string(Path(onnx_path).read_bytes())
    props = {p.key: p.value for p in model.metadata_props}
    props["metrics"] = json.dumps(metrics, sort_keys=True)
    set_metadata(model, props)
    data = model.SerializeToString()
    try:
        write_atomic(Path(onnx_path), lambda f: f.write(data), replace=is_our_model)
    except OutputError as e:
        raise ExportError(str(e)) from None
