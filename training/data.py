"""MNIST loading: the four official gzipped IDX files or Keras' mnist.npz, checked on read.

`load_mnist(folder)` returns uint8 arrays; `make_dataset(...)` turns them into the
`tf.data` pipeline a GAN trains on. Every problem with the files is raised as a
`DataError` whose message is one line naming the file (control characters escaped) and
what is wrong. Reads are bounded: only regular files are opened (a FIFO or a device would
block or never end), sizes are checked against what MNIST can hold before anything is read,
and a file is read only to the length its header declares.
"""

from __future__ import annotations

import gzip
import os
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
IMAGES_MAGIC = 2051  # 0x00000803: unsigned byte, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned byte, 1 dimension


class DataError(Exception):
    """The data folder or one of its files is unusable; the message says which and why."""


@dataclass(frozen=True)
class Mnist:
    """Training data in MNIST's form: MNIST itself, or the user's own digits."""

    train_images: np.ndarray  # (n, 28, 28) uint8
    train_labels: np.ndarray | None  # (n,) uint8 digits; None for unlabelled data
    test_images: np.ndarray
    test_labels: np.ndarray | None
    name: str = "mnist"  # what the export's metadata calls the data set
    note: str = ""  # what the loader did that the user should know (a held-out share)


MAX_ITEMS = 1_000_000  # MNIST has 70,000; a header claiming more is damage, not data
# No data file may be larger than MAX_ITEMS images (an uncompressed IDX file or a stored .npz
# member), plus room for headers: larger is not MNIST, and it is refused before it is read.
MAX_FILE_BYTES = MAX_ITEMS * 28 * 28 + (1 << 20)


def shown(path) -> str:
    """A file name for a one-line message: as is when printable, else quoted with escapes."""
    text = str(path)
    return text if text.isprintable() else repr(text)


