"""Settings kept between runs (QSettings), and where they live.

`DIGIT_STUDIO_SETTINGS=/path/file.ini` stores them in that INI file instead of the user's
platform store; tests and the benchmark use it so they never touch a real user's settings.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from PySide6.QtCore import QSettings

from digit_contract.reading import resolve_path

ORGANIZATION = "DigitStudio"
APPLICATION = "Digit Studio"
MAX_RECENT = 8


def make_settings() -> QSettings:
    path = os.environ.get("DIGIT_STUDIO_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


def recent_models(settings: QSettings) -> list[str]:
    """The recent models, newest first; a damaged entry (not a list of paths) reads as none."""
    value = settings.value("recent_models", [])
    if isinstance(value, str):  # QSettings gives a bare string for a one-item list
        value = [value]
    if not isinstance(value, (list, tuple)):
        return []
    return [v for v in value if isinstance(v, str) and v and "\0" not in v][:MAX_RECENT]


def remember_model(settings: QSettings, path: Path) -> list[str]:
    """Put `path` first in the recent list (no duplicates, at most MAX_RECENT)."""
    entry = str(resolve_path(path))
    recent = [entry] + [p for p in recent_models(settings) if p != entry]
    settings.setValue("recent_models", recent[:MAX_RECENT])
    return recent[:MAX_RECENT]


def value(settings: QSettings, key: str, default, kind=None):
    """`settings.value` that survives junk: a wrong type falls back to `default`, and so
    does a float that is NaN or infinite (an INI file may say `truncation=nan`)."""
    try:
        raw = settings.value(key, default)
    except Exception:  # noqa: BLE001 - QSettings can fail to convert a damaged entry
        return default
    kind = kind or type(default)
    if kind in (int, float) and not isinstance(raw, (int, float, str)) \
            or kind is str and not isinstance(raw, str) \
            or isinstance(raw, bool) and kind is not bool:
        return default
    try:
        if kind is bool:
            if isinstance(raw, str):
                return raw.lower() in ("1", "true", "yes")
            return raw if isinstance(raw, bool) else default
        result = kind(raw)
    except (TypeError, ValueError, OverflowError):
        return default
    if isinstance(result, float) and not math.isfinite(result):
        return default
    return result


def number(settings: QSettings, key: str, default, lo, hi):
    """A number in lo..hi (of `default`'s type); anything else, out of range included,
    falls back to `default`. `int("9" * 5000)` is refused by Python, also a fallback."""
    result = value(settings, key, default, type(default))
    return result if lo <= result <= hi else default
