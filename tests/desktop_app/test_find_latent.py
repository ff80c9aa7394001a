"""Finding a digit in the latent space, app side: preprocessing, the encoder contract,
refinement and the `python -m desktop_app.find_latent` command line.

The models are tiny `onnx.helper` graphs (no TensorFlow): the fixture generator of
onnx_models.py and a matching encoder that inverts it roughly (a linear map of the image),
so refinement has something to improve.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper

from desktop_app.core.models.contract import ContractError
from desktop_app.core.find.encoder import Encoder, encoder_path_for
from desktop_app.core.models.generator import Generator
from desktop_app.core.find.inversion import find_latent
from digit_contract.preprocess import ImageError, digit_from_array, load_digit
from desktop_app.find_latent import main as find_latent_main

from . import onnx_models as om

LATENT = 8


def encoder_model(latent_dim: int = LATENT, conditional: bool = True, generator: str = "generator.onnx",
                  seed: int = 0, meta: dict | None = None):
    """image -> z = flat(image) @ P (a crude inverse of the fixture generator) and, when
    conditional, class_weights = softmax(matched filter on the digit templates)."""
    rng = np.random.default_rng(seed)
    p = rng.normal(0, 0.05, (784, latent_dim)).astype(np.float32)
    nodes = [helper.make_node("Reshape", ["image", "flat_shape"], ["flat"]),
             helper.make_node("MatMul", ["flat", "p"], ["z"])]
    inits = [om._const("flat_shape", np.array([-1, 784], np.int64)), om._const("p", p)]
    outputs = [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", latent_dim])]
    if conditional:
        t = (om.segment_templates() - 0.5).T.astype(np.float32)
        nodes += [helper.make_node("MatMul", ["flat", "t"], ["score"]),
                  helper.make_node("Softmax", ["score"], ["class_weights"], axis=-1)]
        inits.append(om._const("t", t))
        outputs.append(helper.make_tensor_value_info("class_weights", TensorProto.FLOAT, ["batch", 10]))
    inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 28, 28])]
    overrides = {"kind": "encoder", "latent_dim": str(latent_dim), "generator": generator,
                 "architecture": "cnn-encoder", **(meta or {})}
    return om._model(nodes, inputs, outputs, inits,
                     om.metadata("encoder", latent_dim, 10 if conditional else 0, overrides))


@pytest.fixture(scope="module")
def pair_dir(tmp_path_factory) -> Path:
    """generator.onnx (conditional) + generator.encoder.onnx; plain.onnx (unconditional) +
    plain.encoder.onnx; stranger.encoder.onnx made for another generator."""
    folder = tmp_path_factory.mktemp("pair")
    om.save(om.generator_model(LATENT, conditional=True), folder / "generator.onnx")
    om.save(encoder_model(), folder / "generator.encoder.onnx")
    om.save(om.generator_model(LATENT, seed=4), folder / "plain.onnx")
    om.save(encoder_model(conditional=False, generator="plain.onnx"), folder / "plain.encoder.onnx")
    om.save(encoder_model(generator="other.onnx"), folder / "stranger.encoder.onnx")
    return folder


@pytest.fixture(scope="module")
def pair(pair_dir):
    gen = Generator.from_path(pair_dir / "generator.onnx")
    yield gen, Encoder.from_path(pair_dir / "generator.encoder.onnx", generator=gen)
    gen.close()


def _stroke_digit(h: int = 120, w: int = 90, top: int = 20, left: int = 15) -> np.ndarray:
    """A '7' drawn as two thick strokes on an (h, w) canvas, ink 1 on 0."""
    img = np.zeros((h, w), np.float32)
    img[top:top + 10, left:left + 50] = 1.0
    for i in range(70):
        c = left + 45 - i // 2
        img[top + 10 + i, c:c + 9] = 1.0
    return img


def _centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    ys, xs = np.mgrid[0:img.shape[0], 0:img.shape[1]]
    return float((ys * img).sum() / img.sum()), float((xs * img).sum() / img.sum())


def _png(path: Path, array, mode: str | None = None) -> Path:
    from PIL import Image

    Image.fromarray(np.asarray(array)).save(path) if mode is None else \
        Image.fromarray(np.asarray(array)).convert(mode).save(path)
    return path


def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG that claims width×height pixels (its pixel data is never decoded)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b""))
                     + chunk(b"IEND", b""))
    return path


# --- preprocessing --------------------------------------------------------------------

def test_a_digit_comes_out_mnist_like_whatever_its_place_and_size():
    canvas = np.zeros((400, 300), np.float32)
    canvas[250:370, 190:280] = _stroke_digit()  # far off-centre, in the bottom right
    out = digit_from_array(canvas)
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0 and out.max() > 0.9
    cy, cx = _centre_of_mass(out)
    assert abs(cy - 13.5) <= 1.0 and abs(cx - 13.5) <= 1.0
    rows, cols = np.flatnonzero(out.any(1)), np.flatnonzero(out.any(0))
    assert max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) == 20  # fitted into 20×20


def test_dark_ink_on_white_paper_is_inverted_to_mnist_polarity():
    bright_on_dark = digit_from_array(_stroke_digit())
    dark_on_bright = digit_from_array(1.0 - _stroke_digit())
    assert np.abs(bright_on_dark - dark_on_bright).max() < 1e-5
    assert dark_on_bright[0, 0] == 0.0 and dark_on_bright.max() == pytest.approx(1.0)


def test_colour_and_alpha_files_read_as_the_grey_digit(tmp_path):
    ink = _stroke_digit()
    reference = digit_from_array(ink)
    rgba = np.zeros(ink.shape + (4,), np.uint8)
    rgba[..., 0] = 200  # dark red ink where opaque; garbage colour where transparent
    rgba[..., 1] = 30 + 200 * (ink == 0)
    rgba[..., 3] = (255 * ink).astype(np.uint8)  # transparent background
    transparent = load_digit(_png(tmp_path / "red_on_transparent.png", rgba))
    rgb = np.stack([255 - 255 * ink, 255 - 200 * ink, 255 - 100 * ink], -1).astype(np.uint8)
    from PIL import Image

    Image.fromarray(rgb).save(tmp_path / "blue_on_white.jpg", quality=90)
    jpeg = load_digit(tmp_path / "blue_on_white.jpg")
    bmp = load_digit(_png(tmp_path / "grey.bmp", (255 * ink).astype(np.uint8)))
    webp = load_digit(_png(tmp_path / "grey.webp", (255 * ink).astype(np.uint8)))
    for got in (transparent, jpeg, bmp, webp):
        assert np.corrcoef(got.ravel(), reference.ravel())[0, 1] > 0.95


def test_a_photo_sized_picture_is_shrunk_first_and_gives_the_same_digit(tmp_path):
    from PIL import Image

    small = _stroke_digit()
    paper = np.full((2400, 3200), 235, np.uint8)  # light grey paper, 7.7 megapixels
    big_ink = np.asarray(Image.fromarray((255 * small).astype(np.uint8)).resize((900, 1200)))
    paper[600:1800, 1100:2000] = np.minimum(paper[600:1800, 1100:2000], 255 - big_ink)
    Image.fromarray(paper).save(tmp_path / "photo.jpg", quality=85)
    got = load_digit(tmp_path / "photo.jpg")
    # The same 7 to within a pixel of placement and anti-aliasing (JPEG, two resamplings).
    assert np.corrcoef(got.ravel(), digit_from_array(small).ravel())[0, 1] > 0.85
    cy, cx = _centre_of_mass(got)
    assert abs(cy - 13.5) <= 1.0 and abs(cx - 13.5) <= 1.0 and got[0].max() == 0.0


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_bytes(b"") and p, "empty"),
    (lambda p: p.write_text("hello, I am not a picture") and p, "not a PNG, JPEG, BMP or WebP"),
    (lambda p: _png(p, np.full((40, 30), 255, np.uint8)), "all one colour"),
    (lambda p: _png(p, np.full((1, 1), 7, np.uint8)), "all one colour"),
    (lambda p: _png_header_only(p, 8000, 8000), "gigantic"),  # 64 MP: our own limit
    (lambda p: _png_header_only(p, 20000, 20000), "gigantic"),  # Pillow's bomb guard
    (lambda p: p.write_bytes(_png(p, (255 * _stroke_digit()).astype(np.uint8)).read_bytes()[:90]) and p,
     "cannot be decoded"),
])
def test_bad_files_are_refused_in_one_sentence(tmp_path, make, words):
    path = tmp_path / "input.png"
    make(path)
    with pytest.raises(ImageError) as err:
        load_digit(path)
    text = str(err.value)
    assert words in text and "input.png" in text and "\n" not in text


def test_an_animated_gif_and_a_folder_are_refused(tmp_path):
    from PIL import Image

    frames = [Image.fromarray((255 * _stroke_digit()).astype(np.uint8)), Image.new("L", (90, 120))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    with pytest.raises(ImageError, match="not a PNG, JPEG, BMP or WebP"):
        load_digit(tmp_path / "anim.gif")
    with pytest.raises(ImageError, match="folder"):
        load_digit(tmp_path)


# --- the encoder contract ----------------------------------------------------------------

def test_the_encoder_checks_that_it_belongs_to_the_generator(pair_dir, pair):
    gen, enc = pair
    assert (enc.latent_dim, enc.num_classes, enc.generator_name) == (LATENT, 10, "generator.onnx")
    assert encoder_path_for(pair_dir / "generator.onnx") == pair_dir / "generator.encoder.onnx"
    with pytest.raises(ContractError, match="made for the generator 'other.onnx', not 'generator.onnx'"):
        Encoder.from_path(pair_dir / "stranger.encoder.onnx", generator=gen)
    plain = Generator.from_path(pair_dir / "plain.onnx")
    try:
        with pytest.raises(ContractError, match="made for the generator 'generator.onnx'"):
            Encoder.from_path(pair_dir / "generator.encoder.onnx", generator=plain)
    finally:
        plain.close()


def test_encoders_that_break_the_contract_are_refused(tmp_path, pair):
    gen, _ = pair
    cases = {
        "no_key.onnx": (encoder_model(meta={"generator": None}), "lacks the required key 'generator'"),
        "wide.onnx": (encoder_model(latent_dim=16), "latent_dim 16"),
        "generator.onnx": (om.generator_model(LATENT, conditional=True), "not an encoder"),
    }
    for name, (model, words) in cases.items():
        path = om.save(model, tmp_path / name)
        with pytest.raises(ContractError, match=words):
            Encoder.from_path(path, generator=gen)


def test_encode_gives_latents_and_weights_on_the_simplex(pair):
    _, enc = pair
    z, w = enc.encode(np.stack([digit_from_array(_stroke_digit())] * 3))
    assert z.shape == (3, LATENT) and w.shape == (3, 10)
    assert np.allclose(w.sum(1), 1, atol=1e-6) and (w >= 0).all()


# --- refinement ---------------------------------------------------------------------------

def _targets(gen, n: int = 4) -> list[np.ndarray]:
    """Digits the generator can draw (so a good latent exists), off the encoder's guess."""
    rng = np.random.default_rng(5)
    z = rng.standard_normal((n, LATENT)).astype(np.float32)
    w = np.eye(10, dtype=np.float32)[[1, 3, 7, 8][:n]]
    return list(gen.generate(z, w))