def _open_regular(path: Path):
    """`path` opened for binary reading, only if it is a regular file of a plausible size."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # stat first: opening a device can have effects
            raise DataError(f"{shown(path)}: not a regular file (a folder, FIFO or device); give the MNIST files")
        # O_NONBLOCK: a file swapped for a FIFO since the stat still opens at once (and fails the check below).
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise DataError(f"{shown(path)}: file is missing") from None
    except OSError as e:
        raise DataError(f"{shown(path)}: cannot be opened ({e.strerror or e})") from None
    f = os.fdopen(fd, "rb")
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
        f.close()
        why = "not a regular file" if not stat.S_ISREG(info.st_mode) else \
            f"{info.st_size} bytes, more than MNIST can hold ({MAX_FILE_BYTES} at most)"
        raise DataError(f"{shown(path)}: {why}; not an MNIST file")
    return f


def read_idx(path: Path, expected_magic: int, expected_count: int | None = None) -> np.ndarray:
    """Read one (optionally gzipped) IDX file, checking magic, dimensions and length.

    The header is checked before the body is read, and the body is read to exactly the
    size the header declares (one byte more means padding): a gzip bomb or a huge
    damaged file is refused after a few bytes instead of being decompressed whole.
    """
    with _open_regular(path) as raw:
        if path.suffix != ".gz":
            try:
                return _read_idx_stream(raw, path, expected_magic, expected_count)
            except OSError as e:
                raise DataError(f"{shown(path)}: cannot be read ({e.strerror or e})") from None
        with gzip.GzipFile(fileobj=raw, mode="rb") as f:
            return _read_gzipped_idx(f, path, expected_magic, expected_count)


def _read_gzipped_idx(f, path: Path, expected_magic: int, expected_count: int | None) -> np.ndarray:
    """`_read_idx_stream` on a gzip stream, its failures told apart: not gzip at all, damaged
    or cut short, or whole but followed by bytes that are not gzip (a damaged download)."""
    try:
        return _read_idx_stream(f, path, expected_magic, expected_count)
    except _TrailingBytes:
        raise DataError(f"{shown(path)}: the compressed data is followed by bytes that are not gzip "
                        "(a damaged or concatenated download); fetch the file again") from None
    except gzip.BadGzipFile as e:
        if "CRC" in str(e) or "length" in str(e):
            raise DataError(f"{shown(path)}: damaged: its gzip checksum does not match the data; "
                            "fetch the file again") from None
        raise DataError(f"{shown(path)}: not a gzip file, though its name ends in .gz") from None
    except EOFError:
        raise DataError(f"{shown(path)}: the compressed data ends early (a truncated download); "
                        "fetch the file again") from None
    except zlib.error:
        raise DataError(f"{shown(path)}: damaged compressed data; fetch the file again") from None
    except OSError as e:
        raise DataError(f"{shown(path)}: cannot be read ({e.strerror or e})") from None


class _TrailingBytes(Exception):
    """A gzip stream whose data is complete is followed by something that is not gzip."""


def _read_idx_stream(f, path: Path, expected_magic: int, expected_count: int | None) -> np.ndarray:
    name = shown(path)
    head = f.read(8)
    if len(head) < 8:
        raise DataError(f"{name}: truncated ({len(head)} bytes, no IDX header)")
    magic, count = struct.unpack(">II", head)
    if magic != expected_magic:
        raise DataError(f"{name}: wrong magic number {magic}, expected {expected_magic}")
    ndim = magic & 0xFF
    rest = f.read(4 * (ndim - 1))
    if len(rest) < 4 * (ndim - 1):
        raise DataError(f"{name}: truncated header")
    dims = (count, *struct.unpack(f">{ndim - 1}I", rest))
    if ndim == 3 and dims[1:] != (28, 28):
        raise DataError(f"{name}: images are {dims[1]}x{dims[2]}, expected 28x28")
    if expected_count is not None and count != expected_count:
        raise DataError(f"{name}: holds {count} items, but its images file holds {expected_count}")
    if count > MAX_ITEMS:
        raise DataError(f"{name}: header claims {count} items; MNIST files hold at most {MAX_ITEMS}")
    size = int(np.prod(dims))
    body = f.read(size)
    if len(body) != size:
        raise DataError(f"{name}: truncated or padded: the header declares {size} data bytes")
    try:
        padded = f.read(1)
    except gzip.BadGzipFile as e:
        if "Not a gzipped file" in str(e):
            raise _TrailingBytes from None
        raise
    if padded:
        raise DataError(f"{name}: truncated or padded: the header declares {size} data bytes")
    return np.frombuffer(body, dtype=np.uint8).reshape(dims)


def _idx_path(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.exists() and (folder / name[:-3]).exists():
        return folder / name[:-3]  # already-unzipped copies are fine too
    return path


def _load_idx_folder(folder: Path) -> Mnist:
    arrays = {}
    for split in ("train", "test"):
        images_path = _idx_path(folder, IDX_FILES[f"{split}_images"])
        labels_path = _idx_path(folder, IDX_FILES[f"{split}_labels"])
        images = read_idx(images_path, IMAGES_MAGIC)
        labels = read_idx(labels_path, LABELS_MAGIC, expected_count=len(images))
        if labels.max(initial=0) > 9:
            raise DataError(f"{shown(labels_path)}: label {int(labels.max())} is not a digit")
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = images, labels
    return Mnist(**arrays)


_NPZ_ARRAYS = ("x_train", "y_train", "x_test", "y_test")


def _load_npz(path: Path) -> Mnist:
    """Keras' mnist.npz, or the user's own: `x_train` is required; `y_train` is optional
    (without it the data is unlabelled); without `x_test` a share of the training images is
    held out as the test set of the quality estimate (and the note says so)."""
    try:
        # Our own handle: np.load leaks its file when the zip is damaged.
        with _open_regular(path) as fh, zipfile.ZipFile(fh) as zf:
            arrays = {k: _npz_member(zf, path, k, required=k == "x_train") for k in _NPZ_ARRAYS}
    except (OSError, ValueError, EOFError, zlib.error, zipfile.BadZipFile, NotImplementedError) as e:
        raise DataError(f"{shown(path)}: not a readable .npz file ({str(e)[:80]})") from None
    if arrays["y_test"] is not None and arrays["x_test"] is None:
        raise DataError(f"{shown(path)}: has y_test but no x_test")
    if arrays["y_train"] is None and arrays["y_test"] is not None:
        raise DataError(f"{shown(path)}: has y_test but no y_train")
    if arrays["x_test"] is not None and (arrays["y_train"] is None) != (arrays["y_test"] is None):
        raise DataError(f"{shown(path)}: has y_train but no y_test; give both label arrays, or neither")
    for k in ("x_train", "x_test"):
        if arrays[k] is None:
            continue
        if arrays[k].ndim != 3 or arrays[k].shape[1:] != (28, 28) or arrays[k].dtype != np.uint8:
            raise DataError(f"{shown(path)}: {k} has shape {arrays[k].shape} {arrays[k].dtype}, "
                            "expected (n, 28, 28) uint8")
    for x, y in (("x_train", "y_train"), ("x_test", "y_test")):
        if arrays[y] is None:
            continue
        if len(arrays[x]) != len(arrays[y]):
            raise DataError(f"{shown(path)}: {x} and {y} have different lengths")
        labels = arrays[y]
        if labels.ndim != 1 or labels.dtype.kind not in "iu":
            raise DataError(f"{shown(path)}: {y} must be integer digit labels, not {labels.dtype} of shape {labels.shape}")
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            raise DataError(f"{shown(path)}: {y} holds {int(labels.min())}..{int(labels.max())}; labels are digits 0..9")
    name = "mnist" if path.name == "mnist.npz" else path.stem
    labels = None if arrays["y_train"] is None else arrays["y_train"].astype(np.uint8)
    if arrays["x_test"] is None:
        from training.own_data import hold_out

        test = hold_out(len(arrays["x_train"]), labels)
        if not test.any():
            raise DataError(f"{shown(path)}: holds too few images to keep any for the quality estimate")
        pick = (lambda a, m: None if a is None else a[m])
        return Mnist(arrays["x_train"][~test], pick(labels, ~test), arrays["x_train"][test], pick(labels, test),
                     name=name, note=f"{shown(path)} has no test arrays: {int(test.sum())} of its "
                                     f"{len(test)} images are held out for the quality estimate")
    test_labels = None if arrays["y_test"] is None else arrays["y_test"].astype(np.uint8)
    return Mnist(arrays["x_train"], labels, arrays["x_test"], test_labels, name=name)


def _npz_member(zf: zipfile.ZipFile, path: Path, key: str, required: bool = True) -> np.ndarray | None:
    """One array of a Keras mnist.npz, its header checked before its body is read: a member
    that declares (or inflates to) more than MNIST can hold is refused, not allocated.
    A missing array is refused when `required`, else None."""
    try:
        info = zf.getinfo(key + ".npy")
    except KeyError:
        if not required:
            return None
        raise DataError(f"{shown(path)}: missing array {key!r}") from None
    if info.file_size > MAX_FILE_BYTES:
        raise DataError(f"{shown(path)}: array {key!r} is {info.file_size} bytes uncompressed, more than "
                        f"MNIST can hold ({MAX_FILE_BYTES} at most)")
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
            np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(f, max_header_size=10_000)
    if dtype.hasobject or not all(isinstance(d, int) and 0 <= d <= MAX_ITEMS for d in shape):
        raise DataError(f"{shown(path)}: array {key!r} is {dtype} of shape {shape}, not MNIST data")
    if int(np.prod(shape, dtype=np.int64)) * dtype.itemsize > info.file_size:
        raise DataError(f"{shown(path)}: array {key!r} declares more data than it holds")
    with zf.open(info) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def resolve_data_dir(data: str | os.PathLike | None) -> Path | None:
    """`--data DIR` wins, then the MNIST_DIR environment variable, else None (Keras download)."""
    if data:
        return Path(data)
    env = os.environ.get("MNIST_DIR")
    return Path(env) if env else None


def load_mnist(data: str | os.PathLike | None = None) -> Mnist:
    """Load the training data: MNIST from a folder (IDX .gz files or mnist.npz), an .npz of
    the user's own, a folder of the user's images (`training.own_data`), else MNIST via
    keras.datasets."""
    folder = resolve_data_dir(data)
    if folder is None:
        return _download()
    if folder.suffix == ".npz" and folder.exists() and not folder.is_dir():
        return _load_npz(folder)
    if not folder.is_dir():
        raise DataError(f"{shown(folder)}: no such data folder (give --data DIR or set MNIST_DIR)")
    if (folder / IDX_FILES["train_images"]).exists() or (folder / IDX_FILES["train_images"][:-3]).exists():
        return _load_idx_folder(folder)
    if (folder / "mnist.npz").exists():
        return _load_npz(folder / "mnist.npz")
    from training.own_data import OwnDataError, is_image_folder, load_image_folder

    if is_image_folder(folder):
        try:
            x, y, xt, yt, note = load_image_folder(folder)
        except OwnDataError as e:
            raise DataError(str(e)) from None
        return Mnist(x, y, xt, yt, name=folder.resolve().name or "images", note=note)
    raise DataError(f"{shown(folder)}: holds neither the four MNIST IDX files ({IDX_FILES['train_images']}, ...), "
                    "mnist.npz, nor images of digits (DIR/0/*.png … DIR/9/*.png, or a flat folder of them)")


def dataset_name(data: str | os.PathLike | None) -> str:
    """What the export calls the data a run trained on, from `--data` alone (nothing is
    read): "mnist" for MNIST's own files or the download, else the folder's or file's name."""
    folder = resolve_data_dir(data)
    if folder is None or folder.name == "mnist.npz":
        return "mnist"
    if folder.suffix == ".npz":
        return folder.stem
    if (folder / IDX_FILES["train_images"]).exists() or (folder / IDX_FILES["train_images"][:-3]).exists() \
            or (folder / "mnist.npz").exists():
        return "mnist"
    return Path(os.path.abspath(folder)).name or "images"


