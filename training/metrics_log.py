"""Reading a run's metrics.jsonl (one JSON object per finished epoch), bounded and checked.

`read_metrics_log(path)` is the one reader for `plot`, `train --resume` and anything else
that looks at the log: it opens only a regular file (a FIFO or a device would block the
reader or read forever), reads at most `MAX_BYTES`, and refuses, with one sentence naming
the file and the line, anything a run of ours never writes: lines that are not JSON or are
nested past any row of ours (a RecursionError in `json`), integers too long for a float (an
OverflowError later), rows without an integer epoch.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

MAX_BYTES = 32 << 20  # 10,000 epochs of about 400 bytes is 4 MB; more is not a log of ours
MAX_EPOCH = 1_000_000
_MAX_INT_DIGITS = 18  # an epoch or a count; a longer integer is not one a run writes


class MetricsLogError(ValueError):
    """The metrics log cannot be read as one of ours; `str()` is one sentence naming the file."""


def read_metrics_log(path: str | Path) -> list[dict]:
    """The rows of `path`, one dict per line in file order (blank lines skipped).

    Raises FileNotFoundError when there is no file, MetricsLogError for anything else wrong.
    """
    path = Path(path)
    text = _read_text(path)
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            rows.append(_parse_row(path, number, line))
    return rows


def _read_text(path: Path) -> str:
    try:
        before = os.stat(path)  # stat first: opening a device can itself have effects
    except FileNotFoundError:
        raise
    except OSError as e:
        raise MetricsLogError(f"{shown(path)}: cannot read the metrics log ({e.strerror or e})") from None
    if not stat.S_ISREG(before.st_mode):
        raise MetricsLogError(f"{shown(path)}: the metrics log is not a regular file (a FIFO, device or "
                              "folder); nothing was read from it")
    try:
        # O_NONBLOCK: had it been swapped for a FIFO since the stat, opening still returns at once.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise MetricsLogError(f"{shown(path)}: cannot read the metrics log ({e.strerror or e})") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise MetricsLogError(f"{shown(path)}: the metrics log is not a regular file; nothing was read from it")
        if info.st_size > MAX_BYTES:
            raise MetricsLogError(f"{shown(path)}: the metrics log is {info.st_size} bytes, more than any run "
                                  f"writes ({MAX_BYTES} at most); not a metrics log of ours")
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:  # it grew while being read
        raise MetricsLogError(f"{shown(path)}: the metrics log is over {MAX_BYTES} bytes; not a metrics log of ours")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise MetricsLogError(f"{shown(path)}: cannot read the metrics log as UTF-8 text; "
                              "not a metrics log of ours") from None


def _int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise ValueError("an integer too long")
    return int(text)


def _parse_row(path: Path, number: int, line: str) -> dict:
    where = f"{shown(path)}: line {number}"
    try:
        row = json.loads(line, parse_int=_int)
    except RecursionError:
        raise MetricsLogError(f"{where} is nested too deep; not a metrics log of ours") from None
    except ValueError as e:
        why = "holds an integer too long for a number" if "too long" in str(e) else "is not JSON"
        raise MetricsLogError(f"{where} {why}; not a metrics log of ours") from None
    epoch = row.get("epoch") if isinstance(row, dict) else None
    if isinstance(epoch, bool) or not isinstance(epoch, int) or not 1 <= epoch <= MAX_EPOCH:
        raise MetricsLogError(f"{where} has no integer epoch in 1..{MAX_EPOCH}; not a metrics log of ours")
    return row


def shown(path: str | Path) -> str:
    """A file name for a one-line message: as is when printable, else quoted with escapes."""
    text = str(path)
    return text if text.isprintable() else repr(text)
