"""A model's metadata as readable (name, value) rows, for the About dialog.

Metadata comes from the file and is untrusted data: every value is turned into plain text
here (numbers rounded, lists summarised, anything odd shown as short text), and the view
escapes it before display. What is shown is bounded: at most MAX_METRIC_ROWS metric rows
(then "… N more"), each value at most 160 characters, and a number too large for a float
(a 400-digit integer is valid JSON) is shown by its leading digits, never converted. Metrics are optional (`python -m training evaluate --embed`
writes them); known keys get a readable name and unit, unknown ones are listed as they are.
Path smoothness and PPL come flat (unconditional models) or split into `within_digit` and
`across_digits` (conditional ones; `within_cluster` and `across_clusters` for a model whose
classes are clusters); each part found gets its own row, none is required.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .contract import ModelInfo

_MAX_TEXT = 160  # one metadata value never floods the dialog
# Known metrics take at most 18 rows (smoothness and PPL split in four parts each); a model
# with 60,000 metrics would make a dialog half a million pixels tall.
MAX_METRIC_ROWS = 24

# Known metrics: key -> (what the user reads, how the value is written).
_METRICS = {
    "fid": ("FID (lower is better)", "number"),
    "fid_real_floor": ("FID floor (real digits)", "number"),
    "inception_score": ("Inception-score analogue (max 10)", "number"),
    "inception_score_mnist_test": ("… of real test digits", "number"),
    "conditional_accuracy": ("Digits drawn as asked", "percent"),
    "test_accuracy": ("Test accuracy", "percent"),
    "class_kl_to_uniform": ("Class balance (KL to uniform)", "number"),
    "class_shares": ("Class shares, digits 0-9", "shares"),
    "smoothness": ("Path smoothness p99 (largest/median step)", "smoothness"),
    "ppl": ("Perceptual path length", "number"),
    "n": ("Samples evaluated", "number"),
    "train_seconds": ("Training time", "seconds"),
}
_SKIPPED = {"architecture", "epochs"}  # repeated in the metrics; already shown above
_PARTS = (("within_digit", "within a digit"), ("across_digits", "across digits"),
          ("within_cluster", "within a cluster"), ("across_clusters", "across clusters"))


def _text(value: Any) -> str:
    try:
        text = str(value)
    except (ValueError, RecursionError):  # an int past Python's digit limit; deep nesting
        return "(a value too large to show)"
    text = " ".join(text[:4 * _MAX_TEXT].split())
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT - 1] + "…"


def _real(value: Any) -> float | None:
    """`value` as a float if it is a number a float holds (True is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None


def _number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float):
        return f"{value:.4g}"
    if abs(value) < 10 ** 15:
        return f"{value:,}"
    try:
        digits = str(abs(value))
    except ValueError:  # past Python's limit on int-to-text conversion
        return "a number too long to show"
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[0]}.{digits[1:4]}e+{len(digits) - 1} ({len(digits)} digits)"


def _format(value: Any, how: str) -> str:
    number, real = _number(value), _real(value)
    if how == "percent" and real is not None:
        return f"{real:.2%}"
    if how == "seconds" and real is not None:
        return f"{real / 60:.1f} min" if real >= 120 else f"{real:.0f} s"
    if how == "shares" and isinstance(value, list) and len(value) == 10 \
            and all(_real(v) is not None for v in value):
        return " · ".join(f"{_real(v):.1%}" for v in value)
    if how == "smoothness" and isinstance(value, dict) and _real(value.get("p99")) is not None:
        # p99 is the headline (the target: ≤ 4); the rest for context.
        text = f"{_real(value['p99']):.3g}×"
        extra = [f"{k} {_real(value[k]):.3g}×" for k in ("p50", "p95")
                 if _real(value.get(k)) is not None]
        if _real(value.get("share_above_5")) is not None:
            extra.append(f"{_real(value['share_above_5']):.1%} of paths above 5×")
        return text + (f" ({', '.join(extra)})" if extra else "")
    return number if number is not None else _text(value)


def _metric_rows(key: str, value: Any) -> list[tuple[str, str]]:
    """One row per metric; a metric split by `_PARTS` (conditional models) gets one per part."""
    name, how = _METRICS.get(key, (_text(key).replace("_", " "), "auto"))
    if key in ("smoothness", "ppl") and isinstance(value, dict) \
            and any(part in value for part, _ in _PARTS):
        return [(f"{name}, {words}", _format(value[part], how))
                for part, words in _PARTS if part in value]
    return [(name, _format(value, how))]


def _created(text: str) -> str:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return _text(text)
    if when.tzinfo is not None:
        try:
            when = when.astimezone(timezone.utc)
        except OverflowError:  # e.g. 9999-12-31T23:59-12:00 is past year 9999 in UTC
            return _text(text)
        return when.strftime("%Y-%m-%d %H:%M UTC")
    return when.strftime("%Y-%m-%d %H:%M")


def _kind(info: ModelInfo) -> str:
    if info.kind == "classifier":
        return "digit classifier"
    if info.clusters:
        return (f"self-conditioned generator on {info.num_classes} clusters (you choose the "
                f"cluster, or a blend of clusters; which digit a cluster shows is the "
                f"classifier's verdict)")
    if info.conditional:
        return "conditional generator (you choose the digit, or a blend of digits)"
    return "unconditional generator"


def _priors(info: ModelInfo) -> str:
    """"12.0 % · 3.1 % · …" for a few clusters, the range and the largest for many."""
    priors = info.class_priors or ()
    if len(priors) <= 12:
        return " · ".join(f"{p:.1%}" for p in priors)
    top = max(range(len(priors)), key=lambda c: priors[c])
    return (f"{min(priors):.1%} to {max(priors):.1%} each (largest: cluster {top})")


def model_rows(info: ModelInfo) -> list[tuple[str, str]]:
    """(name, value) rows describing `info`: what it is, how it was trained, its metrics."""
    rows = [("File", info.path.name), ("Kind", _kind(info)),
            ("Architecture", _text(info.architecture))]
    if info.kind == "generator":
        rows.append(("Latent", f"{info.latent_dim} dimensions"))
    if info.clusters:
        rows.append(("Classes", f"{info.num_classes} k-means clusters of the training images"))
        rows.append(("Cluster shares", _priors(info)))
    rows += [("Dataset", _text(info.dataset)), ("Epochs", f"{info.epochs:,}"),
             ("Created", _created(info.created))]
    metrics = info.metrics if isinstance(info.metrics, dict) else {}
    # Known metrics in a sensible order (the JSON is sorted by key), then any others.
    keys = [k for k in _METRICS if k in metrics] + [
        k for k in metrics if k not in _METRICS and k not in _SKIPPED]
    shown: list[tuple[str, str]] = []
    for done, key in enumerate(keys):
        more = _metric_rows(key, metrics[key])
        if len(shown) + len(more) > MAX_METRIC_ROWS:
            left = len(keys) - done
            shown.append(("…", f"{left:,} more metric{'s' if left > 1 else ''} not shown"))
            break
        shown += more
    return rows + shown