DOWNLOAD_TIMEOUT_S = 60  # per connection step: a stalled network fails instead of hanging


def _download() -> Mnist:
    import socket

    import keras

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # Keras downloads through urllib, which honours it
    try:
        (xt, yt), (xs, ys) = keras.datasets.mnist.load_data()
    except Exception as e:  # noqa: BLE001 - any network failure gets the same advice
        raise DataError(
            f"could not download MNIST ({type(e).__name__}); offline, pass --data DIR "
            "or set MNIST_DIR to a folder holding the four official .gz files or mnist.npz"
        ) from None
    finally:
        socket.setdefaulttimeout(previous)
    return Mnist(xt, yt, xs, ys)


def make_dataset(images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int,
                 first_epoch: int, last_epoch: int):
    """The training pipeline: (image in [-1, 1] (b, 28, 28, 1), label) batches; a label is an
    int32 digit or cluster, or a float32 row of cluster weights (`clusters.kmeans`).

    The arrays live in memory once (the cache); every epoch gets its own permutation,
    drawn statelessly from (seed, epoch), so a run resumed at epoch k sees exactly the
    batches an uninterrupted run would have. Batches are full (drop_remainder) and
    prefetched. Yields the batches of epochs first_epoch .. last_epoch-1 back to back.
    """
    import tensorflow as tf

    n = len(images)
    x = tf.constant(images)
    # int32 digits or clusters; float32 rows of soft cluster weights (--soft-reals)
    y = tf.constant(labels.astype(np.float32 if labels.dtype.kind == "f" else np.int32))

    def epoch_indices(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(n), seed=tf.stack([tf.cast(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder=True)

    def gather(idx):
        img = tf.cast(tf.gather(x, idx), tf.float32) / 127.5 - 1.0
        return img[..., None], tf.gather(y, idx)

    return (tf.data.Dataset.range(first_epoch, last_epoch)
            .flat_map(epoch_indices)
            .map(gather, num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))
