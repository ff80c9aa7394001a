"""The models that ship in exported_models/: present, within the contract, and as good as claimed.

These read only the ONNX files (ONNX Runtime, no TensorFlow), so they run in seconds. The
full N = 10,000 evaluation that the README quotes is `python -m training evaluate`; here a
smaller sample checks the same claims with some slack for sampling noise.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from desktop_app.core.classifier import Classifier
from desktop_app.core.generator import Generator
from exported_models import CLASSIFIER, CONDITIONAL_GENERATOR, DEFAULT_GENERATOR, MODELS_DIR
from training.data import load_mnist

N = 2000


@pytest.fixture(scope="module")
def classifier():
    return Classifier.from_path(CLASSIFIER)


def _sample(gen: Generator, n: int, labels=None) -> np.ndarray:
    z = np.random.default_rng(123).standard_normal((n, gen.latent_dim)).astype(np.float32)
    return np.concatenate([gen.generate(z[i:i + 500], None if labels is None else labels[i:i + 500])
                           for i in range(0, n, 500)])


def test_each_shipped_model_is_small_and_documented():
    readme = (MODELS_DIR / "README.md").read_text()
    for path in (DEFAULT_GENERATOR, CONDITIONAL_GENERATOR, CLASSIFIER, MODELS_DIR / "dcgan.onnx"):
        assert path.stat().st_size < 8 * 2**20, f"{path.name} is larger than a few MB"
        assert path.name in readme
        assert "python -m training" in readme


def test_classifier_is_at_least_99_percent_accurate(classifier, mnist_dir):
    test = load_mnist(mnist_dir)
    probs = classifier.probs(test.test_images.astype(np.float32) / 255)
    assert np.mean(np.argmax(probs, 1) == test.test_labels) >= 0.99


def test_default_generator_draws_every_digit_in_fair_shares(classifier):
    gen = Generator.from_path(DEFAULT_GENERATOR)
    assert not gen.conditional and gen.latent_dim == 100
    probs = classifier.probs(_sample(gen, N))
    shares = np.bincount(np.argmax(probs, 1), minlength=10) / N
    assert shares.min() >= 0.06 and shares.max() <= 0.14, shares  # 7-13% at N=10,000, README
    assert np.mean(probs.max(1)) > 0.9  # the classifier is sure what it sees: digits, not blobs


def test_conditional_generator_draws_the_requested_digit(classifier):
    gen = Generator.from_path(CONDITIONAL_GENERATOR)
    assert gen.conditional
    labels = np.arange(N) % 10
    probs = classifier.probs(_sample(gen, N, labels))
    assert np.mean(np.argmax(probs, 1) == labels) >= 0.95


def test_metadata_carries_the_evaluation(classifier):
    for path in (DEFAULT_GENERATOR, CONDITIONAL_GENERATOR, MODELS_DIR / "dcgan.onnx"):
        metrics = Generator.from_path(path).info.metrics
        assert metrics and {"fid", "fid_real_floor", "inception_score", "class_shares"} <= set(metrics)
    assert classifier.info.metrics["test_accuracy"] >= 0.99
    assert json.loads(json.dumps(classifier.info.metrics))  # plain JSON, nothing else
