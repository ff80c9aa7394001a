"""Curves of a run, from its metrics.jsonl: `python -m training plot RUN_DIR [--out PATH]`.

Writes `curves.png` (default RUN_DIR/curves.png) with three panels against epoch: the two
losses, D's mean beliefs D(real) and D(fake), and the estimated FID (log scale when it spans a decade; absent
where the run had `--estimate-every 0`). Needs matplotlib (the `train` extra), drawn
through its object API on the Agg canvas: no display, no global pyplot state.
"""

from __future__ import annotations

import math
from pathlib import Path

from digit_contract import run_folder
from digit_contract.atomic import OutputError, write_atomic
from training.metrics_log import MetricsLogError, read_metrics_log, shown

# Written into every curves PNG (a tEXt chunk), so a later plot knows the file is its own
# to replace; any other file at --out is left alone.
SOFTWARE = "Digit Studio training plot"


class PlotError(Exception):
    """The run folder or its metrics log cannot be plotted; the message says why."""


def read_metrics(run_dir: Path) -> list[dict]:
    """The rows of RUN_DIR/metrics.jsonl, one dict per epoch, in file order."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise PlotError(f"{shown(run_dir)}: no such run folder")
    path = run_dir / run_folder.METRICS
    try:
        rows = read_metrics_log(path)
    except FileNotFoundError:
        raise PlotError(f"{shown(path)}: no metrics log (has the run finished an epoch?)") from None
    except MetricsLogError as e:
        raise PlotError(str(e)) from None
    if not rows:
        raise PlotError(f"{shown(path)}: no epochs logged yet")
    return rows


# Larger magnitudes are left out like NaN: no loss, belief or FID of a run comes near, and
# matplotlib's tick maths overflows on an axis that spans +-1e308.
MAX_VALUE = 1e12


def _series(rows: list[dict], key: str) -> tuple[list[int], list[float]]:
    """(epochs, values) of the rows that hold a finite number under `key`."""
    pairs = [(r["epoch"], r[key]) for r in rows  # a run logs floats only
             if isinstance(r.get(key), float) and math.isfinite(r[key]) and abs(r[key]) <= MAX_VALUE]
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
        if min(values) > 1e-12 and max(values) > 10 * min(values):  # a GAN's FID falls by decades
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
    fig.suptitle(shown(Path(run_dir)))

    default = out is None
    out = Path(run_dir) / run_folder.CURVES if default else Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)  # as export does: --out may name a new folder
        write_atomic(out, lambda f: fig.savefig(f, format="png", dpi=100, metadata={"Software": SOFTWARE}),
                     replace=lambda existing: _ours(existing, default))
    except OutputError as e:
        raise PlotError(str(e)) from None
    except OSError as e:  # the folder could not be made
        raise PlotError(f"--out {shown(out)}: cannot make its folder ({e.strerror or e}); nothing was written") from None
    return out


def _ours(path: Path, default: bool) -> bool:
    """True if the PNG at `path` is a plot of ours (or, at the default RUN_DIR/curves.png, any
    PNG: plots made before the marker carried none)."""
    try:
        with open(path, "rb") as f:  # a regular file: write_atomic checked before asking
            head = f.read(4096)
    except OSError:
        return False
    if not head.startswith(b"\x89PNG\r\n\x1a\n"):
        return False
    return default or b"tEXtSoftware\x00" + SOFTWARE.encode() in head


def main(args) -> int:
    out = plot_run(Path(args.run_dir), Path(args.out) if args.out else None)
    print(f"curves written to {shown(out)}")
    return 0
