"""The command lines the Training panel runs, and what it reads back from them.

The app never imports TensorFlow, Keras or the `training` package (an import-linter
contract says so): it runs `python -m training train|export|evaluate ...` as a child
process and talks to it through files (core/run_folder.py) and its output. Whether
that can work at all is asked with `importlib.util.find_spec`, which finds a package
without importing it.

Qt-free; views/training_runner.py starts the processes.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from .paths import models_dir

ARCHES = ("mlp", "dcgan", "cdcgan")
# The recipe of the shipped generator.onnx (exported_models/README.md), the panel's default:
# its architecture, epochs and the options beyond them (--data and --out are the form's).
SHIPPED_ARCH = "cdcgan"
SHIPPED_EPOCHS = 30
SHIPPED_OPTIONS = "--width 48 --precision float32 --lr-decay-epochs 10 --ema 0.995"
CHECKOUT_ROOT = Path(__file__).resolve().parents[2]
# Fast enough to be useful on 2 cores, as the README's evaluate example advises for a check.
EVALUATE_ARGS = ("--n", "2000", "--paths", "100", "--ppl-samples", "1000", "--embed")
_HINT = re.compile(r"epoch (\d+) is checkpointed; resume with: (.+)$", re.MULTILINE)
_NOTHING = "no epoch had finished"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def in_checkout() -> bool:
    """True when the app runs from a source checkout (pyproject.toml beside the packages)."""
    return (CHECKOUT_ROOT / "pyproject.toml").is_file() and (CHECKOUT_ROOT / "training").is_dir()


def install_command() -> str:
    """The exact command that installs the training extra here."""
    return 'pip install -e ".[train]"' if in_checkout() else 'pip install "digit-studio[train]"'


def training_unavailable() -> str | None:
    """Why `python -m training` cannot run from this app (None when it can).

    find_spec locates tensorflow and training without importing either (importing
    TensorFlow would cost the app seconds and hundreds of MB).
    """
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: sys.executable is the app
        return ("Training needs a Python environment, not the packaged app. In one, run: "
                'pip install "digit-studio[train]"')
    missing = [name for name in ("tensorflow", "training") if _spec(name) is None]
    if not missing:
        return None
    return (f"Training needs the train extra ({' and '.join(missing)} not found). "
            f"Install it with: {install_command()}")


def _spec(name: str):
    try:
        return find_spec(name)
    except (ImportError, ValueError):
        return None


@dataclass(frozen=True)
class TrainRequest:
    """What the panel's form says to train. `extra`: more options, as typed (shell words)."""

    arch: str
    epochs: int
    out: str
    data: str = ""
    extra: str = ""

    def args(self, resume: bool = False) -> list[str]:
        """Arguments after `python`: `-m training train --arch ... [--resume]`.

        Raises ValueError for an `extra` that is not valid shell words (an open quote).
        """
        args = ["-m", "training", "train", "--arch", self.arch, "--epochs", str(self.epochs),
                "--out", self.out]
        if self.data:
            args += ["--data", self.data]
        args += [a for a in shlex.split(self.extra) if a != "--resume"]
        return args + (["--resume"] if resume else [])


def default_export_path(run_dir: str | Path) -> Path:
    """Where a run's generator is exported unless the user chooses: the models folder."""
    return models_dir() / f"{Path(run_dir).name or 'run'}.onnx"


def export_args(run_dir: str | Path, out: str | Path) -> list[str]:
    return ["-m", "training", "export", str(run_dir), "--out", str(out)]


def evaluate_args(model: str | Path, data: str | None = None) -> list[str]:
    """`evaluate` with the quick settings; `data` is the run's MNIST folder when it had one."""
    args = ["-m", "training", "evaluate", str(model), *EVALUATE_ARGS]
    return args + (["--data", str(data)] if data else [])


@dataclass(frozen=True)
class ResumeHint:
    """What an interrupted `train` printed: the epoch checkpointed and the command to resume."""

    epoch: int
    command: str


def resume_hint(output: str) -> ResumeHint | None:
    """The last "epoch N is checkpointed; resume with: ..." line in `output`, if any."""
    found = None
    for match in _HINT.finditer(output):
        found = match
    if found is None:
        return None
    return ResumeHint(int(found.group(1)), found.group(2).strip())


def nothing_to_resume(output: str) -> bool:
    """True when an interrupted run said no epoch had finished."""
    return _NOTHING in output


def clean_log(text: str) -> list[str]:
    """Lines fit for a log view: carriage-return progress redraws keep their last state,
    colour codes and backspaces go."""
    lines = []
    for line in _ANSI.sub("", text).replace("\r\n", "\n").split("\n"):
        line = line.rsplit("\r", 1)[-1].replace("\b", "")
        if line.strip():
            lines.append(line)
    return lines
