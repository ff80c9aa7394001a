"""Find a digit on digits that are not MNIST's: typefaces, pens and photos.

docs/results/heldout-digits.npz (made by scripts/heldout_digits.py, see docs/results.md)
holds 1,000 development digits, used while tuning the search, and 1,000 held-out digits
in other typefaces, only evaluated. The slow tests run the shipped generator with its
encoder, the shipped reader and classifier, as the app does, for a fixed number of refinement
steps (what 400 ms allows on a quiet 2-core machine, rounded down) so a loaded CI
machine gets the same answer.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from desktop_app.bench_find import HELDOUT, heldout_digits

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "exported_models"
STEPS_IN_400_MS = 80  # steps measured in 400 ms on a quiet machine: p50 well above this
SUBSET = 200


def _script():
    spec = importlib.util.spec_from_file_location("heldout_digits", ROOT / "scripts" / "heldout_digits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_set_has_balanced_labels_and_says_how_each_digit_was_made():
    with np.load(HELDOUT) as data:
        images, labels, split = data["images"], data["labels"], data["split"]
        assert images.shape == (2000, 28, 28) and images.dtype == np.uint8
        for name in ("dev", "heldout"):
            counts = np.bincount(labels[split == name], minlength=10)
            assert counts.tolist() == [100] * 10
        for key in ("font", "stroke", "augment", "kind", "description"):
            assert data[key].shape == (2000,) and all(len(str(t)) > 3 for t in data[key])
        families = {name: {str(f).split(" (")[0] for f in data["font"][split == name]}
                    for name in ("dev", "heldout")}
    assert len(families["heldout"]) >= 5 and not families["dev"] & families["heldout"]
    # MNIST-like: bright ink on black, full-bright somewhere, fitted into a 20-pixel box.
    assert (images.reshape(2000, -1).max(1) == 255).all()
    for img in images[::50]:
        rows, cols = np.flatnonzero(img.any(1)), np.flatnonzero(img.any(0))
        assert 12 <= max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 20


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_the_script_rebuilds_the_set_from_its_seed(split):
    script = _script()
    if script.missing_fonts():
        pytest.skip("the typefaces are not installed (fonts-urw-base35, fonts-dejavu, …)")
    rebuilt = script.build_split(split, count=30)
    with np.load(HELDOUT) as data:
        rows = np.flatnonzero(data["split"] == split)[:30]
        assert np.array_equal(rebuilt["images"], data["images"][rows])
        assert np.array_equal(rebuilt["labels"], data["labels"][rows])
        assert rebuilt["kind"].tolist() == data["kind"][rows].tolist()


@pytest.fixture(scope="module")
def shipped():
    from desktop_app.core.models.classifier import Classifier
    from desktop_app.core.find.encoder import Encoder, encoder_path_for
    from desktop_app.core.models.generator import Generator

    gen = Generator.from_path(MODELS / "generator.onnx")
    yield gen, Encoder.from_path(encoder_path_for(gen.path), generator=gen), \
        Classifier.from_path(MODELS / "classifier.onnx"), Classifier.from_path(MODELS / "reader.onnx")
    gen.close()


@pytest.fixture(scope="module")
def heldout_scores(shipped):
    """(digit agreement, identification) of SUBSET held-out digits after STEPS_IN_400_MS steps."""
    from desktop_app.core.find.inversion import find_latent

    gen, enc, clf, reader = shipped
    images, labels, _ = heldout_digits("heldout", SUBSET)
    redrawn = np.stack([find_latent(gen, enc, img, refine_ms=1e9, max_steps=STEPS_IN_400_MS,
                                    classifier=clf, reader=reader).reconstruction for img in images])
    agreement = float(np.mean(np.argmax(clf.probs(redrawn), 1) == labels))
    flat_in, flat_out = images.reshape(SUBSET, -1), redrawn.reshape(SUBSET, -1)
    d2 = ((flat_out ** 2).sum(1)[:, None] - 2 * flat_out @ flat_in.T + (flat_in ** 2).sum(1)[None])
    return agreement, float(np.mean(d2.argmin(1) == np.arange(SUBSET)))


@pytest.mark.slow
def test_held_out_digits_are_redrawn_as_themselves(heldout_scores):
    """A user's typed, inked or photographed digit comes back as the same digit (the
    classifier's reading) and as the closest of the set to what they gave (identification):
    at least what the search reaches today (0.995 and 0.985 on these 200), well above the
    product's floor of 95 % for both."""
    agreement, identified = heldout_scores
    assert agreement >= 0.985 and identified >= 0.975, (agreement, identified)


@pytest.mark.slow
def test_without_the_classifier_the_answer_never_draws_worse_than_the_encoder(shipped):
    from desktop_app.core.find.inversion import find_latent

    gen, enc, _, _ = shipped
    images, _, _ = heldout_digits("heldout", 10)
    for img in images:
        found = find_latent(gen, enc, img, refine_ms=1e9, max_steps=30)
        assert found.error <= found.error_before and found.steps == 30
