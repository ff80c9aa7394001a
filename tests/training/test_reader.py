"""The reader: trained on MNIST under augmentations that make other pens, turns and photos,
exported under the classifier's contract so the app loads it as it loads the classifier."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")


def _bar(width: int = 3) -> np.ndarray:
    """A vertical stroke, like a 1, as MNIST draws it."""
    img = np.zeros((28, 28), np.float32)
    img[5:23, 14 - width // 2:14 - width // 2 + width] = 1.0
    return img


def _tilt_degrees(img: np.ndarray) -> float:
    """The angle of the ink's main axis from vertical, from its second moments."""
    ys, xs = np.nonzero(img > 0.3)
    if len(xs) < 3:
        return 0.0
    cov = np.cov(np.stack([xs, ys]).astype(np.float64))
    evals, evecs = np.linalg.eigh(cov)
    vx, vy = evecs[:, -1]
    return float(np.degrees(np.arctan2(abs(vx), abs(vy))))


def test_augmentation_turns_shears_thickens_and_thins_the_strokes():
    from training.reader import augmenter

    digits = np.repeat(_bar()[None], 256, axis=0)
    out = augmenter(seed=3)(digits).numpy()
    assert out.shape == digits.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    ink = (out > 0.3).sum(axis=(1, 2)) / (digits[0] > 0.3).sum()
    # Thickened, thinned and left alone all occur (a grey-level dilation of a 3-pixel
    # stroke adds about two thirds; an erosion leaves one pixel in three).
    assert (ink > 1.3).mean() > 0.1 and (ink < 0.75).mean() > 0.1
    assert ((ink > 0.85) & (ink < 1.2)).mean() > 0.1
    tilts = np.array([_tilt_degrees(img) for img in out])
    assert (tilts > 8).mean() > 0.2 and tilts.max() < 45  # turned and sheared, never on its side
    # Every digit stays on the canvas: a thinned, turned, shrunk stroke is still a stroke.
    assert ((out > 0.3).sum(axis=(1, 2)) >= 6).all()


@pytest.mark.slow
def test_the_reader_trains_exports_and_the_app_reads_with_it(tiny_mnist, tmp_path, capsys):
    from desktop_app.core.models.classifier import Classifier
    from training.__main__ import main

    out = tmp_path / "reader.onnx"
    assert main(["reader", "--data", str(tiny_mnist), "--epochs", "1", "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["model"] == str(out) and 0.0 <= printed["test_accuracy"] <= 1.0
    reader = Classifier.from_path(out)  # the app's own contract check and trial
    assert reader.info.kind == "classifier"
    probs = reader.probs(np.stack([_bar(), _bar(5)]))
    assert probs.shape == (2, 10) and np.allclose(probs.sum(1), 1.0, atol=1e-5)


DEJAVU = "/usr/share/fonts/truetype/dejavu"


def test_fonts_are_found_in_folders_and_a_wrong_path_is_one_sentence(tmp_path):
    from training.reader import FontError, font_files

    with pytest.raises(FontError, match="no such font file or folder"):
        font_files([tmp_path / "nowhere"])
    (tmp_path / "broken.ttf").write_bytes(b"not a font")
    with pytest.raises(FontError, match="no typeface here draws the ten digits"):
        font_files([tmp_path])
    if not (Path(DEJAVU) / "DejaVuSans.ttf").is_file():
        pytest.skip("DejaVu fonts are not installed")
    found = font_files([DEJAVU, tmp_path])  # the broken file is left out, not fatal
    assert f"{DEJAVU}/DejaVuSans.ttf" in found and not any("broken" in f for f in found)
    assert found == sorted(found)


def test_font_digits_are_balanced_mnist_like_and_repeatable():
    from training.reader import font_digits

    font = Path(DEJAVU) / "DejaVuSans.ttf"
    if not font.is_file():
        pytest.skip("DejaVu fonts are not installed")
    images, labels = font_digits([str(font)], 20, seed=5)
    assert images.shape == (20, 28, 28) and images.dtype == np.uint8
    assert labels.tolist() == list(range(10)) * 2
    # As the app's preprocessing leaves a digit: black margins, bright ink in the middle.
    assert images[:, :2].max() < 40 and images[:, :, :2].max() < 40
    assert (images.reshape(20, -1).max(1) > 200).all()
    again, _ = font_digits([str(font)], 20, seed=5)
    assert np.array_equal(images, again)


def test_unlabelled_digits_are_refused_in_one_sentence(monkeypatch):
    from training import reader
    from training.data import DataError, Mnist

    blank = np.zeros((4, 28, 28), np.uint8)
    monkeypatch.setattr(reader, "load_mnist", lambda data: Mnist(blank, None, blank, None, name="my_digits"))
    with pytest.raises(DataError, match="my_digits: .*need labels"):
        reader.train_reader("my_digits", epochs=1, seed=0)


def test_a_bad_fonts_path_is_one_line_and_exit_2_before_any_training(tmp_path, capsys):
    from training.__main__ import main

    code = main(["reader", "--data", str(tmp_path / "no_mnist_here"), "--fonts", str(tmp_path / "nowhere"),
                 "--out", str(tmp_path / "reader.onnx")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "nowhere: no such font file or folder" in err and "\n" not in err
    assert not (tmp_path / "reader.onnx").exists()


@pytest.mark.slow
def test_font_digits_from_several_processes_are_those_of_one(monkeypatch):
    """More than one share of 500 runs in several spawned processes; each share is seeded by
    its position, so the digits do not depend on how many processes drew them."""
    import os

    from training import reader

    font = Path(DEJAVU) / "DejaVuSans.ttf"
    if not font.is_file():
        pytest.skip("DejaVu fonts are not installed")
    images, labels = reader.font_digits([str(font)], 510, seed=2)
    assert images.shape == (510, 28, 28) and labels.tolist() == [i % 10 for i in range(510)]
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    again, _ = reader.font_digits([str(font)], 510, seed=2)
    assert np.array_equal(images, again)
