"""MNIST loading: real files load right, broken files fail with one clear line."""

from __future__ import annotations

import gzip
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO_ROOT, write_idx
from training.data import DataError, load_mnist


def test_real_mnist_matches_published_statistics(mnist_dir):
    m = load_mnist(mnist_dir)
    assert m.train_images.shape == (60_000, 28, 28) and m.test_images.shape == (10_000, 28, 28)
    assert list(m.train_labels[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert list(np.bincount(m.test_labels)) == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert m.train_images.mean() == pytest.approx(33.3184, abs=1e-3)


def test_loads_folder_from_environment(tiny_mnist, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", str(tiny_mnist))
    m = load_mnist(None)
    assert m.train_images.shape == (512, 28, 28) and m.test_labels.shape == (128,)


def test_loads_keras_npz(tmp_path, tiny_mnist):
    m = load_mnist(tiny_mnist)
    np.savez(tmp_path / "mnist.npz", x_train=m.train_images, y_train=m.train_labels,
             x_test=m.test_images, y_test=m.test_labels)
    again = load_mnist(tmp_path)
    np.testing.assert_array_equal(again.train_images, m.train_images)


def _rewrite_gz(path, transform):
    raw = gzip.open(path).read()
    with gzip.open(path, "wb") as f:
        f.write(transform(raw))


@pytest.mark.parametrize("damage, message", [
    ("missing", "file is missing"),
    ("magic", "wrong magic number"),
    ("truncated", "truncated"),
    ("not_gzip", "not a gzip file"),
    ("count", "holds 7 items"),
    ("shape", "expected 28x28"),
])
def test_damaged_idx_file_is_named_in_a_one_line_error(tiny_mnist, damage, message):
    images = tiny_mnist / "train-images-idx3-ubyte.gz"
    target = images
    if damage == "missing":
        target = tiny_mnist / "t10k-images-idx3-ubyte.gz"
        target.unlink()
    elif damage == "magic":
        _rewrite_gz(images, lambda raw: b"\x00\x00\x09\x03" + raw[4:])
    elif damage == "truncated":
        _rewrite_gz(images, lambda raw: raw[:-100])
    elif damage == "not_gzip":
        images.write_bytes(b"this is not gzip data")
    elif damage == "count":
        target = tiny_mnist / "train-labels-idx1-ubyte.gz"
        write_idx(target, np.zeros(7), 2049)
    elif damage == "shape":
        write_idx(images, np.zeros((4, 32, 32)), 2051)
    with pytest.raises(DataError) as e:
        load_mnist(tiny_mnist)
    text = str(e.value)
    assert message in text and str(target) in text and "\n" not in text


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "training", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120, env=env)


def _assert_one_line_error(proc, needle):
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("digit-train")]
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_wrong_data_folder_exits_2(tmp_path):
    _assert_one_line_error(_cli("train", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "r")),
                           "no such data folder")


def test_cli_truncated_idx_exits_2(tiny_mnist, tmp_path):
    path = tiny_mnist / "train-images-idx3-ubyte.gz"
    raw = gzip.open(path).read()
    with gzip.open(path, "wb") as f:
        f.write(raw[:1000])
    _assert_one_line_error(_cli("train", "--data", str(tiny_mnist), "--out", str(tmp_path / "r")), "truncated")


@pytest.mark.parametrize("args, needle", [
    (["train", "--bogus", "1"], "unrecognized arguments: --bogus"),
    (["train", "--epochs", "three"], "expects a whole number, not 'three'"),
    (["train", "--arch", "gpt"], "unknown --arch 'gpt'"),
    (["train", "--device", "tpu"], "--device must be auto, cpu or gpu"),
])
def test_cli_bad_option_exits_2(args, needle):
    _assert_one_line_error(_cli(*args), needle)
