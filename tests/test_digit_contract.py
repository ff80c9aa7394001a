"""The shared package both sides import: its file rules and its preprocessing."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from digit_contract import atomic
from digit_contract.lock import FolderLock, LockedError, held_by
from digit_contract.preprocess import ImageError, load_digit, mnist_stroke, stroke_width
from tests.training.test_hostile_cli import _dead_pid


def test_cleanup_removes_only_the_marker_of_a_dead_writer(tmp_path):
    dead = _dead_pid()
    ours_dead = tmp_path / f".g.onnx.~digit-studio~{dead}~0123abcd.tmp"
    ours_alive = tmp_path / f".g.onnx.~digit-studio~{os.getpid()}~0123abcd.tmp"
    users = [tmp_path / ".draft.v2.tmp", tmp_path / ".g.onnx.old.tmp", tmp_path / ".x.y.tmp",
             tmp_path / f"g.onnx.~digit-studio~{dead}~0123abcd.tmp",  # no leading dot: not ours
             tmp_path / f".g.onnx.~digit-studio~{dead}~0123ABCD.tmp"]  # upper-case hex: not ours
    for p in [ours_dead, ours_alive, *users]:
        p.write_text("x")
    link = tmp_path / f".h.~digit-studio~{dead}~0123abcd.tmp"
    link.symlink_to(tmp_path / ".draft.v2.tmp")
    assert atomic.remove_stale_temp_files(tmp_path) == [ours_dead]
    assert ours_alive.exists() and link.is_symlink() and all(p.exists() for p in users)


def test_temp_names_made_by_the_writer_match_the_cleanup(tmp_path):
    for name in ("g.onnx", "x" * 200, ".hidden", "a b\tc.png"):
        assert atomic.is_temp_file_name(atomic.temp_path(tmp_path / name).name)


@pytest.mark.parametrize("make, needle", [
    (lambda p: p.symlink_to("/dev/null"), "link"),
    (lambda p: os.mkfifo(p), "not a regular file"),
    (lambda p: p.mkdir(), "folder"),
])
def test_the_writer_never_writes_what_is_not_a_regular_file(tmp_path, make, needle):
    target = tmp_path / "out.bin"
    make(target)
    with pytest.raises(atomic.OutputError, match=needle):
        atomic.write_bytes_atomic(target, b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_the_writer_replaces_only_what_the_caller_owns(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("the user's")
    with pytest.raises(atomic.OutputError, match="did not make"):
        atomic.write_bytes_atomic(target, b"ours", replace=lambda p: p.read_text() == "ours before")
    assert target.read_text() == "the user's"
    atomic.write_bytes_atomic(target, b"ours", replace=atomic.ANY)
    assert target.read_text() == "ours"


def test_one_lock_holder_at_a_time_and_the_lock_dies_with_its_process(tmp_path):
    with FolderLock(tmp_path, "run folder"):
        assert held_by(tmp_path) == str(os.getpid())
        with pytest.raises(LockedError, match="in use by process"):
            FolderLock(tmp_path, "run folder").acquire()
    assert held_by(tmp_path) is None
    # A process that dies holding the lock leaves the folder free.
    code = ("import os, sys; from digit_contract.lock import FolderLock; "
            f"FolderLock({str(tmp_path)!r}).acquire(); os._exit(0)")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert held_by(tmp_path) is None
    FolderLock(tmp_path).acquire().release()


def test_asking_who_holds_a_lock_writes_nothing(tmp_path):
    assert held_by(tmp_path) is None and not list(tmp_path.iterdir())


def _seven(paper: float, ink: float, size=(80, 60), dtype=np.uint8, top=255) -> np.ndarray:
    img = np.full(size, paper, np.float64)
    img[10:16, 10:50] = ink            # the bar of a 7
    for r in range(16, 70):            # its stem, leaning left
        c = 48 - (r - 16) // 2
        img[r, c - 3:c + 3] = ink
    return np.round(img * top).astype(dtype)


def _png(path, pixels) -> str:
    Image.fromarray(pixels).save(path)
    return path


@pytest.mark.parametrize("paper, ink", [(1.0, 0.0), (120 / 255, 0.0), (0.0, 1.0), (0.3, 0.9)])
def test_ink_is_found_by_contrast_on_any_paper(tmp_path, paper, ink):
    """Black ink on mid-grey paper (120/255) was refused as "all one colour"."""
    reference = load_digit(_png(tmp_path / "ref.png", _seven(1.0, 0.0)))
    digit = load_digit(_png(tmp_path / "d.png", _seven(paper, ink)))
    assert digit.max() == pytest.approx(1.0) and digit[0].max() == 0  # bright ink on black
    assert np.abs(digit - reference).mean() < 0.02


def test_a_16_bit_scan_using_half_its_range_is_a_digit(tmp_path):
    pixels = _seven(127 / 255, 0.0, dtype=np.uint16, top=255)  # values 0..127
    im = Image.fromarray(pixels.astype(np.uint16))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    (tmp_path / "scan.png").write_bytes(buf.getvalue())
    reference = load_digit(_png(tmp_path / "ref.png", _seven(1.0, 0.0)))
    assert np.abs(load_digit(tmp_path / "scan.png") - reference).mean() < 0.02


def _photo(seven: np.ndarray, paper, ink: float, noise: float, seed: int = 0) -> np.ndarray:
    """`seven`'s shape photographed 5× larger on `paper` (a level or a (h, w) map), grey noise."""
    big = np.asarray(Image.fromarray(seven).resize((seven.shape[1] * 5, seven.shape[0] * 5)),
                     np.float64) < 128
    sheet = np.broadcast_to(np.asarray(paper, np.float64), big.shape)
    pic = np.where(big, ink, sheet) + noise * np.random.default_rng(seed).standard_normal(big.shape)
    return np.round(np.clip(pic, 0, 1) * 255).astype(np.uint8)