def test_refinement_never_makes_the_error_worse_and_usually_helps(pair):
    gen, enc = pair
    gained = 0
    for i, target in enumerate(_targets(gen)):
        guess = find_latent(gen, enc, target, refine_ms=0)
        assert guess.steps == 0 and guess.error == guess.error_before
        found = find_latent(gen, enc, target, refine_ms=60_000, max_steps=150, seed=i)
        assert found.steps == 150
        assert found.error <= found.error_before
        assert found.error_before == pytest.approx(guess.error_before)
        redrawn = gen.generate(found.z, found.class_weights)[0]
        assert np.mean((redrawn - target) ** 2) == pytest.approx(found.error, rel=1e-4, abs=1e-7)
        assert np.allclose(found.class_weights.sum(), 1, atol=1e-5) and (found.class_weights >= 0).all()
        gained += found.error < 0.5 * found.error_before
    assert gained >= 3  # a crude encoder leaves much to win


def test_refinement_reports_each_improvement_and_stops_when_cancelled(pair):
    gen, enc = pair
    target = _targets(gen, 1)[0]
    seen = []
    found = find_latent(gen, enc, target, refine_ms=60_000, max_steps=80,
                        on_improve=lambda step, z, w, err: seen.append(err))
    assert seen and seen == sorted(seen, reverse=True) and seen[-1] == found.error
    calls = []
    stopped = find_latent(gen, enc, target, refine_ms=60_000,
                          cancelled=lambda: calls.append(1) or len(calls) > 5)
    assert stopped.steps == 5


