"""Hostile settings, a classifier that fails at run time, markup in names and metadata, and
long native error messages."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PySide6.QtCore import Qt

from desktop_app.core.models.contract import ContractError
from desktop_app.core.morph.keyframes import Keyframe
from desktop_app.core.models.messages import first_line
from digit_contract.reading import read_capped, resolve_path

from . import hostile_corpus as hc
from . import onnx_models as om
from .hypothesis_settings import quick

KEYS = ["truncation", "seed", "speed_percent", "grid", "loop", "pingpong", "method",
        "class_weights", "recent_models", "export_scale", "last_model", "last_folder"]
JUNK = ["nan", "inf", "-inf", "-3", "1e400", "9" * 5000, "abc", "", "true", "@Invalid()",
        "a, b, c", "0 0 nan 1", "<b>x</b>"]


def _settings_file(path: Path, entries: dict[str, str]) -> None:
    path.write_text("[General]\n" + "".join(f"{k}={v}\n" for k, v in entries.items()),
                    encoding="utf-8")


def _start(qtbot, model: Path):
    from desktop_app.views.main_window import MainWindow

    w = MainWindow(debounce_ms=60)
    qtbot.addWidget(w)
    assert w.open_model(model)
    w.scheduler.flush()
    return w


@pytest.mark.parametrize("junk", JUNK)
def test_junk_in_every_setting_falls_back_to_defaults(qtbot, model_dir, junk):
    _settings_file(Path(os.environ["DIGIT_STUDIO_SETTINGS"]), {k: junk for k in KEYS})
    w = _start(qtbot, model_dir / "conditional.onnx")
    state = w.studio.state
    assert math.isfinite(state.truncation) and 0.0 <= state.truncation <= 2.0
    assert np.isfinite(state.z).all() and w.ui.digit_view.pixels() is not None
    w.files._on_recent_about_to_show()  # the recent menu reads its setting too
    w.close()


# The settings file is rewritten per example, and each window is closed: qtbot being
# shared across examples is harmless here.
@settings(quick(max_examples=15),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(KEYS),
                       st.text(st.characters(blacklist_categories=("Cs",),
                                             blacklist_characters="\n\r\x00[]"),
                               max_size=30), max_size=len(KEYS)))
def test_any_settings_file_starts_the_app(qtbot, model_dir, entries):
    _settings_file(Path(os.environ["DIGIT_STUDIO_SETTINGS"]), entries)
    w = _start(qtbot, model_dir / "generator.onnx")
    assert math.isfinite(w.studio.state.truncation)
    w.close()


# -- a classifier that fails at run time ------------------------------------------------
class _Broken:
    def __init__(self, mode: str):
        self.mode = mode
        self.calls = 0

    def run(self, names, feeds, options=None):  # options: the call's deadline (RunOptions)
        self.calls += 1
        n = len(feeds["image"])
        if self.mode == "raises":
            raise RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status")
        if self.mode == "nan":
            return [np.full((n, 10), np.nan, np.float32)]
        return [np.zeros((n, 3), np.float32)]


@pytest.mark.parametrize("mode", ["raises", "nan", "shape"])
def test_a_classifier_failing_at_run_time_is_switched_off_once(loaded, qtbot, mode):
    messages = []
    original = loaded.show_message
    loaded.show_message = lambda text, kind="error": (messages.append(text),
                                                      original(text, kind))
    broken = _Broken(mode)
    loaded.studio.classifier._session = broken
    for seed in range(1, 6):  # five frames: one message, and the generator keeps drawing
        loaded.studio.state.set_seed(seed)
        with qtbot.waitSignal(loaded.frameRendered, timeout=5000):
            loaded.scheduler.request()
        loaded.flush_verdict()
    assert len(messages) == 1 and "classifier.onnx" in messages[0], messages
    assert "Verdicts are off" in messages[0]
    assert broken.calls == 1 and loaded.studio.classifier is None
    assert "nan" not in loaded.ui.verdict.text() and "%" not in loaded.ui.verdict.text()
    assert "verdicts are off" in loaded.ui.verdict.text()


# -- plain text everywhere ----------------------------------------------------------------
HTML = "<img src=/etc/passwd><b>x</b>"


def test_names_and_metadata_are_shown_as_plain_text(window, qtbot, tmp_path):
    model = om.save(om.generator_model(8, meta={"architecture": HTML}),
                    tmp_path / hc.HTML_NAME)
    assert window.open_model(model)
    label = window.ui.model_label
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert HTML in label.text() and hc.HTML_NAME in label.text()
    assert hc.HTML_NAME in window.windowTitle()
    window.files._on_recent_about_to_show()
    entry = window.files.recent_menu.actions()[0]
    assert entry.text() == hc.HTML_NAME  # no '&' in it to double
    assert "&lt;img" in entry.toolTip() and "<img" not in entry.toolTip()
    # As after loading a latent file whose keyframe has this name.
    window.studio.set_keyframes([Keyframe(window.studio.state.z.copy(), None, HTML)])
    item = window.ui.interpolation.keyframe_list.item(0)
    assert item.text().startswith(HTML)  # item text is plain in a QListWidget
    assert "<img" not in item.toolTip() and "&lt;img" in item.toolTip()
    broken = tmp_path / "<b>bad<b>.onnx"
    broken.write_bytes(b"junk")
    assert not window.open_model(broken)
    bar = window.ui.message_bar.label
    assert bar.textFormat() == Qt.TextFormat.PlainText and broken.name in bar.text()


def test_the_busy_and_direction_labels_are_plain_text(window):
    assert window.ui.busy.label.textFormat() == Qt.TextFormat.PlainText
    assert window.ui.direction_sliders.status.textFormat() == Qt.TextFormat.PlainText
    window.ui.busy.start(HTML)
    assert "<img" not in window.ui.busy.toolTip()


# -- native messages and the reading rule ---------------------------------------------------
def test_long_native_messages_are_shortened_at_a_word_boundary():
    text = "ONNX Runtime says " + "something went wrong here " * 20 + "\nsecond line"
    short = first_line(RuntimeError(text))
    assert len(short) <= 200 and short.endswith("…") and "second" not in short
    assert text.startswith(short[:-1])
    assert text[len(short) - 1] == " "  # the cut falls between two words
    assert first_line(RuntimeError("short\nmore")) == "short"
    assert first_line(RuntimeError("")) == "RuntimeError"


def test_the_cap_is_checked_while_reading(tmp_path):
    def error(path, rule):
        return ContractError(path, rule)

    exact = tmp_path / "exact.bin"
    exact.write_bytes(b"x" * 1000)
    assert read_capped(exact, 1000, error, "too big") == b"x" * 1000
    with pytest.raises(ContractError, match="too big"):
        read_capped(exact, 999, error, "too big")
    with pytest.raises(ContractError, match="device"):
        read_capped(Path("/dev/zero"), 1 << 20, error, "too big")  # st_size is 0


def test_resolving_a_symlink_loop_never_raises(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    assert resolve_path(tmp_path / "a").is_absolute()
