"""Your own digits: a folder of images, made into MNIST's form by the app's own preprocessing.

Two layouts, the convention of `keras.utils.image_dataset_from_directory`:

    my_digits/0/*.png … my_digits/9/*.png   labelled: trains the conditional generator
    my_scans/*.png                          unlabelled: trains the label-free one (--clusters K)

Any size, either polarity (dark ink on white paper or the reverse), PNG, JPEG, BMP or WebP,
grey or colour: each image goes through `digit_contract.preprocess.load_digit`, the very
function the app's find-a-digit uses, so a model trained here sees what the app will show
it. A share of the images (`HOLD_OUT`, at least one per class) is held out as the test set
that the per-epoch quality estimate compares against.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np

from digit_contract.preprocess import ImageError, load_digit

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
HOLD_OUT = 0.1  # the share of images kept out of training for the quality estimate
MAX_IMAGES = 1_000_000  # as many as the IDX reader accepts
CLASS_NAMES = tuple(str(d) for d in range(10))


class OwnDataError(ValueError):
    """A folder of images that cannot be trained on; `str()` is one sentence naming the file."""


def _shown(path: Path) -> str:
    """A path for a one-line message: control characters (a newline in a name) escaped."""
    text = str(path)
    return text if text.isprintable() else ascii(text)[1:-1]


def is_image_folder(folder: Path) -> bool:
    """True if `folder` looks like a folder of the user's images (not MNIST's own files)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return False
    return any(_is_image(e) or (e.is_dir(follow_symlinks=False) and not e.name.startswith("."))
               for e in entries) and not any(e.name.endswith("-ubyte.gz") or e.name.endswith("-ubyte")
                                             or e.name == "mnist.npz" for e in entries)


def _is_image(entry: os.DirEntry) -> bool:
    return (not entry.name.startswith(".") and entry.name.lower().endswith(IMAGE_SUFFIXES)
            and stat.S_ISREG(entry.stat(follow_symlinks=True).st_mode))


def _images_in(folder: Path) -> list[Path]:
    try:
        return sorted(Path(e.path) for e in os.scandir(folder) if _is_image(e))
    except OSError as e:
        raise OwnDataError(f"{_shown(folder)}: cannot read the folder ({e.strerror or e})") from None


def _load(paths: list[Path]) -> np.ndarray:
    out = np.empty((len(paths), 28, 28), np.uint8)
    for i, path in enumerate(paths):
        try:
            out[i] = np.round(load_digit(path) * 255.0).astype(np.uint8)
        except ImageError as e:
            raise OwnDataError(f"{_shown(path)}: {e.rule}") from None
    return out


def scan(folder: Path) -> tuple[list[Path], np.ndarray | None]:
    """The image files of `folder` and their labels (None for a flat, unlabelled folder).

    Raises OwnDataError for a folder with no images, a class folder that is not a digit,
    a mix of class folders and loose images, or more than MAX_IMAGES.
    """
    folder = Path(folder)
    try:
        subfolders = sorted(e.name for e in os.scandir(folder)
                            if e.is_dir(follow_symlinks=True) and not e.name.startswith("."))
    except OSError as e:
        raise OwnDataError(f"{_shown(folder)}: cannot read the folder ({e.strerror or e})") from None
    loose = _images_in(folder)
    if subfolders and loose:
        raise OwnDataError(f"{_shown(folder)} holds both images ({loose[0].name}, …) and class folders "
                           f"({subfolders[0]}, …); put every image in its class folder, or use a flat folder")
    if not subfolders:
        if not loose:
            raise OwnDataError(f"{_shown(folder)} holds no PNG, JPEG, BMP or WebP images")
        if len(loose) > MAX_IMAGES:
            raise OwnDataError(f"{_shown(folder)} holds {len(loose)} images, more than {MAX_IMAGES}")
        return loose, None
    wrong = [name for name in subfolders if name not in CLASS_NAMES]
    if wrong:
        raise OwnDataError(f"{_shown(folder / wrong[0])}: a class folder is named by its digit, 0 to 9 "
                           f"(not {wrong[0]!r})")
    paths, labels = [], []
    for name in subfolders:
        images = _images_in(folder / name)
        if not images:
            raise OwnDataError(f"{_shown(folder / name)}: the class folder holds no images")
        paths += images
        labels += [int(name)] * len(images)
    missing = [d for d in CLASS_NAMES if d not in subfolders]
    if missing:
        raise OwnDataError(f"{_shown(folder)} has no class folder for {', '.join(missing)}: a conditional "
                           "model learns all ten digits (or train label-free on a flat folder with --clusters)")
    if len(paths) > MAX_IMAGES:
        raise OwnDataError(f"{_shown(folder)} holds {len(paths)} images, more than {MAX_IMAGES}")
    return paths, np.asarray(labels, np.uint8)


def hold_out(n: int, labels: np.ndarray | None, seed: int = 0) -> np.ndarray:
    """A boolean mask of the `HOLD_OUT` share kept for testing: at least one image of each
    class (of the whole set when unlabelled), drawn reproducibly, never all of a class."""
    rng = np.random.default_rng(seed)
    test = np.zeros(n, bool)
    groups = [np.arange(n)] if labels is None else [np.flatnonzero(labels == c) for c in np.unique(labels)]
    for members in groups:
        if len(members) < 2:
            continue  # one image of a class is trained on; nothing is left to test it with
        k = min(len(members) - 1, max(1, round(len(members) * HOLD_OUT)))
        test[rng.choice(members, k, replace=False)] = True
    return test


def load_image_folder(folder: Path):
    """(train images, train labels or None, test images, test labels or None, note).

    Images (n, 28, 28) uint8 in MNIST's form; `note` says how many were held out.
    """
    paths, labels = scan(Path(folder))
    images = _load(paths)
    test = hold_out(len(images), labels)
    note = (f"{len(images)} images from {_shown(Path(folder))}; {int(test.sum())} held out for the "
            "quality estimate")
    pick = (lambda a, m: None if a is None else a[m])
    return images[~test], pick(labels, ~test), images[test], pick(labels, test), note