def test_refinement_keeps_to_its_time_budget_loosely(pair):
    gen, enc = pair
    found = find_latent(gen, enc, _targets(gen, 1)[0], refine_ms=50)
    assert found.steps >= 1 and found.seconds < 5.0  # generous: a loaded CI machine


def test_unconditional_pairs_find_z_only(pair_dir):
    gen = Generator.from_path(pair_dir / "plain.onnx")
    try:
        enc = Encoder.from_path(pair_dir / "plain.encoder.onnx", generator=gen)
        target = gen.generate(np.random.default_rng(2).standard_normal((1, LATENT)))[0]
        found = find_latent(gen, enc, target, refine_ms=60_000, max_steps=50)
        assert found.class_weights is None and found.z.shape == (LATENT,)
        assert found.error <= found.error_before
    finally:
        gen.close()


# --- the command line ---------------------------------------------------------------------

def test_the_cli_prints_json_lines_and_exits_2_on_a_bad_file(pair_dir, tmp_path, capsys):
    good = _png(tmp_path / "seven.png", (255 - 255 * _stroke_digit()).astype(np.uint8))
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    rc = find_latent_main([str(good), str(bad), str(good), "--model", str(pair_dir / "generator.onnx"),
                           "--refine-ms", "30"])
    out, err = capsys.readouterr()
    assert rc == 2
    lines = [json.loads(line) for line in out.splitlines()]
    assert [d["image"] for d in lines] == [str(good), str(good)]
    for d in lines:
        assert set(d) == {"image", "z", "class_weights", "seconds", "reconstruction_error", "digit"}
        assert len(d["z"]) == LATENT and len(d["class_weights"]) == 10 and d["digit"] is None
        assert abs(sum(d["class_weights"]) - 1) < 1e-4 and d["seconds"] > 0 and d["reconstruction_error"] >= 0
    # No classifier beside the model nor shipped: said once, and the search goes on by pixels.
    said = err.splitlines()
    assert len(said) == 2 and "no classifier.onnx" in said[0] and "searching by pixels alone" in said[0]
    assert "notes.png" in said[1] and "not a PNG" in said[1]

    rc = find_latent_main([str(good), "--model", str(pair_dir / "plain.onnx"), "--no-refine",
                           "--no-classifier"])
    out, err = capsys.readouterr()
    assert rc == 0 and err == ""
    line = json.loads(out)
    assert line["class_weights"] is None and len(line["z"]) == LATENT