def test_an_unevenly_lit_noisy_photo_gives_the_same_seven(tmp_path):
    """Paper lit from one side (0.35 at the left, 0.9 at the right) and sensor noise made
    the bright half of the sheet, and specks all over it, count as ink."""
    reference = load_digit(_png(tmp_path / "ref.png", _seven(1.0, 0.0)))
    h, w = 400, 300
    paper = np.linspace(0.35, 0.9, w)[None, :].repeat(h, 0)
    for name, pixels in [("lit.png", _photo(_seven(1.0, 0.0), paper, 0.05, 0.0)),
                         ("noisy.png", _photo(_seven(1.0, 0.0), 0.6, 0.1, 0.06))]:
        digit = load_digit(_png(tmp_path / name, pixels))
        assert np.abs(digit - reference).mean() < 0.03, name
        assert digit[0].max() == 0 and digit[:, 0].max() == 0


def test_mnist_stroke_brings_hairlines_and_fat_markers_near_mnist_width():
    hair, fat = np.zeros((28, 28), np.float32), np.zeros((28, 28), np.float32)
    hair[4:24, 13] = 0.6                # a faint one-pixel stroke
    fat[4:24, 10:17] = 1.0              # a seven-pixel marker
    normal = np.zeros((28, 28), np.float32)
    normal[4:24, 12:14] = 1.0          # two pixels: as MNIST draws
    assert stroke_width(hair) < 1.5 and stroke_width(fat) > 5
    assert 2.0 <= stroke_width(mnist_stroke(hair)) <= 3.0 and mnist_stroke(hair).max() == 1.0
    assert stroke_width(mnist_stroke(fat)) < stroke_width(fat) - 1.5
    assert np.array_equal(mnist_stroke(normal), normal)  # MNIST-like already: unchanged


def test_a_picture_of_one_colour_is_still_refused(tmp_path):
    with pytest.raises(ImageError, match="all one colour"):
        load_digit(_png(tmp_path / "grey.png", np.full((40, 40), 120, np.uint8)))


@pytest.mark.parametrize("kind, head", [(b"zTXt", b"Comment\0\0"), (b"iCCP", b"profile\0\0")])
def test_a_png_with_oversized_metadata_is_still_a_digit(tmp_path, kind, head):
    """A 20 MB text or colour-profile chunk (over Pillow's limit) was "not a PNG…"."""
    import struct
    import zlib

    png = (tmp_path / "ref.png")
    _png(png, _seven(1.0, 0.0))
    data = png.read_bytes()
    payload = head + zlib.compress(b"a" * (20 << 20))
    chunk = struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    (tmp_path / "meta.png").write_bytes(data[:33] + chunk + data[33:])  # right after IHDR
    assert np.array_equal(load_digit(tmp_path / "meta.png"), load_digit(png))


@pytest.mark.parametrize("make", [lambda p: os.mkfifo(p), lambda p: p.symlink_to("/dev/null"), lambda p: p.mkdir()])
def test_a_lock_path_that_is_not_a_file_is_named_as_such_and_left_alone(tmp_path, make):
    from digit_contract.lock import LOCK_NAME

    make(tmp_path / LOCK_NAME)
    with pytest.raises(LockedError, match="not a regular file"):
        FolderLock(tmp_path).acquire()
    assert not (tmp_path / LOCK_NAME).is_file() or (tmp_path / LOCK_NAME).is_symlink()
