"""Settings kept between runs, and where they live.

`DIGIT_STUDIO_SETTINGS=/path/file.ini` keeps them in that file instead of the user's own
(`~/.config/DigitStudio/Digit Studio.conf` on Linux); tests and the benchmark use it so they
never touch a real user's settings.

The rules (README, "What it refuses"): settings are read from, and written to, a regular
file the app made (it carries a `[digit-studio]` marker, core/files/settings_file.py) or not at
all; a link, a device, a FIFO, a file over the size cap or someone else's file is never
written, and only a regular file is ever opened. One window writes a settings file at a
time: it holds a lock beside the file (`.NAME.lock`) from start to close, and a second
window runs read-only. Either way the app keeps working, with the values in memory, and
`Settings.notice` says so in one sentence.

QSettings is not used for the file: it would open a FIFO (and block), replace a device, and
decode `@Variant(…)` entries, one of which aborts the process (core/files/settings_file.py).
"""

from __future__ import annotations

import math
import os
import re
import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QStandardPaths

from digit_contract.atomic import OutputError, write_atomic
from digit_contract.lock import FolderLock, LockedError
from digit_contract.reading import resolve_path

from ...core.files import settings_file

ORGANIZATION = "DigitStudio"
APPLICATION = "Digit Studio"
MAX_RECENT = 8


def _shown(path: Path) -> str:
    """`path` for a one-line message: a newline or other control character shows as ?."""
    return "".join(c if c.isprintable() else "?" for c in str(path))


