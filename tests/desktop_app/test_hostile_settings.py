"""The settings file, the About box, the message bar and `--screenshot`, as a hostile or
careless user would try them: nothing of theirs is lost, nothing hangs or aborts.

Settings are read from, and written to, a regular file the app made, or not at all: a
device, a FIFO, a link or someone else's file is left byte-identical, and the app starts
with its defaults and says so once. No settings content aborts the app, one window writes
a settings file at a time, the About box shows a bounded amount of metadata, a success
clears a stale error, and a refused `--screenshot PATH` exits 2 in one sentence.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.core.files import settings_file
from desktop_app.core.models.contract import ModelInfo
from desktop_app.core.models.model_card import MAX_METRIC_ROWS, model_rows

from . import hostile_corpus as hc
from . import onnx_models as om

REPO = Path(__file__).resolve().parents[2]
# A QVariant of type 11 (QStringList) claiming 2^31 - 1 items: QSettings' QDataStream
# tries to allocate them and the process dies of std::bad_alloc (SIGABRT).
BOMB = r"@Variant(\0\0\0\v\x7f\xff\xff\xff)"


def _settings_path() -> Path:
    return Path(os.environ["DIGIT_STUDIO_SETTINGS"])


def _window(qtbot, settings=None):
    from desktop_app.views.main_window import MainWindow

    w = MainWindow(settings=settings, debounce_ms=60)
    qtbot.addWidget(w)
    return w


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if "~digit-studio~" in p.name]


def _app(*args: str, env_extra: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **env_extra}
    return subprocess.run([sys.executable, "-m", "desktop_app", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def _one_sentence(text: str) -> None:
    assert "Traceback" not in text and "\n" not in text.strip(), text
    assert text.strip().endswith("."), text


# -- 1. settings live only in a regular file the app made --------------------------------
def test_the_app_makes_its_own_settings_file_and_keeps_it(qtbot, model_dir):
    w = _window(qtbot)
    assert w.settings.notice is None and w.settings.writable
    w.open_model(model_dir / "generator.onnx")
    w.close()
    text = _settings_path().read_text(encoding="utf-8")
    assert text.startswith("[digit-studio]\nformat=1\n")
    again = _window(qtbot)
    assert again.settings.writable and again.settings.notice is None
    assert again.settings.value("last_model")  # read back from its own file
    assert _no_temp_files(_settings_path().parent)


# A FIFO is tried in a child process (test_a_fifo_as_settings_does_not_hang_start_up):
# here it would hang the test run on a regression instead of failing it.
@pytest.mark.parametrize("kind", ["text", "link", "dangling", "folder", "device"])
def test_settings_never_replace_what_the_app_did_not_make(qtbot, model_dir, tmp_path,
                                                          monkeypatch, kind):
    users = tmp_path / "users"
    users.mkdir()
    notes = users / "notes.txt"
    notes.write_text("seed=5\nmy own lines\nkeep=me\n", encoding="utf-8")
    target = users / "settings.ini"
    if kind == "text":
        target = notes
    elif kind == "link":
        target.symlink_to(notes)
    elif kind == "dangling":
        target.symlink_to(users / "nothing-here.ini")
    elif kind == "folder":
        target.mkdir()
    else:
        try:
            os.mknod(target, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # like /dev/null
        except PermissionError:
            pytest.skip("making a device node needs root")
    monkeypatch.setenv("DIGIT_STUDIO_SETTINGS", str(target))
    before = hc.fingerprint(users)
    w = _window(qtbot)
    assert w.open_model(model_dir / "generator.onnx")
    w.ui.grid_box.setChecked(True)  # a change to keep, if the app (wrongly) could
    w.close()
    assert hc.fingerprint(users) == before
    _one_sentence(w.settings.notice)  # said once, at start
    assert str(target) in w.settings.notice
    if kind == "text":  # someone else's file is read, never rewritten
        assert "read-only" in w.settings.notice and w.studio.state.seed == 5


def test_a_fifo_as_settings_does_not_hang_start_up(model_dir, tmp_path):
    fifo = tmp_path / "settings.ini"
    os.mkfifo(fifo)
    # timeout: QSettings opened the FIFO for reading and waited for a writer for ever.
    result = _app(str(model_dir / "generator.onnx"), "--self-test",
                  env_extra={"DIGIT_STUDIO_SETTINGS": str(fifo)}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "named pipe" in result.stderr and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert len([line for line in result.stderr.splitlines() if "Settings" in line]) == 1


def test_a_device_as_settings_survives_the_command_line(model_dir, tmp_path):
    """The issue's repro: `DIGIT_STUDIO_SETTINGS=/tmp/d/null python -m desktop_app
    --self-test` left a regular INI file where the device was."""
    folder = tmp_path / "d"
    folder.mkdir()
    device = folder / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    result = _app(str(model_dir / "generator.onnx"), "--self-test",
                  env_extra={"DIGIT_STUDIO_SETTINGS": str(device)})
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert sorted(p.name for p in folder.iterdir()) == ["null"]  # no lock, no temp file


def test_an_empty_file_is_taken_and_a_huge_one_is_not_read(qtbot, tmp_path, monkeypatch):
    empty = _settings_path()
    empty.write_bytes(b"")
    w = _window(qtbot)
    assert w.settings.writable and w.settings.notice is None
    w.close()
    assert empty.read_text(encoding="utf-8").startswith("[digit-studio]")
    huge = tmp_path / "huge.ini"
    with open(huge, "wb") as handle:  # sparse: 65 MiB of zeros on no disk
        handle.truncate(settings_file.MAX_BYTES + 1)
    monkeypatch.setenv("DIGIT_STUDIO_SETTINGS", str(huge))
    before = hc.fingerprint(tmp_path)
    w = _window(qtbot)
    assert not w.settings.writable and "larger than" in w.settings.notice
    w.close()
    assert hc.fingerprint(tmp_path) == before


def test_an_earlier_versions_file_in_the_apps_own_folder_is_adopted(qtbot, tmp_path,
                                                                    monkeypatch):
    """The user's own settings, written by QSettings before the marker existed, are still
    read and kept; a file there holding keys the app never wrote is only read."""
    from PySide6.QtCore import QSettings

    monkeypatch.delenv("DIGIT_STUDIO_SETTINGS")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    from desktop_app.views.files.settings import default_path

    path = default_path()
    assert path.is_relative_to(tmp_path)
    path.parent.mkdir(parents=True)
    old = QSettings(str(path), QSettings.Format.IniFormat)
    old.setValue("grid", True)
    old.setValue("recent_models", ["/a/one.onnx", "/b/two, with comma.onnx"])
    old.sync()
    del old
    w = _window(qtbot)
    assert w.settings.writable and w.settings.notice is None
    assert w.ui.grid_box.isChecked()
    assert w.settings.value("recent_models") == ["/a/one.onnx", "/b/two, with comma.onnx"]
    w.close()
    assert path.read_text(encoding="utf-8").startswith("[digit-studio]")
    path.write_text("[General]\ngrid=true\nsomething_else=1\n", encoding="utf-8")
    before = hc.fingerprint(path.parent)
    w = _window(qtbot)
    assert not w.settings.writable and "not made by Digit Studio" in w.settings.notice
    w.close()
    assert hc.fingerprint(path.parent) == before


# -- 2. no settings content aborts the app --------------------------------------------------
CRAFTED = {
    "seed": BOMB,
    "truncation": BOMB.replace("@", r"\x40"),  # the same, spelled with an escape
    "recent_models": f"/a.onnx, {BOMB}",  # one item of a list
    "grid": r"@DateTime(\0\0\0\x10\0\0\0\0\0\0\0\0\0\0\0\0\0\0)",
    "method": "@Rect(1 2 3 4)",
    "export_scale": '"' + BOMB + '"',
}


def test_crafted_qt_values_are_left_out_never_decoded():
    text = "[digit-studio]\nformat=1\n[General]\n" + "".join(
        f"{k}={v}\n" for k, v in CRAFTED.items()) + "speed_percent=150\n"
    values, damaged = settings_file.parse(text)
    assert damaged == len(CRAFTED) and values == {MARKER: "1", "speed_percent": "150"}


MARKER = settings_file.MARKER


def test_a_crafted_settings_line_does_not_abort_the_app(model_dir):
    """`seed=@Variant(\\0\\0\\0\\v\\x7f\\xff\\xff\\xff)` killed the app with SIGABRT at
    start-up, every time, until the file was edited by hand."""
    path = _settings_path()
    path.write_text("[digit-studio]\nformat=1\n[General]\n" + "".join(
        f"{k}={v}\n" for k, v in CRAFTED.items()) + "speed_percent=150\n", encoding="utf-8")
    result = _app(str(model_dir / "generator.onnx"), "--self-test",
                  env_extra={"DIGIT_STUDIO_SETTINGS": str(path)})
    assert result.returncode != -signal.SIGABRT
    assert result.returncode == 0, result.stderr
    assert "damaged entries" in result.stderr and "Traceback" not in result.stderr
    text = path.read_text(encoding="utf-8")  # the app's own file: rewritten without them
    assert "@Variant" not in text and "x40Variant" not in text and "speed_percent=150" in text


def test_pathological_settings_files_are_refused_quickly(qtbot, tmp_path, monkeypatch):
    """Tens of megabytes of commas, backslashes or newlines kept a Python loop (or Qt's)
    busy at start-up; past the work bounds the file is not read at all."""
    for name, body in {"commas": "a=" + "," * 3_000_000,
                       "escapes": "a=" + "\\x" * 300_000,
                       "lines": " \n" * 30_000}.items():
        path = tmp_path / f"{name}.ini"
        path.write_text("[digit-studio]\nformat=1\n" + body, encoding="utf-8")
        reading = settings_file.read(path)
        assert reading.state == "refused" and "far more" in reading.reason, name


# -- 3. one writer per settings file -----------------------------------------------------
def test_two_windows_never_lose_each_others_keyframes(qtbot, model_dir):
    """Both restore 3 keyframes, A adds 3 and closes, B closes later: the next start had 3
    (B's close wrote its stale list over A's). B is read-only and says so."""
    first = _window(qtbot)
    assert first.open_model(model_dir / "generator.onnx")
    for seed in range(3):
        first.ui.controls.seed_box.setValue(seed + 10)
        first.path.add_keyframe()
    first.close()
    a, b = _window(qtbot), _window(qtbot)
    assert a.open_model(model_dir / "generator.onnx") and b.open_model(model_dir / "generator.onnx")
    assert len(a.studio.keyframes) == len(b.studio.keyframes) == 3
    for seed in range(3):
        a.ui.controls.seed_box.setValue(seed + 20)
        a.path.add_keyframe()
    a.close()
    b.close()
    again = _window(qtbot)
    assert again.open_model(model_dir / "generator.onnx")
    assert len(again.studio.keyframes) == 6
    assert a.settings.notice is None  # the first window wrote; the second was told
    _one_sentence(b.settings.notice)
    assert "another Digit Studio" in b.settings.notice and str(os.getpid()) in b.settings.notice
    assert again.settings.writable  # the lock went with the window that held it


def test_the_second_instance_is_told_once_in_the_window(qtbot, model_dir, capsys):
    from desktop_app.views.app import launch

    first = launch(model_dir / "generator.onnx")
    qtbot.addWidget(first)
    second = launch(model_dir / "generator.onnx")
    qtbot.addWidget(second)
    assert first.ui.message_bar.text() == ""
    assert "read-only" in second.ui.message_bar.text()
    assert capsys.readouterr().err.count("read-only") == 1
    # The notice is a standing fact: a later success (a latent file loads) leaves it up.
    path = Path(os.environ["DIGIT_STUDIO_SETTINGS"]).parent / "z.json"
    assert second.files.save_latents(path) and second.files.load_latents(path)
    assert "read-only" in second.ui.message_bar.text()
    first.close()
    second.close()


# -- 4. the About box shows a bounded amount --------------------------------------------
def _info(**changes) -> ModelInfo:
    base = ModelInfo(path=Path("generator.onnx"), kind="generator", num_classes=10,
                     architecture="cdcgan", epochs=20, dataset="mnist",
                     created="2026-11-25T22:04:46+00:00", latent_dim=100)
    return dataclasses.replace(base, **changes)


def test_about_with_sixty_thousand_metrics_shows_a_few_and_counts_the_rest():
    from desktop_app.views.about import about_html

    metrics = {f"metric_{i:05d}": i * 0.5 for i in range(60_000)}
    rows = model_rows(_info(metrics=metrics))
    metric_rows = rows[-(MAX_METRIC_ROWS + 1):]
    assert metric_rows[-1] == ("…", f"{60_000 - MAX_METRIC_ROWS:,} more metrics not shown")
    html = about_html(_info(metrics=metrics), _info(kind="classifier", metrics=metrics))
    assert len(html) < 30_000 and html.count("<tr>") < 2 * (MAX_METRIC_ROWS + 20)


def test_about_with_huge_integers_opens(window, qtbot, tmp_path):
    """A 400-digit integer is valid JSON; the About box raised OverflowError instead of
    opening."""
    from desktop_app.views.about import show_about

    big = 10 ** 400 + 7
    metrics = {"conditional_accuracy": big, "train_seconds": big, "n": big,
               "smoothness": {"p99": big, "p50": -big, "share_above_5": big},
               "class_shares": [big] * 10, "fid": -big}
    model = om.save(om.generator_model(8, conditional=True, meta={
        "metrics": json.dumps(metrics)}), tmp_path / "big.onnx")
    assert window.open_model(model)
    box = show_about(window)
    qtbot.addWidget(box)
    assert "digits" in box.text() and len(box.text()) < 20_000
    rows = dict(model_rows(window.studio.generator.info))
    assert all(len(v) <= 160 for v in rows.values())
    assert rows["Samples evaluated"] == "1.000e+400 (401 digits)"


# -- 5. a later success clears a stale error ---------------------------------------------
def test_a_later_success_clears_a_stale_error(loaded, tmp_path, model_dir):
    bar = loaded.ui.message_bar
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    assert loaded.files.save_latents(good)
    bad.write_text("{not json", encoding="utf-8")
    assert not loaded.files.load_latents(bad) and "bad.json" in bar.text()
    assert loaded.files.load_latents(good)
    assert bar.text() == ""
    assert not loaded.compare.open(bad) and bar.text()
    assert loaded.compare.open(model_dir / "generator_b.onnx")
    assert bar.text() == ""
    assert not loaded.files.export_strip(tmp_path / "missing" / "s.png") and bar.text()
    loaded.path.add_keyframe()
    loaded.path.add_keyframe()
    assert loaded.files.export_strip(tmp_path / "s.png") and bar.text() == ""


# -- 6. a refused --screenshot exits 2 ----------------------------------------------------
@pytest.mark.parametrize("case", ["missing folder", "not a png", "link", "folder"])
def test_a_refused_screenshot_path_exits_2_in_one_sentence(model_dir, tmp_path, case):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.txt").write_text("mine", encoding="utf-8")
    shot = {"missing folder": tmp_path / "nonexistent" / "x.png",
            "not a png": corpus / "notes.txt", "link": corpus / "link.png",
            "folder": corpus / "dir.png"}[case]
    if case == "link":
        shot.symlink_to(corpus / "notes.txt")
    if case == "folder":
        shot.mkdir()
    before = hc.fingerprint(corpus)
    result = _app(str(model_dir / "generator.onnx"), "--screenshot", str(shot),
                  env_extra={"DIGIT_STUDIO_SETTINGS": str(tmp_path / "s.ini")})
    assert result.returncode == 2, result.stderr
    _one_sentence(result.stderr)
    assert shot.name in result.stderr
    assert hc.fingerprint(corpus) == before


# -- the next ones of the same kind -------------------------------------------------------
def test_qts_own_settings_file_is_never_read_or_written(tmp_path):
    """Qt's file dialog reads ~/.config/QtProject.conf whenever one opens (a FIFO there hung
    File → Open for ever) and rewrites it when one closes."""
    config = tmp_path / "config"
    config.mkdir()
    os.mkfifo(config / "QtProject.conf")
    (config / "Trolltech.conf").symlink_to(tmp_path / "elsewhere")
    before = hc.fingerprint(config)
    script = ("from desktop_app.views.app import application\n"
              "from PySide6.QtWidgets import QFileDialog\n"
              "app = application()\n"
              "dialog = QFileDialog(None, 'Open model')\n"
              "dialog.show(); app.processEvents(); dialog.close(); dialog.deleteLater()\n"
              "app.processEvents()\n"
              "print('closed')\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(config)}
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, timeout=60,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "closed" in result.stdout, result.stderr
    assert hc.fingerprint(config) == before


def test_only_qt_folders_of_killed_runs_are_cleaned_up(tmp_path):
    from desktop_app.views.files.qt_settings_folder import PREFIX, remove_stale

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = tmp_path / f"{PREFIX}~{gone.pid}~0123abcd"
    (stale / "QtProject.conf").parent.mkdir()
    (stale / "QtProject.conf").write_text("[FileDialog]\n", encoding="utf-8")
    alive = tmp_path / f"{PREFIX}~{os.getpid()}~0123abcd"
    users = [tmp_path / f"{PREFIX}-mine", tmp_path / f"{PREFIX}~{gone.pid}~notours"]
    for folder in (alive, *users):
        folder.mkdir()
    assert remove_stale(tmp_path) == [stale]
    assert alive.is_dir() and all(folder.is_dir() for folder in users)


def test_a_fifo_where_the_lock_goes_leaves_settings_read_only(qtbot):
    lock = _settings_path().parent / f".{_settings_path().name}.lock"
    os.mkfifo(lock)
    w = _window(qtbot)
    assert not w.settings.writable and "lock file" in w.settings.notice
    _one_sentence(w.settings.notice)
    w.close()
    assert not _settings_path().exists() and stat.S_ISFIFO(os.lstat(lock).st_mode)


TRICKY = ["", " lead and trail ", "a, b; c=d", '"quoted" \\ back', "line\nbreak\r\t",
          "\0 then 0", "\x01a", "@at the start", "@Variant(x)", "é ☃ 𝄞", "\udc80 undecodable"]


def test_values_come_back_as_they_were_written():
    values = {f"k{i}": v for i, v in enumerate(TRICKY)}
    values.update({"list": TRICKY, "bytes": bytes(range(256)), "group/sub/key": "x",
                   "odd key %/é": "y", "flag": True, "n": 42, "x": 0.5, "none": []})
    back, damaged = settings_file.parse(settings_file.dumps(values))
    assert damaged == 0 and back.pop(MARKER) == "1"
    expected = {**values, "k10": "\ufffd undecodable", "flag": "true", "n": "42", "x": "0.5",
                "none": None, "list": [*TRICKY[:10], "\ufffd undecodable"]}
    assert back == expected


def test_settings_too_large_to_read_back_are_not_written(qtbot, monkeypatch, capsys):
    w = _window(qtbot)
    w.close()
    before = _settings_path().read_bytes()
    monkeypatch.setattr(settings_file, "MAX_BYTES", len(before) + 100)
    again = _window(qtbot)
    again.settings.setValue("keyframes/8d", "x" * 200)
    again.close()
    assert _settings_path().read_bytes() == before
    assert "Settings were not saved" in capsys.readouterr().err
