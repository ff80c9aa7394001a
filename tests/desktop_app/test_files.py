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

from desktop_app.core.morph import animation
from desktop_app.core.files import latent_files as files, image_files
from digit_contract.atomic import OutputError, write_atomic
from desktop_app.core.morph.keyframes import Keyframe
from desktop_app.core.explore.weights import mix, one_hot

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
    keys = [Keyframe(rng.standard_normal(dim).astype(np.float32), one_hot(k, 10), f"K{k}")
            for k in range(2)]
    keys.append(Keyframe(rng.standard_normal(dim).astype(np.float32), mix(3, 8, 0.3, 10), "K2"))
    return files.LatentFile(Keyframe(rng.standard_normal(dim).astype(np.float32),
                                     one_hot(4, 10)),
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
    assert all(np.array_equal(a.z, b.z) and np.array_equal(a.class_weights, b.class_weights)
               for a, b in zip(back.keyframes, data.keyframes))
    assert np.array_equal(back.current.class_weights, one_hot(4, 10))
    assert (back.seed, back.truncation, back.method, back.t) == (42, 0.7, "lerp", 0.25)
    doc = json.loads((tmp_path / "a.json").read_text())
    assert doc["format"] == files.FORMAT and doc["version"] == 2
    assert doc["keyframes"][2]["class_weights"][3] == 0.7 and "label" not in doc["current"]
    unconditional = files.LatentFile(Keyframe(np.zeros(8, np.float32)))
    assert files.loads(files.dumps(unconditional)).current.class_weights is None


def test_an_old_file_with_labels_loads_as_one_hot_weights():
    doc = json.loads(files.dumps(_sample()))
    doc["version"] = 1
    for frame in [doc["current"], *doc["keyframes"]]:
        del frame["class_weights"]
    doc["current"]["label"], doc["keyframes"][0]["label"] = 7, None
    doc["keyframes"][1]["label"] = 2
    back = files.loads(json.dumps(doc), expected_dim=8)
    assert np.array_equal(back.current.class_weights, one_hot(7, 10))
    assert back.keyframes[0].class_weights is None  # saved from an unconditional model
    assert np.array_equal(back.keyframes[1].class_weights, one_hot(2, 10))


@pytest.mark.parametrize("weights, needle", [
    ([0.1] * 9, "9 values"), ([0.2] * 10, "sums to 2"), ([1.5, -0.5] + [0] * 8, "negative"),
    ([True] + [0] * 9, "only numbers"), ("one-hot", "wrong type"),
])
def test_bad_class_weights_are_refused(weights, needle):
    doc = _doc()
    doc["keyframes"][1]["class_weights"] = weights
    message = _load_text(json.dumps(doc))
    assert needle in message and "keyframe 2" in message


def test_weights_off_by_rounding_are_put_back_on_the_simplex():
    doc = _doc()
    doc["current"]["class_weights"] = [0.3334, 0.3333, 0.3334] + [0] * 7
    weights = files.loads(json.dumps(doc)).current.class_weights
    assert abs(float(weights.sum()) - 1.0) < 1e-6


@pytest.mark.parametrize("place", ["z", "class_weights", "truncation", "t", "label", "seed",
                                   "latent_dim", "version"])
def test_an_integer_too_large_for_a_float_is_one_clean_sentence(place):
    doc = _doc()
    marker = 12345.5
    if place in ("z", "class_weights"):
        doc["current"][place][0] = marker
    elif place == "label":
        del doc["current"]["class_weights"]
        doc["current"]["label"] = marker
    elif place == "t":
        doc["interpolation"]["t"] = marker
    elif place in ("truncation", "seed"):
        doc["current"][place] = marker
    else:
        doc[place] = marker
    message = _load_text(json.dumps(doc).replace("12345.5", str(10**400), 1))
    assert len(message) < 200 and message.endswith(".")


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
    ({"version": 3}, "version 3"),
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
            animation.save(target, np.zeros((3, 28, 28), np.uint8), animation.AnimationOptions(fmt="GIF"))
    if os.geteuid() != 0:  # root ignores folder permissions
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(OutputError, match="not writable"):
            files.save(locked / "l.json", _sample())
        assert list(locked.iterdir()) == []


def test_long_names_are_written_up_to_the_limit_and_refused_past_it(tmp_path):
    """A name near the 255-byte limit is written (the temporary name must not push past it);
    a longer one, such as 90 CJK characters (270 bytes), is one sentence, not an OSError."""
    longest = "a" * 250 + ".json"
    files.save(tmp_path / longest, _sample())
    assert (tmp_path / longest).is_file()
    with pytest.raises(OutputError, match="longer than this folder allows"):
        files.save(tmp_path / ("数" * 90 + ".json"), _sample())
    assert [p.name for p in tmp_path.iterdir() if p.suffix in (".json", ".tmp")] == [longest]


@pytest.mark.parametrize("target", ["real.json", "/dev/null"])
def test_saving_over_a_link_is_refused_and_writes_nothing(tmp_path, target):
    """A link (to a user's file, or to a device) is never written through nor replaced."""
    real = tmp_path / target
    if not real.exists():
        real.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with pytest.raises(OutputError, match="link"):
        files.save(link, _sample())
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.is_char_device() or real.read_text() == "{}"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


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


def test_ctrl_c_the_moment_the_temporary_appears_leaves_no_temporary(tmp_path, monkeypatch):
    """An interrupt between the temporary file's creation and the clean-up's `try` (a
    window `tempfile.mkstemp` had) leaves the old file and nothing else."""
    target = tmp_path / "strip.png"
    target.write_bytes(b"old")
    real_open = os.open

    def interrupted_open(path, flags, *args, **kwargs):
        fd = real_open(path, flags, *args, **kwargs)
        if flags & os.O_CREAT and os.fspath(path).endswith(".tmp"):
            os.close(fd)
            raise KeyboardInterrupt  # lands the moment the file exists
        return fd

    monkeypatch.setattr(os, "open", interrupted_open)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, lambda handle: handle.write(b"new"))
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert not list(tmp_path.glob("*.tmp"))


def test_exports_are_real_images_at_the_asked_scale(tmp_path):
    frames = (np.arange(5)[:, None, None] * 50 * np.ones((5, 28, 28))).astype(np.uint8)
    image_files.save_png(tmp_path / "p.png", frames[2], scale=16)
    with Image.open(tmp_path / "p.png") as png:
        assert png.size == (448, 448) and png.getpixel((0, 0)) == 100
    image_files.save_strip(tmp_path / "s.png", frames, scale=2, gap=2)
    with Image.open(tmp_path / "s.png") as strip:
        assert strip.size == ((5 * 28 + 4 * 2) * 2, 56)
    animation.save(tmp_path / "a.gif", frames, animation.AnimationOptions(fps=25, scale=3, fmt="GIF"))
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.n_frames == 5 and gif.size == (84, 84)
        assert gif.info["duration"] == 40 and gif.info.get("loop") == 0
