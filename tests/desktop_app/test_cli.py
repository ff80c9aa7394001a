"""The app as a user starts it: a fresh process, offscreen (issues 4 and 5)."""

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


def test_no_tensorflow_after_the_app_started_and_drew(model_dir):
    script = textwrap.dedent(f"""
        import json, sys
        from desktop_app.views.app import application, launch, wait_for
        app = application()
        window = launch({str(model_dir / "conditional.onnx")!r})
        assert wait_for(lambda: window.digit_view.pixels() is not None, 10)
        assert wait_for(lambda: window.directions is not None, 20)
        window.grid_box.setChecked(True)
        window.files.export_gif  # touch the export path too
        wait_for(lambda: False, 0.2)
        heavy = ("tensorflow", "keras", "tf2onnx", "training")
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
        print(json.dumps(window.digit_view.pixels() is not None))
    """)
    result = _run("-c", script)
    assert result.returncode == 0, result.stderr
    loaded, drew = result.stdout.strip().splitlines()[-2:]
    assert json.loads(drew) is True
    assert json.loads(loaded) == []


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


def test_quitting_while_directions_are_computed_exits_cleanly(tmp_path):
    from . import onnx_models as om

    # A model of the real size: its directions take long enough to still be running at the
    # first paint, when --exit-after-first-paint quits (a thread left inside ONNX Runtime
    # used to abort the process with exit code 134).
    model = om.save(om.dcgan_like_generator(), tmp_path / "generator.onnx")
    result = _run("-m", "desktop_app", str(model), "--exit-after-first-paint")
    assert result.returncode == 0, result.stderr
    assert "first-paint" in result.stdout