def _sure_reader(digit: int):
    """A reader (the classifier's contract) all but sure that every input is `digit`."""
    rng = np.random.default_rng(3)
    bias = np.zeros(10, np.float32)
    bias[digit] = 30.0
    nodes = [helper.make_node("Reshape", ["image", "flat_shape"], ["flat"]),
             helper.make_node("MatMul", ["flat", "w"], ["score"]),
             helper.make_node("Add", ["score", "bias"], ["logits"]),
             helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
             helper.make_node("MatMul", ["flat", "r"], ["proj"]),
             helper.make_node("Relu", ["proj"], ["features"])]
    inits = [om._const("flat_shape", np.array([-1, 784], np.int64)),
             om._const("w", rng.normal(0, 1e-3, (784, 10)).astype(np.float32)),
             om._const("bias", bias), om._const("r", rng.normal(0, 0.05, (784, 4)).astype(np.float32))]
    inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 28, 28])]
    outputs = [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", 10]),
               helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 4])]
    return om._model(nodes, inputs, outputs, inits, om.metadata("classifier", num_classes=10))


def test_the_cli_searches_as_the_app_with_the_reader_and_the_classifier(pair_dir, tmp_path, capsys):
    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("generator.onnx", "generator.encoder.onnx"):
        (folder / name).write_bytes((pair_dir / name).read_bytes())
    om.save(om.classifier_model(), folder / "classifier.onnx")
    seven = _png(tmp_path / "seven.png", (255 * _stroke_digit()).astype(np.uint8))
    args = [str(seven), "--model", str(folder / "generator.onnx"), "--refine-ms", "300"]
    # A reader sure of an 8 decides which digit is searched for: the answer is an 8.
    om.save(_sure_reader(8), folder / "reader.onnx")
    assert find_latent_main(args) == 0
    out, err = capsys.readouterr()
    line = json.loads(out)
    assert err == "" and int(np.argmax(line["class_weights"])) == 8 and line["digit"] == 8
    # A reader that will not load is said, once, and the classifier reads the input instead.
    (folder / "reader.onnx").write_bytes(b"not a model")
    assert find_latent_main(args) == 0
    out, err = capsys.readouterr()
    assert "reader.onnx" in err and "reads the input with the classifier instead" in err
    assert err.count("\n") == 1 and json.loads(out)["digit"] != 8
    # By pixels alone: no verdict printed.
    assert find_latent_main(args + ["--no-classifier"]) == 0
    assert json.loads(capsys.readouterr().out)["digit"] is None


