"""Training on your own digits: image folders (labelled or not) made into MNIST's form."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from training import own_data
from training.own_data import OwnDataError, hold_out, load_image_folder, scan


def draw_digit(path: Path, digit: int, size: int = 64, paper: int = 255, ink: int = 0, width: int = 5,
               shift: int = 0) -> Path:
    """A crude, recognisable-shaped digit: a stroke pattern that differs per digit."""
    im = Image.new("L", (size, size), paper)
    d = ImageDraw.Draw(im)
    s = size
    strokes = {
        0: [(s * .3, s * .2, s * .7, s * .8)], 1: [(s * .5, s * .15, s * .5, s * .85)],
        2: [(s * .3, s * .25, s * .7, s * .25), (s * .7, s * .25, s * .3, s * .8), (s * .3, s * .8, s * .7, s * .8)],
        3: [(s * .3, s * .2, s * .7, s * .35), (s * .7, s * .35, s * .3, s * .5), (s * .3, s * .5, s * .7, s * .8)],
        4: [(s * .6, s * .15, s * .3, s * .6), (s * .3, s * .6, s * .75, s * .6), (s * .6, s * .4, s * .6, s * .85)],
        5: [(s * .7, s * .2, s * .3, s * .2), (s * .3, s * .2, s * .3, s * .5), (s * .3, s * .5, s * .7, s * .8)],
        6: [(s * .6, s * .15, s * .3, s * .6), (s * .3, s * .6, s * .6, s * .8)],
        7: [(s * .3, s * .2, s * .7, s * .2), (s * .7, s * .2, s * .4, s * .85)],
        8: [(s * .35, s * .2, s * .65, s * .5), (s * .35, s * .5, s * .65, s * .8)],
        9: [(s * .65, s * .2, s * .4, s * .45), (s * .65, s * .2, s * .6, s * .85)],
    }[digit]
    for x0, y0, x1, y1 in strokes:
        if digit in (0, 8) or (digit == 6 and y1 > s * .7):
            d.ellipse((min(x0, x1) + shift, min(y0, y1), max(x0, x1) + shift, max(y0, y1)), outline=ink, width=width)
        else:
            d.line((x0 + shift, y0, x1 + shift, y1), fill=ink, width=width)
    im.save(path)
    return path


def class_folders(root: Path, per_class: int = 3, **kw) -> Path:
    for digit in range(10):
        (root / str(digit)).mkdir(parents=True)
        for i in range(per_class):
            draw_digit(root / str(digit) / f"scan_{i}.png", digit, size=48 + 8 * i, shift=i, **kw)
    return root


def test_class_folders_give_labels_and_a_held_out_share(tmp_path):
    root = class_folders(tmp_path / "my_digits", per_class=5)
    x, y, xt, yt, note = load_image_folder(root)
    assert x.shape[1:] == (28, 28) and x.dtype == np.uint8
    assert len(x) + len(xt) == 50 and len(xt) == 10  # 10 % of each class, at least one
    assert sorted(np.unique(y)) == list(range(10)) and sorted(np.unique(yt)) == list(range(10))
    assert "10 held out" in note
    assert x[:, 0].max() == 0 and x.max() == 255  # ink bright on black paper, as MNIST


def test_a_flat_folder_has_no_labels(tmp_path):
    root = tmp_path / "scans"
    root.mkdir()
    for i in range(12):
        draw_digit(root / f"{i:02d}.jpg", i % 10)
    paths, labels = scan(root)
    assert len(paths) == 12 and labels is None
    x, y, xt, yt, _ = load_image_folder(root)
    assert y is None and yt is None and len(xt) == 1


def test_paper_and_ink_either_way_give_the_same_digit(tmp_path):
    white = draw_digit(tmp_path / "white.png", 7)
    black = draw_digit(tmp_path / "black.png", 7, paper=0, ink=255)
    grey = draw_digit(tmp_path / "grey.png", 7, paper=120, ink=0)
    a, b, c = (own_data._load([p])[0].astype(int) for p in (white, black, grey))
    assert np.abs(a - b).max() <= 1 and np.abs(a - c).mean() < 3


def test_training_and_the_app_preprocess_a_file_identically(tmp_path):
    """One function, shared: training's image is the app's find-a-digit input, quantised."""
    from desktop_app.views.find import controller as find_controller
    from digit_contract import preprocess

    assert find_controller.load_digit is preprocess.load_digit
    photo = tmp_path / "photo.png"
    rgb = np.stack([np.asarray(Image.open(draw_digit(tmp_path / "g.png", 3, size=300, width=18)))] * 3, -1)
    Image.fromarray((rgb * 0.8 + 30).astype(np.uint8)).save(photo)
    app = preprocess.load_digit(photo)
    assert np.array_equal(own_data._load([photo])[0], np.round(app * 255).astype(np.uint8))


@pytest.mark.parametrize("make, needle", [
    (lambda r: None, "holds no PNG, JPEG, BMP or WebP images"),
    (lambda r: (r / "seven").mkdir(), "a class folder is named by its digit"),
    (lambda r: [(r / str(d)).mkdir() for d in range(10)], "the class folder holds no images"),
    (lambda r: (class_folders(r), draw_digit(r / "loose.png", 1)), "holds both images"),
    (lambda r: (class_folders(r), __import__("shutil").rmtree(r / "4")), "has no class folder for 4"),
    (lambda r: (r / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really"), "broken.png"),
    (lambda r: Image.new("L", (30, 30), 200).save(r / "blank.png"), "all one colour"),
])
def test_bad_data_is_one_sentence_naming_the_file(tmp_path, make, needle):
    root = tmp_path / "data"
    root.mkdir()
    make(root)
    with pytest.raises(OwnDataError, match=needle) as info:
        load_image_folder(root)
    assert "\n" not in str(info.value)


def test_hold_out_never_takes_a_whole_class():
    labels = np.array([0] * 1 + [1] * 2 + [2] * 30, np.uint8)
    test = hold_out(len(labels), labels)
    assert not test[0] and test[1:3].sum() == 1 and test[3:].sum() == 3
