"""The standalone app: `pyinstaller build.spec` builds a folder that runs with no Python set-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    # Through this interpreter, never PATH: a missing PyInstaller is a failure, not a skip,
    # because the package extra is part of the test install.
    work = tmp_path_factory.mktemp("pyinstaller")
    proc = subprocess.run([sys.executable, "-m", "PyInstaller", "build.spec", "--noconfirm", "--distpath", str(work / "dist"),
                           "--workpath", str(work / "build")],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work / "dist" / "digit-studio"


def _size_mb(folder) -> float:
    """Disk size as `du` counts it: PyInstaller links Qt's libraries, so count links once."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 2**20


def test_bundle_self_test_renders_the_shipped_model(bundle):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(bundle.parent))  # settings stay out of $HOME
    proc = subprocess.run([str(bundle / "digit-studio"), "--self-test"], capture_output=True, text=True,
                          timeout=120, env=env, cwd=bundle.parent)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["ok"] and summary["latent_dim"] == 100 and summary["distinct_frames"] > 1
    assert "_internal/exported_models/generator.onnx" in summary["model"].replace("\\", "/")
    assert summary["classifier"]


def test_bundle_holds_no_tensorflow_and_fits_the_size_goal(bundle):
    names = {p.name.lower() for p in bundle.rglob("*")}
    assert not {"tensorflow", "keras", "tf2onnx", "training"} & names
    assert not any(n.startswith("libtensorflow") for n in names)
    assert (bundle / "_internal" / "exported_models" / "unconditional.onnx").is_file()
    assert _size_mb(bundle) <= 250
