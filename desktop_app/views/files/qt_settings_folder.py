"""Qt's own settings (the file dialog's) kept in a folder of this process, never the user's.

Qt's file dialog reads `~/.config/QtProject.conf` each time one opens and rewrites it when
one closes: a FIFO there hung File → Open for ever, a `@Variant(` line in it would abort the
app (as in our own settings, core/files/settings_file.py), and a link or a device there would be
replaced. `keep_private()` points every QSettings path at an empty temporary folder made for
this process; the dialog's own history is therefore not kept between runs (the app
remembers the last folder itself, in its settings).

The folder is `digit-studio-qt~PID~HEX` in the temporary directory. It is removed at exit;
one left by a process that was killed is removed by the next start, matched by that exact
name, owned by this user, and only once its process is gone.
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import shutil
import stat
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings

from digit_contract.atomic import process_alive

PREFIX = "digit-studio-qt"
_NAME = re.compile(rf"{PREFIX}~(\d{{1,10}})~[0-9a-f]{{8}}")
_folder: Path | None = None


def remove_stale(parent: Path) -> list[Path]:
    """Remove the folders earlier runs left in `parent` when they were killed; returns them."""
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    uid = getattr(os, "getuid", lambda: None)()
    for entry in entries:
        match = _NAME.fullmatch(entry.name)
        if not match or process_alive(int(match.group(1))):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode) and (uid is None or st.st_uid == uid):
                shutil.rmtree(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass  # gone already, or not ours: either way nothing to do
    return removed


def keep_private() -> Path:
    """Point Qt's own QSettings at this process's folder (made on first call); returns it.
    Call before the first file dialog opens."""
    global _folder
    if _folder is None:
        parent = Path(tempfile.gettempdir())
        remove_stale(parent)
        while True:
            folder = parent / f"{PREFIX}~{os.getpid()}~{secrets.token_hex(4)}"
            try:
                folder.mkdir(mode=0o700)  # only this user reads it (as mkdtemp's)
                break
            except FileExistsError:
                continue
        _folder = folder
        atexit.register(shutil.rmtree, folder, True)
        for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
            for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
                QSettings.setPath(fmt, scope, str(_folder))
    return _folder
