"""The command lines the Training panel runs, and what it reads back from them.

The app never imports TensorFlow, Keras or the `training` package (an import-linter
contract says so): it runs `python -m training train|export|evaluate ...` as a child
process and talks to it through files (core/train/run_folder.py) and the status lines that
`train --status json` prints (digit_contract/status.py), never by parsing its sentences.
Whether that can work at all is asked with `importlib.util.find_spec`, which finds a
package without importing it.

Qt-free; views/train/runner.py starts the processes.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from digit_contract.run_folder import DEFAULT_RECIPE, RECIPES
from digit_contract.status import EpochDone, Failed, Finished, Interrupted, Started, Status
from digit_contract.status import parse_status

from ..models.paths import models_dir

# The panel starts from the recipe of the shipped generator.onnx (exported_models/README.md):
# its architecture and epochs in the form, the rest by name (--data and --out are the form's).
SHIPPED_ARCH = RECIPES[DEFAULT_RECIPE].arch
SHIPPED_EPOCHS = RECIPES[DEFAULT_RECIPE].epochs
SHIPPED_OPTIONS = f"--recipe {DEFAULT_RECIPE}"
CHECKOUT_ROOT = Path(__file__).resolve().parents[__name__.count(".")]  # the folder holding desktop_app
# Fast enough to be useful on 2 cores, as the README's evaluate example advises for a check.
EVALUATE_ARGS = ("--n", "2000", "--paths", "100", "--ppl-samples", "1000", "--embed")
# How the panel hears about a run: status lines among the output (given last, so an option
# in the form's More options cannot turn them off).
STATUS_ARGS = ("--status", "json")
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
        """Arguments after `python`: `-m training train --arch ... --status json [--resume]`.

        Raises ValueError for an `extra` that is not valid shell words (an open quote).
        """
        args = ["-m", "training", "train", "--arch", self.arch, "--epochs", str(self.epochs),
                "--out", self.out]
        if self.data:
            args += ["--data", self.data]
        args += [a for a in shlex.split(self.extra) if a != "--resume"]
        return args + list(STATUS_ARGS) + (["--resume"] if resume else [])


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
    """A run's last checkpointed epoch and the argv after `python` that continues it."""

    epoch: int
    argv: tuple[str, ...]

    @property
    def command(self) -> str:
        """The command as a person types it."""
        return "python " + shlex.join(self.argv)


class TrainStatus:
    """What one `train --status json` child has said about its run so far.

    Feed it the child's output line by line (`read_line`); everything else in the output
    (progress bars, warnings, a malformed status line) is ignored.
    """

    def __init__(self):
        self.started: Started | None = None
        self.last_epoch: EpochDone | None = None  # the newest checkpointed epoch
        self.ended: Finished | Interrupted | Failed | None = None

    def read_line(self, line: str) -> Status | None:
        """The status `line` carries (now recorded), or None for any other line."""
        status = parse_status(line)
        if isinstance(status, Started):
            self.started = status
        elif isinstance(status, EpochDone):
            self.last_epoch = status
        elif status is not None:
            self.ended = status
        return status

    @property
    def planned_epochs(self) -> int:
        """The epochs the run will have when it ends, as the child said (0 before it did)."""
        if self.last_epoch is not None:
            return self.last_epoch.of
        return self.started.epochs if self.started is not None else 0

    @property
    def checkpointed(self) -> int:
        """The newest epoch the child said is checkpointed (0: none yet)."""
        if isinstance(self.ended, Interrupted):
            return self.ended.epoch
        return self.last_epoch.epoch if self.last_epoch is not None else 0

    def hint(self) -> ResumeHint | None:
        """How to continue the run, once an epoch is checkpointed."""
        if isinstance(self.ended, Interrupted) and self.ended.epoch:
            return ResumeHint(self.ended.epoch, self.ended.resume)
        if self.last_epoch is not None:
            return ResumeHint(self.last_epoch.epoch, self.last_epoch.resume)
        return None

    def outcome(self, code: int, stopping: bool, folder: str, last_line: str = "") -> str:
        """One sentence for the panel once the child exited with `code` (-1: crashed).

        stopping : the user pressed Stop; last_line : the log's last line, said when the
        child failed without a status line saying why (it was killed, or never started).
        """
        hint = self.hint()
        if code == 0:
            epochs = self.ended.epochs if isinstance(self.ended, Finished) else self.checkpointed
            return (f"Run finished: {epochs} epochs in {folder}. "
                    "“Export, evaluate & load” puts it in the explorer.")
        if stopping and isinstance(self.ended, Interrupted):
            if hint is None:
                return "Stopped before the first epoch finished: there is nothing to resume."
            return f"Stopped. Epoch {hint.epoch} is checkpointed; Resume continues it (or run: {hint.command})"
        why = self.ended.message if isinstance(self.ended, Failed) else (last_line or "see the log below")
        said = f"Training failed (exit code {code}): {why}"
        if hint is not None:
            said += f" Epoch {hint.epoch} is checkpointed; Resume continues it."
        return said


def clean_log(text: str) -> list[str]:
    """Lines fit for a log view: carriage-return progress redraws keep their last state,
    colour codes and backspaces go."""
    lines = []
    for line in _ANSI.sub("", text).replace("\r\n", "\n").split("\n"):
        line = line.rsplit("\r", 1)[-1].replace("\b", "")
        if line.strip():
            lines.append(line)
    return lines
