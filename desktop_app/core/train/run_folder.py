"""Reading a training run folder while it is being written: complete epochs only.

A run folder (written by `python -m training train`; its names are the contract's,
digit_contract/run_folder.py, and docs/run-folder.md describes it) holds `config.json`,
`metrics.jsonl` (one JSON line per finished epoch, appended), `samples/epoch_NNNN.png`
(written atomically, after the epoch's metrics line), `checkpoint.npz` and `tensorboard/`.
The app reads it with these rules:

- A metrics line counts only when it ends in a newline and parses as a JSON object with a
  positive integer `epoch`: the last line of a file being appended to is usually half
  written. Garbage lines are skipped, never fatal.
- A sample grid is used only when its epoch has a complete metrics line and the PNG is
  whole (signature first, IEND chunk last), so a grid copied in slowly is not shown torn.
- Every read goes through digit_contract/reading.py's rule (regular files only, a size cap checked
  while reading); a missing or unreadable file is "nothing yet", never an exception.

Qt-free: the Training panel (views/train/panel.py) polls `RunFolder.read()`.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from digit_contract.reading import read_capped
from digit_contract.run_folder import CHECKPOINT, CONFIG, METRICS, grid_path

MAX_METRICS_BYTES = 16 << 20  # ~40,000 epochs of lines; a bigger file is not a run's log
MAX_CONFIG_BYTES = 1 << 20
MAX_GRID_BYTES = 8 << 20  # a 4x4 grid of 28x28 digits is a few KiB
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the IEND chunk: zero length, type, CRC


class _Unreadable(Exception):
    pass


def _error(path: Path, rule: str) -> Exception:
    return _Unreadable(f"{path}: {rule}")


def _read(path: Path, cap: int) -> bytes | None:
    """The bytes of `path`, or None when it is missing, not a regular file or too big."""
    try:
        return read_capped(path, cap, _error, "too big")
    except _Unreadable:
        return None


def epoch_number(value) -> int | None:
    """`value` as an epoch count a run could log (1 ≤ n < 10**7, a whole number, possibly
    written as a float: MetricsLog writes every log as one); None for anything else."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value < 10**7:
        return None
    return value


def parse_metrics(data: bytes) -> dict[int, dict[str, float]]:
    """Complete epochs of a metrics.jsonl's bytes: {epoch: {name: value}}.

    The text after the last newline is ignored (a line still being written); a line that
    is not a JSON object with a positive integer `epoch` is skipped. Non-numeric values are
    dropped; NaN stays (a diverged estimate is worth seeing as a gap).
    """
    epochs: dict[int, dict[str, float]] = {}
    complete, _, _ = data.rpartition(b"\n")
    for raw in complete.split(b"\n"):
        try:
            row = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        if not isinstance(row, dict):
            continue
        epoch = epoch_number(row.get("epoch"))
        if epoch is None:
            continue
        epochs[epoch] = {k: float(v) for k, v in row.items()
                         if k != "epoch" and isinstance(v, (int, float)) and not isinstance(v, bool)}
    return epochs


def complete_png(data: bytes | None) -> bool:
    """True when `data` looks like a whole PNG file (not cut short while being written)."""
    return bool(data) and data.startswith(PNG_SIGNATURE) and data.endswith(PNG_END)


@dataclass(frozen=True)
class RunSnapshot:
    """What a run folder holds now, complete epochs only.

    epochs : ascending epoch numbers with a complete metrics line
    metrics : {epoch: {name: value}} for those epochs
    grids : {epoch: PNG bytes} for those of them whose sample grid is whole
    config : the run's config.json (empty when missing or unreadable)
    checkpointed : whether checkpoint.npz exists (a run that can be resumed or exported)
    """

    epochs: tuple[int, ...] = ()
    metrics: dict[int, dict[str, float]] = field(default_factory=dict)
    grids: dict[int, bytes] = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    checkpointed: bool = False

    @property
    def last_epoch(self) -> int:
        return self.epochs[-1] if self.epochs else 0

    @property
    def planned_epochs(self) -> int:
        """config.json's `epochs` when it is an `epoch_number`; 0 otherwise ("thirty",
        [5], 1e12)."""
        return epoch_number(self.config.get("epochs")) or 0

    @property
    def grid_epochs(self) -> tuple[int, ...]:
        return tuple(sorted(self.grids))

    def series(self, name: str) -> list[tuple[int, float]]:
        """(epoch, value) of one metric over the complete epochs that have it."""
        return [(e, self.metrics[e][name]) for e in self.epochs if name in self.metrics[e]]

    def key(self) -> tuple:
        """Equal for two snapshots that would draw the same (cheap change detection)."""
        return (self.epochs, self.grid_epochs, self.checkpointed,
                tuple(sorted((k, str(v)) for k, v in self.config.items())),
                tuple(tuple(sorted(self.metrics[e].items())) for e in self.epochs[-1:]))


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


class RunFolder:
    """Reads one run folder again and again; whole sample grids are cached by signature."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._grids: dict[int, tuple[tuple, bytes]] = {}

    def read(self) -> RunSnapshot:
        """The folder's complete epochs now (an empty snapshot when nothing is there)."""
        data = _read(self.path / METRICS, MAX_METRICS_BYTES)
        metrics = parse_metrics(data) if data else {}
        epochs = tuple(sorted(metrics))
        grids = {}
        for epoch in epochs:
            png = self._grid(epoch)
            if png is not None:
                grids[epoch] = png
        self._grids = {e: v for e, v in self._grids.items() if e in metrics}
        return RunSnapshot(epochs, metrics, grids, self._config(),
                           (self.path / CHECKPOINT).is_file())

    def _grid(self, epoch: int) -> bytes | None:
        path = grid_path(self.path, epoch)
        sig = _signature(path)
        if sig is None:
            return None
        cached = self._grids.get(epoch)
        if cached is not None and cached[0] == sig:
            return cached[1]
        data = _read(path, MAX_GRID_BYTES)
        if not complete_png(data):
            return None  # not cached: a grid still being copied is looked at again
        self._grids[epoch] = (sig, data)
        return data

    def _config(self) -> dict:
        data = _read(self.path / CONFIG, MAX_CONFIG_BYTES)
        try:
            config = json.loads(data.decode("utf-8")) if data else {}
        except (UnicodeDecodeError, ValueError):
            return {}
        return config if isinstance(config, dict) else {}


def epoch_seconds(snapshot: RunSnapshot, last: int = 3) -> float | None:
    """Mean seconds per epoch (training plus the quality estimate) over the last epochs."""
    times = []
    for epoch in snapshot.epochs[-last:]:
        row = snapshot.metrics[epoch]
        seconds = row.get("seconds", math.nan) + row.get("estimate_seconds", 0.0)
        if math.isfinite(seconds) and seconds >= 0:
            times.append(seconds)
    return sum(times) / len(times) if times else None


def eta_seconds(snapshot: RunSnapshot, target_epochs: int) -> float | None:
    """Seconds until `target_epochs` are done at the recent pace; None before the first epoch."""
    per_epoch = epoch_seconds(snapshot)
    if per_epoch is None:
        return None
    return max(0, target_epochs - snapshot.last_epoch) * per_epoch


def format_duration(seconds: float) -> str:
    """'42 s', '3 min 05 s', '2 h 07 min'."""
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"
