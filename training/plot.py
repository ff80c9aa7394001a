"""Curves of a run, from its metrics.jsonl: `python -m training plot RUN_DIR [--out PATH]`.

Writes `curves.png` (default RUN_DIR/curves.png) with three panels against epoch: the two
losses, D's mean beliefs D(real) and D(fake), and the estimated FID (log scale when it spans a decade; absent
where the run had `--estimate-every 0`). Needs matplotlib (the `train` extra), drawn
through its object API on the Agg canvas: no display, no global pyplot state.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from training import checkpoint


class PlotError(Exception):
    """The run folder or its metrics log cannot be plotted; the message says why."""


def read_metrics(run_dir: Path) -> list[dict]:
    """The rows of RUN_DIR/metrics.jsonl, one dict per epoch, in file order."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise PlotError(f"{run_dir}: no such run folder")
    path = run_dir / "metrics.jsonl"
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise PlotError(f"{path}: no metrics log (has the run finished an epoch?)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise PlotError(f"{path}: cannot read the metrics log ({e})") from None
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise PlotError(f"{path}: line {number} is not JSON; not a metrics log of ours") from None
        if not isinstance(row, dict) or not isinstance(row.get("epoch"), int):
            raise PlotError(f"{path}: line {number} has no integer epoch; not a metrics log of ours")
        rows.append(row)
    if not rows:
        raise PlotError(f"{path}: no epochs logged yet")
    return rows


def _series(rows: list[dict], key: str) -> tuple[list[int], list[float]]:
    """(epochs, values) of the rows that hold a finite number under `key`."""
    pairs = [(r["epoch"], float(r[key])) for r in rows
             if isinstance(r.get(key), (int, float)) and math.isfinite(r[key])]
    return [e for e, _ in pairs], [v for _, v in pairs]


def plot_run(run_dir: Path, out: Path | None = None) -> Path:
    """Draw RUN_DIR's curves into `out` (default RUN_DIR/curves.png), atomically; returns the path."""
    rows = read_metrics(run_dir)
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator, ScalarFormatter
    except ImportError:
        raise PlotError('plotting needs matplotlib: pip install -e ".[train]"') from None

    fig = Figure(figsize=(13, 3.8), layout="constrained")
    losses, beliefs, fid = fig.subplots(1, 3)
    for ax, keys, title in ((losses, ("d_loss", "g_loss"), "losses"),
                            (beliefs, ("d_real", "d_fake"), "D's mean belief that the input is real")):
        for key in keys:
            ax.plot(*_series(rows, key), marker=".", label=key)
        ax.set_title(title)
        ax.legend()
    beliefs.set_ylim(0, 1)
    epochs, values = _series(rows, "fid_estimate")
    if epochs:
        fid.plot(epochs, values, marker=".", color="tab:green")
        if min(values) > 0 and max(values) > 10 * min(values):  # a GAN's FID falls by decades
            fid.set_yscale("log")
            fid.yaxis.set_major_formatter(ScalarFormatter())
    else:
        fid.text(0.5, 0.5, "no estimates\n(run trained with --estimate-every 0)",
                 ha="center", va="center", transform=fid.transAxes)
    fid.set_title("FID estimate (2,000 samples) ↓")
    for ax in (losses, beliefs, fid):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    fig.suptitle(str(Path(run_dir)))

    out = Path(out) if out is not None else Path(run_dir) / "curves.png"
    checkpoint.atomic_write_bytes(out, lambda f: fig.savefig(f, format="png", dpi=100))
    return out


def main(args) -> int:
    out = plot_run(Path(args.run_dir), Path(args.out) if args.out else None)
    print(f"curves written to {out}")
    return 0
