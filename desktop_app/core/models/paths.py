"""Where the shipped models are: installed package, source checkout or PyInstaller bundle.

`exported_models` is a package so that an installed app finds its models next to its code.
In a PyInstaller bundle the data files sit under `sys._MEIPASS`; `DIGIT_STUDIO_MODELS`
overrides both (handy for trying a folder of freshly exported models).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

GENERATOR_NAME = "generator.onnx"
CLASSIFIER_NAME = "classifier.onnx"
READER_NAME = "reader.onnx"  # a classifier trained for digits unlike MNIST's (Find a digit)


def models_dir() -> Path:
    """The folder holding the shipped .onnx files (it may not hold any yet)."""
    env = os.environ.get("DIGIT_STUDIO_MODELS")
    if env:
        return Path(env)
    candidates = []
    try:
        from exported_models import MODELS_DIR

        candidates.append(Path(MODELS_DIR))
    except ImportError:
        pass
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "exported_models")
    for folder in candidates:
        if (folder / GENERATOR_NAME).is_file():
            return folder
    return candidates[0] if candidates else Path("exported_models")


def default_generator() -> Path:
    return models_dir() / GENERATOR_NAME


def classifier_for(model: Path | None, name: str = CLASSIFIER_NAME) -> Path | None:
    """The classifier to pair with `model`: one beside it first, else the shipped one.
    `name=READER_NAME`: the same for the reader."""
    for folder in ([model.parent] if model else []) + [models_dir()]:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None