def default_path() -> Path | None:
    """Where QSettings kept the user's settings on Linux, and where they stay (None when
    the platform names no configuration folder)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    if not folder:
        return None
    suffix = ".ini" if sys.platform.startswith("win") else ".conf"
    return Path(folder) / ORGANIZATION / f"{APPLICATION}{suffix}"


class Settings:
    """The settings of this window: read once at start, kept in memory, written by `sync`
    only when the file is the app's own and this window holds its lock.

    `value`, `setValue` and `remove` keep QSettings' names and meaning (the views and tests
    call them as they called QSettings), except that nothing but `sync` touches the disk.
    Values are str, int, float, bool, lists of str and QByteArray; read back from the file,
    numbers and booleans come as text, as from QSettings (`value()` below converts them).

    path : the settings file, or None for none at all (defaults, nothing kept).
    own_folder : True for the app's own settings folder: it is created if missing, and a
        file an earlier version wrote there (no marker yet) is taken as the app's own.
    """

    def __init__(self, path: Path | None, own_folder: bool = False):
        self.path = path
        #: One sentence when settings are read-only or not read at all this time, else None.
        self.notice: str | None = None
        self._values: dict = {}
        self._changed = False
        self._lock: FolderLock | None = None
        self._identity: tuple | None = None
        if path is None:
            self.notice = ("Settings are not kept this time: no settings folder is known "
                           "on this system; the defaults are used.")
            return
        if own_folder:
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError:
                pass  # said below: its folder does not exist
        self._open(path, own_folder)

    def _open(self, path: Path, own_folder: bool) -> None:
        shown = _shown(path)
        if not path.parent.is_dir():
            self.notice = (f"Settings are not kept this time: the folder of {shown} does "
                           "not exist; the defaults are used.")
            return
        found = settings_file.read(path, adopt_earlier=own_folder)
        if found.state == "refused":
            self.notice = (f"Settings are not read or kept this time: {shown}: "
                           f"{found.reason}; the defaults are used.")
            return
        self._values = found.values
        if found.state == "foreign":
            self.notice = (f"Settings are read-only this time: {shown}: {found.reason}, so "
                           "it is read but never rewritten; changes last until Digit "
                           "Studio closes.")
            return
        # "absent" or "ours": this window writes it, if no other window does.
        lock = FolderLock(path.parent, "settings file", f".{path.name[:200]}.lock")
        if settings_file.read(lock.path, limit=64).state == "refused":  # a FIFO, a link…
            self.notice = (f"Settings are read-only this time: {_shown(lock.path)}, the lock "
                           "file beside them, is not a regular file; changes last until "
                           "Digit Studio closes.")
            return
        try:
            self._lock = lock.acquire()
        except LockedError as exc:
            text = str(exc)
            holder = re.search(r"by process (\d+)", text)
            who = f"(process {holder.group(1)}) " if holder else ""
            why = text.rsplit(": ", 1)[-1].rstrip(".")
            self.notice = (f"Settings are read-only in this window: another Digit Studio "
                           f"{who}is using {shown}; changes made here last until this "
                           "window closes." if " in use" in text else
                           f"Settings are read-only this time: {shown} cannot be locked "
                           f"for writing ({why}); changes last until Digit Studio closes.")
            return
        if settings_file.identity_of(path) != found.identity:
            # Another window wrote it between the read and the lock: read it again.
            found = settings_file.read(path, adopt_earlier=own_folder)
            if found.state not in ("absent", "ours"):
                self.release()
                self.notice = (f"Settings are read-only this time: {shown}: {found.reason}; "
                               "changes last until Digit Studio closes.")
                return
            self._values = found.values
        self._identity = found.identity
        if found.damaged:
            self.notice = (f"{found.damaged} damaged entr{'y' if found.damaged == 1 else 'ies'}"
                           f" in {shown} (a value Digit Studio never writes) left out; the "
                           "other settings are read as usual.")

    @property
    def writable(self) -> bool:
        """True while `sync` writes the file (it is ours and this window holds its lock)."""
        return self._lock is not None and self._lock.held

    # -- QSettings' interface ---------------------------------------------------------------
    def value(self, key: str, default=None):
        found = self._values.get(key)
        if found is None:
            return default
        if isinstance(found, bytes):
            return QByteArray(found)
        return list(found) if isinstance(found, list) else found

    def setValue(self, key: str, value) -> None:  # QSettings' name, so callers keep theirs
        if isinstance(value, QByteArray):
            value = bytes(value.data())
        elif isinstance(value, tuple):
            value = list(value)
        self._values[key] = value
        self._changed = True

    def remove(self, key: str) -> None:
        """Forget `key` and every key below it (`key/…`), as QSettings does."""
        gone = [k for k in self._values if k == key or k.startswith(f"{key}/")]
        for k in gone:
            del self._values[k]
        self._changed = self._changed or bool(gone)

    def sync(self) -> None:
        """Write the settings if they changed and the file is ours to write; a failure is
        one sentence on stderr (the window is closing: there is nowhere else to say it)."""
        if not (self._changed and self.writable):
            return
        data = settings_file.dumps(self._values).encode("utf-8", "surrogatepass")
        if len(data) > settings_file.MAX_BYTES:  # the next start would refuse to read it
            print(f"Settings were not saved: they would take {len(data) >> 20} MB, more than "
                  f"the {settings_file.MAX_BYTES >> 20} MB a settings file may hold; the "
                  "file keeps what it had.", file=sys.stderr)
            return
        try:
            write_atomic(self.path, lambda handle: handle.write(data), mode=0o600,
                         replace=lambda p: settings_file.is_ours(p, self._identity))
        except OutputError as exc:
            print(f"Settings were not saved: {exc}", file=sys.stderr)
            self.release()
            return
        self._identity = settings_file.identity_of(self.path)
        self._changed = False

    def release(self) -> None:
        """Stop writing (the window is closing): the next window may take the file."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def make_settings() -> Settings:
    """The settings of a new window: `DIGIT_STUDIO_SETTINGS`, else the user's own file."""
    path = os.environ.get("DIGIT_STUDIO_SETTINGS")
    if path:
        return Settings(Path(path))
    return Settings(default_path(), own_folder=True)


def recent_models(settings: Settings) -> list[str]:
    """The recent models, newest first; a damaged entry (not a list of paths) reads as none."""
    value = settings.value("recent_models", [])
    if isinstance(value, str):  # QSettings gives a bare string for a one-item list
        value = [value]
    if not isinstance(value, (list, tuple)):
        return []
    return [v for v in value if isinstance(v, str) and v and "\0" not in v][:MAX_RECENT]


def remember_model(settings: Settings, path: Path) -> list[str]:
    """Put `path` first in the recent list (no duplicates, at most MAX_RECENT)."""
    entry = str(resolve_path(path))
    recent = [entry] + [p for p in recent_models(settings) if p != entry]
    settings.setValue("recent_models", recent[:MAX_RECENT])
    return recent[:MAX_RECENT]


def value(settings: Settings, key: str, default, kind=None):
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


def number(settings: Settings, key: str, default, lo, hi):
    """A number in lo..hi (of `default`'s type); anything else, out of range included,
    falls back to `default`. `int("9" * 5000)` is refused by Python, also a fallback."""
    result = value(settings, key, default, type(default))
    return result if lo <= result <= hi else default
