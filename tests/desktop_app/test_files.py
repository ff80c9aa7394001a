"""Latent JSON files and image exports: round trips, hostile input, unwritable folders."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from desktop_app.core import export, files
from desktop_app.core.atomic import OutputError, write_atomic
from desktop_app.core.interpolation import Keyframe

from .hypothesis_settings import quick

# Hypothesis examples cannot use the function-scoped tmp_path: one scratch folder for
# them all, removed when the test run ends.
_SCRATCH = tempfile.TemporaryDirectory(prefix="ds-json-")


@pytest.fixture(scope="module", autouse=True)
def _remove_scratch():
    yield
    _SCRATCH.cleanup()


def _sample(dim: int = 8) -> files.LatentFile:
    rng = np.random.default_rng(0)
    keys = [Keyframe(rng.standard_normal(dim).astype(np.float32), k % 10, f"K{k}")
            for k in range(3)]
    return files.LatentFile(Keyframe(rng.standard_normal(dim).astype(np.float32), 4),
                            keys, seed=42, truncation=0.7, method="lerp", t=0.25,
                            model="conditional.onnx")


def _doc(**changes) -> dict:
    doc = json.loads(files.dumps(_sample()))
    doc.update(changes)
    return doc


def _load_text(text: str, expected_dim: int | None = 8) -> str:
    path = Path(_SCRATCH.name) / "latents.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(files.LatentFileError) as info:
        files.load(path, expected_dim)
    assert "latents.json" in str(info.value)
    return str(info.value)


def test_latent_file_round_trips_exactly(tmp_path):
    data = _sample()
    files.save(tmp_path / "a.json", data)
    back = files.load(tmp_path / "a.json", expected_dim=8)
    assert np.array_equal(back.current.z, data.current.z)
    assert [k.name for k in back.keyframes] == ["K0", "K1", "K2"]
    assert all(np.array_equal(a.z, b.z) and a.label == b.label
               for a, b in zip(back.keyframes, data.keyframes))
    assert (back.seed, back.truncation, back.method, back.t) == (42, 0.7, "lerp", 0.25)
    doc = json.loads((tmp_path / "a.json").read_text())
    assert doc["format"] == files.FORMAT and doc["version"] == 1


@pytest.mark.parametrize("bad, needle", [
    ("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "Infinity"), ("1e999", "infinite"),
])
def test_nan_and_infinity_are_refused(bad, needle):
    doc = _doc()
    doc["current"]["z"][0] = 12345.5  # a marker to swap for the bad literal
    text = json.dumps(doc).replace("12345.5", bad, 1)
    assert needle in _load_text(text)


@pytest.mark.parametrize("change, needle", [
    ({"latent_dim": 16}, "16"),
    ({"version": 2}, "version 2"),
    ({"format": "something else"}, "not a Digit Studio latent file"),
    ({"version": "1"}, "wrong type"),
    ({"keyframes": "A,B"}, "wrong type"),
    ({"interpolation": {"method": "cubic"}}, "cubic"),
    ({"interpolation": {"t": 2}}, "outside"),
])
def test_malformed_documents_are_refused(change, needle):
    assert needle in _load_text(json.dumps(_doc(**change)))


@pytest.mark.parametrize("z, needle", [
    ([0.0] * 7, "7 values"), ([True] * 8, "only numbers"), (["0"] * 8, "only numbers"),
    ([1e6] * 8, "beyond"), ("zeros", "wrong type"),
])
def test_bad_latent_vectors_are_refused(z, needle):
    doc = _doc()
    doc["current"]["z"] = z
    assert needle in _load_text(json.dumps(doc))


def test_a_latent_for_another_model_is_refused():
    assert "needs 100" in _load_text(files.dumps(_sample()), expected_dim=100)


def test_huge_and_binary_files_are_refused(tmp_path):
    huge = tmp_path / "latents.json"
    with open(huge, "wb") as handle:
        handle.truncate(files.MAX_FILE_BYTES + 1)
    with pytest.raises(files.LatentFileError, match="MiB"):
        files.load(huge)
    assert "not valid JSON" in _load_text("")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(files.LatentFileError, match="UTF-8"):
        files.load(tmp_path / "bin.json")
    assert "nested" in _load_text("[" * 100_000)


@quick(max_examples=80)
@given(st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(), c,
                                                                        max_size=4),
                    max_leaves=20))
def test_any_json_is_loaded_or_refused_cleanly(value):
    try:
        text = json.dumps(value)
    except ValueError:
        return
    path = Path(_SCRATCH.name) / "x.json"
    path.write_text(text)
    with pytest.raises(files.LatentFileError):
        files.load(path, 8)


def test_unwritable_folder_gives_a_clear_error_and_no_file(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    for target in (tmp_path / "missing" / "a.gif", blocker / "a.gif"):
        with pytest.raises(OutputError, match="a.gif"):
            export.save_gif(target, np.zeros((3, 28, 28), np.uint8))
    if os.geteuid() != 0:  # root ignores folder permissions
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(OutputError, match="not writable"):
            files.save(locked / "l.json", _sample())
        assert list(locked.iterdir()) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "strip.png"
    target.write_bytes(b"old")

    def explode(handle):
        handle.write(b"partial")
        raise RuntimeError("disk pulled out")

    with pytest.raises(RuntimeError):
        write_atomic(target, explode)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in folder.iterdir()) == ["strip.png"]


def test_exports_are_real_images_at_the_asked_scale(tmp_path):
    frames = (np.arange(5)[:, None, None] * 50 * np.ones((5, 28, 28))).astype(np.uint8)
    export.save_png(tmp_path / "p.png", frames[2], scale=16)
    with Image.open(tmp_path / "p.png") as png:
        assert png.size == (448, 448) and png.getpixel((0, 0)) == 100
    export.save_strip(tmp_path / "s.png", frames, scale=2, gap=2)
    with Image.open(tmp_path / "s.png") as strip:
        assert strip.size == ((5 * 28 + 4 * 2) * 2, 56)
    export.save_gif(tmp_path / "a.gif", frames, fps=25, scale=3)
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.n_frames == 5 and gif.size == (84, 84)
        assert gif.info["duration"] == 40 and gif.info.get("loop") == 0
