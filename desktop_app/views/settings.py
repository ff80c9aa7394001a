"""Settings kept between runs (QSettings), and where they live.

`DIGIT_STUDIO_SETTINGS=/path/file.ini` stores them in that INI file instead of the user's
platform store; tests and the benchmark use it so they never touch a real user's settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

ORGANIZATION = "DigitStudio"
APPLICATION = "Digit Studio"
MAX_RECENT = 8


def make_settings() -> QSettings:
    path = os.environ.get("DIGIT_STUDIO_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


def recent_models(settings: QSettings) -> list[str]:
    value = settings.value("recent_models", [])
    if isinstance(value, str):  # QSettings gives a bare string for a one-item list
        value = [value]
    return [str(v) for v in (value or []) if v][:MAX_RECENT]


def remember_model(settings: QSettings, path: Path) -> list[str]:
    """Put `path` first in the recent list (no duplicates, at most MAX_RECENT)."""
    entry = str(Path(path).resolve())
    recent = [entry] + [p for p in recent_models(settings) if p != entry]
    settings.setValue("recent_models", recent[:MAX_RECENT])
    return recent[:MAX_RECENT]


def value(settings: QSettings, key: str, default, kind=None):
    """`settings.value` that survives junk: a wrong type falls back to `default`."""
    raw = settings.value(key, default)
    kind = kind or type(default)
    try:
        if kind is bool and isinstance(raw, str):
            return raw.lower() in ("1", "true", "yes")
        return kind(raw)
    except (TypeError, ValueError):
        return default
