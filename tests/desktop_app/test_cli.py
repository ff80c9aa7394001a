"""The app as a user starts it: a fresh process, offscreen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_no_tensorflow_after_the_app_started_drew_and_exported(model_dir, tmp_path):
    script = textwrap.dedent(f"""
        import json, sys
        from desktop_app.views.app import application, launch, wait_for
        app = application()
        window = launch({str(model_dir / "conditional.onnx")!r})
        assert wait_for(lambda: window.ui.digit_view.pixels() is not None, 10)
        assert wait_for(lambda: window.directions is not None, 20)
        window.ui.grid_box.setChecked(True)
        window.path.add_keyframe()
        window.ui.controls.seed_box.setValue(9)
        window.path.add_keyframe()
        # The export path too (File ▸ Export Animation…, its dialogs answered as a user
        # would): Pillow writes a real GIF without pulling in TensorFlow.
        from PySide6.QtWidgets import QFileDialog
        from desktop_app.views.morph.animation_dialog import AnimationDialog
        AnimationDialog.exec = lambda self: AnimationDialog.DialogCode.Accepted
        QFileDialog.getSaveFileName = lambda *a, **k: ({str(tmp_path / "morph.gif")!r}, "")
        [export] = [a for a in window.files.menu.actions()
                    if a.text().replace("&", "") == "Export Animation…"]
        export.trigger()
        heavy = ("tensorflow", "keras", "tf2onnx", "training")
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
        print(json.dumps(window.ui.digit_view.pixels() is not None))
    """)
    result = _run("-c", script)
    assert result.returncode == 0, result.stderr
    loaded, drew = result.stdout.strip().splitlines()[-2:]
    assert json.loads(drew) is True
    assert json.loads(loaded) == []
    with Image.open(tmp_path / "morph.gif") as gif:
        assert gif.format == "GIF" and gif.n_frames > 2


def test_screenshot_writes_a_png_of_the_window(model_dir, tmp_path):
    shot = tmp_path / "shot.png"
    result = _run("-m", "desktop_app", str(model_dir / "generator.onnx"),
                  "--screenshot", str(shot))
    assert result.returncode == 0, result.stderr
    with Image.open(shot) as image:
        assert image.size[0] >= 800 and image.size[1] >= 500
        grey = image.convert("L")
        lo, hi = grey.getextrema()
        assert hi - lo > 100  # a real picture, not a blank window


def test_self_test_passes_with_a_good_model(model_dir):
    result = _run("-m", "desktop_app", str(model_dir / "conditional.onnx"), "--self-test")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["ok"] is True and summary["errors"] == []
    assert summary["conditional"] is True and summary["latent_dim"] == 8
    assert summary["frames"] >= 30 and summary["distinct_frames"] > 10
    assert summary["classifier"].endswith("classifier.onnx")


def test_self_test_fails_clearly_without_a_model(tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"\x00" * 64)
    for args in ([], [str(bad)]):
        result = _run("-m", "desktop_app", *args, "--self-test")
        assert result.returncode == 1
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        assert summary["ok"] is False and summary["errors"]
    assert "broken.onnx" in summary["errors"][0]


def test_help_names_the_options():
    result = _run("-m", "desktop_app", "--help")
    assert result.returncode == 0
    assert "--screenshot" in result.stdout and "--self-test" in result.stdout


def test_quitting_while_directions_are_computed_exits_cleanly(model_dir):
    # The directions are held inside their loop of ONNX Runtime calls until the app has
    # quit, so the quit always races them (a thread left inside ONNX Runtime at exit used
    # to abort the process with exit code 134). run() must cancel and wait for it.
    script = textwrap.dedent(f"""
        import argparse, sys, threading
        import numpy as np
        from desktop_app.core.explore.directions import Cancelled
        from desktop_app.views import app
        from desktop_app.views.explore import directions_worker

        running, stopped = threading.Event(), threading.Event()

        def held(generator, should_stop, class_weights=None, **kwargs):
            z = np.zeros((64, generator.latent_dim), np.float32)
            while not should_stop():
                generator.generate(z, class_weights)
                running.set()
            stopped.set()
            raise Cancelled

        directions_worker.compute_directions = held
        launch = app.launch

        def launch_when_running(model):
            window = launch(model)
            assert running.wait(20), "the directions never started"
            return window

        app.launch = launch_when_running
        args = argparse.Namespace(model={str(model_dir / "conditional.onnx")!r},
                                  exit_after_first_paint=True, self_test=False,
                                  screenshot=None)
        code = app.run(args)
        print("stopped" if stopped.is_set() else "still running")
        sys.exit(code)
    """)
    result = _run("-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["first-paint", "stopped"]


def test_a_known_bad_pyside_is_refused_in_one_sentence():
    from desktop_app.__main__ import known_bad_pyside

    refusal = known_bad_pyside((3, 11), lambda name: "6.12.0")
    assert refusal.count(".") >= 1 and "\n" not in refusal
    assert "6.12.0" in refusal and "PySide6-Essentials<6.12" in refusal
    assert known_bad_pyside((3, 12), lambda name: "6.12.0") is None
    assert known_bad_pyside((3, 11), lambda name: "6.11.3") is None
    assert known_bad_pyside() is None  # the PySide6 these tests run on is a good one
