"""A corpus of hostile files for the app, built in a temporary folder.

Models: things that are not regular files (a FIFO, links to /dev/zero and /dev/urandom, a
symlink loop, a folder named x.onnx), broken bytes (empty, random, truncated), files over
the caps (a sparse file past 64 MiB, millions of tiny protobuf fields), and valid ONNX that
breaks the contract (`"²"` metadata, a NaN generator, version 1, a classifier, external
data), one of them with HTML in its name. Latent files: the same non-files, plus JSON with
10**400, NaN, a z of the wrong length and absurd nesting.

`fingerprint(folder)` hashes every regular file and records every other entry's type, so a
test can show that nothing the user owns changed.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import os
import stat
from pathlib import Path

import numpy as np
import onnx
from onnx import helper

from desktop_app.core.models.contract import MAX_MODEL_BYTES
from desktop_app.core.files.latent_files import MAX_FILE_BYTES

from . import onnx_models as om

HTML_NAME = "<img src=x onerror=alert(1)><b>bold<b>.onnx"


def _special(folder: Path, name: str, kind: str, target: str = "") -> Path:
    path = folder / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "link":
        path.symlink_to(target)
    elif kind == "loop":
        path.symlink_to(folder / f"{name}.other")
        (folder / f"{name}.other").symlink_to(path)
    elif kind == "dir":
        path.mkdir()
    elif kind == "sparse":
        with open(path, "wb") as handle:
            handle.truncate(int(target))
    return path


def _nan_generator() -> onnx.ModelProto:
    """The fixture generator times exp(1000·|z|²): finite at z = 0 only."""
    model = om.generator_model(8)
    graph = model.graph
    graph.node[-1].input[0] = "scaled"
    at = len(graph.node) - 1
    for node in reversed([
            helper.make_node("ReduceSumSquare", ["z"], ["r2"], axes=[1], keepdims=1),
            helper.make_node("Mul", ["r2", "big"], ["r2k"]),
            helper.make_node("Exp", ["r2k"], ["blow"]),
            helper.make_node("Mul", ["flat01", "blow"], ["scaled"])]):
        graph.node.insert(at, node)
    graph.initializer.append(om._const("big", np.float32(1000.0)))
    return model


def _many_fields(count: int = 2_000_000) -> bytes:
    """A valid protobuf start (ir_version) then `count` empty unknown fields (3 bytes each)."""
    return b"\x08\x09" + bytes([0xA2, 0x01, 0x00]) * count


def build_models(folder: Path) -> dict[str, Path]:
    """Every hostile model file, by a short case name."""
    folder.mkdir(parents=True, exist_ok=True)
    good = om.generator_model(8).SerializeToString()
    cases = {
        "fifo": _special(folder, "fifo.onnx", "fifo"),
        "dev_zero": _special(folder, "zero.onnx", "link", "/dev/zero"),
        "dev_urandom": _special(folder, "urandom.onnx", "link", "/dev/urandom"),
        "symlink_loop": _special(folder, "loop.onnx", "loop"),
        "folder": _special(folder, "folder.onnx", "dir"),
        "over_cap": _special(folder, "huge.onnx", "sparse", str(MAX_MODEL_BYTES + 1)),
    }
    files = {
        "empty": ("empty.onnx", b""),
        "random": ("random.onnx", np.random.default_rng(7).bytes(4096)),
        "truncated": ("truncated.onnx", good[: len(good) // 2]),
        "html_name": (HTML_NAME, b"<b>not a model</b>"),
        "many_fields": ("fields.onnx", _many_fields()),
        "superscript": ("sq.onnx", om.generator_model(8, meta={"latent_dim": "²"})),
        "nan_generator": ("nan.onnx", _nan_generator()),
        "version_1": ("v1.onnx", om.generator_model(8, meta={"contract_version": "1"})),
        "classifier": ("classifier_as_gen.onnx", om.classifier_model()),
    }
    for case, (name, data) in files.items():
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.SerializeToString())
        cases[case] = path
    split = folder / "split.onnx"
    onnx.save_model(om.generator_model(8), str(split), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="split.weights", size_threshold=0)
    cases["external_data"] = split
    return cases


def _latent(z, **extra) -> str:
    doc = {"format": "digit-studio/latents", "version": 2, "latent_dim": 8,
           "current": {"z": z, "class_weights": None}, **extra}
    return json.dumps(doc)


def build_latents(folder: Path) -> dict[str, Path]:
    """Every hostile latent file, by a short case name (for a model of latent_dim 8)."""
    folder.mkdir(parents=True, exist_ok=True)
    cases = {
        "fifo": _special(folder, "fifo.json", "fifo"),
        "dev_zero": _special(folder, "zero.json", "link", "/dev/zero"),
        "dev_urandom": _special(folder, "urandom.json", "link", "/dev/urandom"),
        "symlink_loop": _special(folder, "loop.json", "loop"),
        "folder": _special(folder, "folder.json", "dir"),
        "over_cap": _special(folder, "huge.json", "sparse", str(MAX_FILE_BYTES + 1)),
    }
    texts = {
        "huge_integer": _latent([10**400] + [0] * 7),
        "nan": _latent([0.0] * 8).replace("0.0", "NaN", 1),
        "wrong_length": _latent([0.0] * 7),
        "nested": "[" * 100_000 + "]" * 100_000,
        "html_name": _latent([0.0] * 8, keyframes=[{"z": [0.0] * 8, "name": "<b>k</b>"}]
                             ).replace('"version": 2', '"version": "<b>2</b>"'),
        "not_utf8": "\udcff",
    }
    for case, text in texts.items():
        path = folder / f"{case}.json"
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        cases[case] = path
    return cases


@functools.lru_cache(maxsize=None)
def _zeros_sha256(size: int) -> str:
    digest = hashlib.sha256()
    block = bytes(1 << 20)
    for start in range(0, size, len(block)):
        digest.update(block[: min(len(block), size - start)])
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    """sha256 of the file's bytes. A file with no data at all (the corpus' sparse files past
    the caps: one hole) reads as zeros, so its digest is that of `size` zero bytes, known
    without reading them; any written byte is data that SEEK_DATA finds."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size:
            try:
                os.lseek(handle.fileno(), 0, os.SEEK_DATA)
            except OSError as e:  # ENXIO: no data from offset 0 to the end
                if e.errno == errno.ENXIO:
                    return _zeros_sha256(size)
                raise
            except AttributeError:  # no SEEK_DATA on this platform
                pass
        handle.seek(0)
        return hashlib.sha256(handle.read()).hexdigest()


def fingerprint(folder: Path) -> dict[str, str]:
    """Name -> sha256 of each regular file, or the type of anything else (never opened)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode):
            out[str(path)] = _sha256(path)
        elif stat.S_ISLNK(st.st_mode):
            out[str(path)] = f"link to {os.readlink(path)}"
        else:
            out[str(path)] = f"mode {stat.S_IFMT(st.st_mode):o}"
    return out
