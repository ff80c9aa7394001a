"""The status line: what `python -m training train --status json` tells a program about its run.

People read training's sentences ("epoch 3 is checkpointed; resume with: ..."); a program
reads these lines instead, one JSON object per line on stdout, among the ordinary output:

    {"digit_studio_status": 1, "event": "started", "run_dir": "runs/a", "epochs": 30, "first_epoch": 0, "resuming": false}
    {"digit_studio_status": 1, "event": "epoch", "epoch": 1, "of": 30, "resume": ["-m", "training", "train", ...]}
    {"digit_studio_status": 1, "event": "finished", "run_dir": "runs/a", "epochs": 30}
    {"digit_studio_status": 1, "event": "interrupted", "epoch": 1, "resume": [...], "message": "..."}
    {"digit_studio_status": 1, "event": "failed", "message": "..."}

`digit_studio_status` marks a status line and holds the schema version (`VERSION`); a
line of another version is not read. Fields may be added within a version (a reader
ignores keys it does not know); renaming or retyping one is a new version. `resume` is the
argv after the Python executable that continues the run. docs/run-folder.md lists the fields.

Training writes with `format_status` (training/__main__.py, training/callbacks.py); the
app's Training panel reads with `parse_status` (desktop_app/core/train/jobs.py).
Standard library only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

VERSION = 1
KEY = "digit_studio_status"
MAX_LINE = 1 << 20  # a status line is a few hundred bytes; far longer is not one of ours
MAX_EPOCH = 10**7  # as the app's run-folder reader: no run logs more


@dataclass(frozen=True)
class Started:
    """The run folder is checked and locked; training is about to begin.

    epochs : the epochs the run will have when it ends (not this session's share)
    first_epoch : epochs already trained (0 for a new run)
    """

    EVENT: ClassVar[str] = "started"
    run_dir: str
    epochs: int
    first_epoch: int
    resuming: bool


@dataclass(frozen=True)
class EpochDone:
    """Epoch `epoch` of `of` finished and is checkpointed; `resume` (argv after `python`) continues it."""

    EVENT: ClassVar[str] = "epoch"
    epoch: int
    of: int
    resume: tuple[str, ...]


@dataclass(frozen=True)
class Finished:
    """Training ended normally with `epochs` epochs checkpointed in `run_dir`."""

    EVENT: ClassVar[str] = "finished"
    run_dir: str
    epochs: int


@dataclass(frozen=True)
class Interrupted:
    """Ctrl-C (SIGINT) ended training. `epoch` is the last checkpointed one (0: none, and
    `resume` is empty: there is nothing to resume); `message` is the sentence people read."""

    EVENT: ClassVar[str] = "interrupted"
    epoch: int
    resume: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Failed:
    """Training stopped on an error; `message` is one line saying what went wrong."""

    EVENT: ClassVar[str] = "failed"
    message: str


Status = Started | EpochDone | Finished | Interrupted | Failed
_EVENTS: dict[str, type] = {cls.EVENT: cls for cls in (Started, EpochDone, Finished, Interrupted, Failed)}


def format_status(status: Status) -> str:
    """One status line, without its newline: pure ASCII (control characters escaped), so a
    file name with a newline in it never splits the line."""
    return json.dumps({KEY: VERSION, "event": status.EVENT, **vars(status)}, ensure_ascii=True, allow_nan=False)


def _count(value, low: int) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and low <= value < MAX_EPOCH:
        return value
    return None


def _argv(value) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(a, str) for a in value):
        return tuple(value)
    return None


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _flag(value) -> bool | None:
    return value if isinstance(value, bool) else None


# Each event's fields and how each is checked; a check returns None for a wrong value.
_FIELDS = {
    Started: {"run_dir": _text, "epochs": lambda v: _count(v, 1), "first_epoch": lambda v: _count(v, 0),
              "resuming": _flag},
    EpochDone: {"epoch": lambda v: _count(v, 1), "of": lambda v: _count(v, 1), "resume": _argv},
    Finished: {"run_dir": _text, "epochs": lambda v: _count(v, 0)},
    Interrupted: {"epoch": lambda v: _count(v, 0), "resume": _argv, "message": _text},
    Failed: {"message": _text},
}


def parse_status(line: str) -> Status | None:
    """The status `line` carries, or None: for any other line (a progress bar, a warning),
    and for a status line that is malformed, of another version, or of an unknown event.
    Never raises. Surrounding whitespace (the newline) is ignored."""
    if not isinstance(line, str) or len(line) > MAX_LINE:
        return None
    line = line.strip()
    if not line.startswith("{") or KEY not in line:
        return None  # the common case, a line of ordinary output, without parsing JSON
    try:
        row = json.loads(line, parse_constant=lambda name: None)  # NaN, Infinity: not ours
    except (ValueError, RecursionError):
        return None
    if not isinstance(row, dict) or _count(row.get(KEY), 0) != VERSION:
        return None
    cls = _EVENTS.get(row.get("event"))
    if cls is None:
        return None
    values = {}
    for name, check in _FIELDS[cls].items():
        value = check(row.get(name))
        if value is None:
            return None
        values[name] = value
    if cls is EpochDone and (values["epoch"] > values["of"] or not values["resume"]):
        return None
    if cls is Interrupted and bool(values["epoch"]) != bool(values["resume"]):
        return None  # a checkpointed epoch always comes with its command, and none without one
    return cls(**values)