def test_the_cli_says_how_to_get_a_missing_or_foreign_encoder(pair_dir, tmp_path, capsys):
    good = _png(tmp_path / "seven.png", (255 * _stroke_digit()).astype(np.uint8))
    lone = Path(om.save(om.generator_model(LATENT, conditional=True), tmp_path / "lone.onnx"))
    assert find_latent_main([str(good), "--model", str(lone)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "python -m training encoder" in err and err.count("\n") == 1
    assert find_latent_main([str(good), "--model", str(pair_dir / "generator.onnx"),
                             "--encoder", str(pair_dir / "stranger.encoder.onnx")]) == 2
    assert "other.onnx" in capsys.readouterr().err


class _TemplateReader:
    """A stand-in classifier: reads a digit by matching the fixture generator's templates."""

    def __init__(self):
        self.t = self._unit(om.segment_templates().reshape(10, -1))

    @staticmethod
    def _unit(flat):
        flat = flat - flat.mean(1, keepdims=True)
        return flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-9)

    def probs(self, images):
        score = 30.0 * self._unit(np.asarray(images, np.float64).reshape(len(images), -1)) @ self.t.T
        e = np.exp(score - score.max(1, keepdims=True))
        return (e / e.sum(1, keepdims=True)).astype(np.float32)


class _SaysEight:
    """A reader sure that every input is an 8."""

    def probs(self, images):
        return np.tile(np.eye(10, dtype=np.float32)[8], (len(images), 1))


def test_the_reader_decides_which_digit_the_input_is_and_the_classifier_judges(pair):
    gen, enc = pair
    z = np.random.default_rng(2).standard_normal((1, LATENT)).astype(np.float32)
    target = gen.generate(z, np.eye(10, dtype=np.float32)[[3]])[0]
    judge = _TemplateReader()
    assert judge.probs(target[None]).argmax() == 3  # the stand-in reads the fixture's digits
    plain = find_latent(gen, enc, target, refine_ms=60_000, max_steps=40, classifier=judge)
    assert int(np.argmax(plain.class_weights)) == 3
    read = find_latent(gen, enc, target, refine_ms=60_000, max_steps=40, classifier=judge,
                       reader=_SaysEight())
    # The reader says 8, so the search draws an 8 the judge reads as one, at a pixel cost.
    assert int(np.argmax(read.class_weights)) == 8
    assert judge.probs(read.reconstruction[None]).argmax() == 8
    assert read.error > plain.error


class _Broken:
    """A reader or classifier whose answer is unusable: NaN, or the wrong shape."""

    def __init__(self, answer):
        self.path, self.answer = Path("reader.onnx"), answer

    def probs(self, images):
        return np.full((len(images), 10), np.nan, np.float32) if self.answer == "nan" else np.ones((len(images), 3))


@pytest.mark.parametrize("answer", ["nan", "shape"])
def test_an_unusable_reading_is_one_sentence_not_a_silent_search(pair, answer):
    from desktop_app.core.models.contract import ModelRunError

    gen, enc = pair
    target = _targets(gen, 1)[0]
    with pytest.raises(ModelRunError, match=r"^reader\.onnx gave no ten finite probabilities reading the input\.$"):
        find_latent(gen, enc, target, refine_ms=60_000, max_steps=5, classifier=_TemplateReader(),
                    reader=_Broken(answer))
    with pytest.raises(ModelRunError, match="judging the redrawn digits"):
        find_latent(gen, enc, target, refine_ms=60_000, max_steps=5, classifier=_Broken(answer),
                    reader=_TemplateReader())
