"""Watching a run: TensorBoard events, the per-epoch quality estimate, `python -m training plot`."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import make_tiny_mnist
from training import checkpoint
from training.__main__ import main
from training.config import ConfigError, TrainConfig
from training.train import train

SCALARS = {"d_loss", "g_loss", "d_real", "d_fake", "seconds", "lr", "fid_estimate", "is_estimate"}  # lr: every run


def _cfg(data, out, **kw):
    base = dict(arch="cdcgan", epochs=1, data=str(data), out=str(out), batch_size=64, width=8,
                latent_dim=12, steps_per_execution=2, seed=3)
    base.update(kw)
    return TrainConfig(**base)


def _events(run_dir: Path) -> list[tuple[int, str, object]]:
    """(step, tag, value) of every summary in RUN/tensorboard; value: float, or the image as an array."""
    import tensorflow as tf
    import io

    from PIL import Image

    out = []
    for path in sorted((run_dir / "tensorboard").glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for v in event.summary.value:
                if v.metadata.plugin_data.plugin_name == "images":
                    # tf.summary.image stores [width, height, png...] as a string tensor.
                    png = tf.make_ndarray(v.tensor)[2]
                    out.append((event.step, v.tag, np.asarray(Image.open(io.BytesIO(png)))))
                else:
                    out.append((event.step, v.tag, float(tf.make_ndarray(v.tensor))))
    return out


def _rows(run_dir: Path) -> list[dict]:
    return [json.loads(ln) for ln in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def one_epoch(tmp_path_factory) -> Path:
    """A tiny conditional run, one epoch, estimates on (the default)."""
    root = tmp_path_factory.mktemp("monitoring")
    data = make_tiny_mnist(root / "mnist")
    return train(_cfg(data, root / "run"), verbose=0)


@pytest.mark.slow
def test_one_epoch_leaves_tensorboard_scalars_and_the_sample_grid(one_epoch):
    events = _events(one_epoch)
    counts = Counter((step, tag) for step, tag, _ in events)
    assert set(counts) == {(1, tag) for tag in SCALARS | {"samples", "estimate_seconds"}}
    assert set(counts.values()) == {1}
    scalars = {tag: v for _, tag, v in events if tag != "samples"}
    row = _rows(one_epoch)[0]
    for tag in SCALARS:  # TensorBoard and metrics.jsonl tell the same story
        assert scalars[tag] == pytest.approx(row[tag], rel=1e-6), tag
    image = next(v for _, tag, v in events if tag == "samples")
    from PIL import Image

    with Image.open(one_epoch / "samples" / "epoch_0001.png") as png:
        np.testing.assert_array_equal(image[..., 0] if image.ndim == 3 else image, np.asarray(png))


def test_metrics_log_carries_the_estimates(one_epoch):
    (row,) = _rows(one_epoch)
    assert row["epoch"] == 1 and np.isfinite(row["fid_estimate"]) and row["fid_estimate"] > 0
    assert 1.0 <= row["is_estimate"] <= 10.0  # exp(KL) of a 10-way classifier
    assert row["seconds"] > 0 and row["estimate_seconds"] > 0


class _Replay:
    """A stand-in generator that draws given images (in [-1, 1]) and remembers the classes asked for."""

    def __init__(self, images01):
        self.images, self.drawn, self.asked = images01, 0, []

    def sample(self, z, labels=None):
        if labels is not None:
            self.asked.extend(np.asarray(labels).tolist())
        idx = np.arange(self.drawn, self.drawn + len(z)) % len(self.images)
        self.drawn += len(z)
        return (self.images[idx] * 2 - 1)[..., None]


def _estimate(model, test_images, conditional):
    from exported_models import CLASSIFIER
    from training.monitoring import QualityEstimate

    q = QualityEstimate(CLASSIFIER, test_images, latent_dim=4, conditional=conditional, num_classes=10)
    q.set_model(model)
    q.set_params({"epochs": 5})
    q.on_train_begin()
    logs = {}
    q.on_epoch_end(0, logs)
    return logs


def test_the_estimate_tells_real_digits_from_noise_and_asks_for_every_class_equally(mnist_dir):
    from training.data import load_mnist

    test = load_mnist(mnist_dir).test_images
    real = _Replay(test[2000:4000].astype(np.float32) / 255)  # other real digits than the reference
    noise = _Replay(np.random.default_rng(0).uniform(0, 1, (2000, 28, 28)).astype(np.float32))
    good, bad = _estimate(real, test, conditional=True), _estimate(noise, test, conditional=False)
    assert good["fid_estimate"] < 5 < 100 < bad["fid_estimate"]
    assert good["is_estimate"] > 8 > 2 > bad["is_estimate"]
    assert np.bincount(real.asked, minlength=10).tolist() == [200] * 10


def test_a_self_conditioned_runs_estimate_asks_for_clusters_by_their_priors():
    """Its export's samples draw clusters by their shares of the data; the estimate does too."""
    from exported_models import CLASSIFIER
    from training.monitoring import QualityEstimate

    test = np.zeros((10, 28, 28), np.uint8)
    q = QualityEstimate(CLASSIFIER, test, latent_dim=4, conditional=True, num_classes=4, n=2000,
                        class_priors=[0.5, 0.25, 0.15, 0.1])
    assert np.bincount(q.labels, minlength=4).tolist() == [1000, 500, 300, 200]


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["missing", "garbage"])
def test_an_unusable_classifier_is_one_warning_and_the_run_goes_on(tiny_mnist, tmp_path, monkeypatch, capfd, damage):
    clf = tmp_path / "classifier.onnx"
    if damage == "garbage":
        clf.write_bytes(b"not an onnx file")
    monkeypatch.setattr("exported_models.CLASSIFIER", clf)
    run = train(_cfg(tiny_mnist, tmp_path / "run", epochs=2), verbose=0)
    warnings = [ln for ln in capfd.readouterr().err.splitlines() if "warning" in ln]
    assert len(warnings) == 1 and str(clf) in warnings[0] and "without quality estimates" in warnings[0]
    assert [r["epoch"] for r in _rows(run)] == [1, 2]
    assert not any("fid_estimate" in r for r in _rows(run))
    assert checkpoint.read(run)[1] == 2


@pytest.mark.slow
def test_estimate_every_sets_the_cadence_and_zero_turns_it_off(tiny_mnist, tmp_path):
    run = train(_cfg(tiny_mnist, tmp_path / "every2", epochs=3, estimate_every=2), verbose=0)
    # Every second epoch, and the last one so a finished run always ends on a number.
    assert ["fid_estimate" in r for r in _rows(run)] == [False, True, True]
    off = train(_cfg(tiny_mnist, tmp_path / "off", estimate_every=0), verbose=0)
    assert "fid_estimate" not in _rows(off)[0]
    assert {tag for _, tag, _ in _events(off)} == SCALARS - {"fid_estimate", "is_estimate"} | {"samples"}
    with pytest.raises(ConfigError, match="--estimate-every"):
        TrainConfig(estimate_every=-1)


@pytest.mark.slow
def test_a_resumed_run_shows_each_epoch_once_in_tensorboard(tiny_mnist, tmp_path):
    run = tmp_path / "run"
    train(_cfg(tiny_mnist, run, estimate_every=0), verbose=0)
    epoch1 = (run / checkpoint.CHECKPOINT_NAME).read_bytes()
    train(_cfg(tiny_mnist, run, epochs=2, estimate_every=0, resume=True), verbose=0)
    # As if killed after epoch 2 reached TensorBoard but before its checkpoint landed.
    (run / checkpoint.CHECKPOINT_NAME).write_bytes(epoch1)
    train(_cfg(tiny_mnist, run, epochs=3, estimate_every=0, resume=True), verbose=0)

    counts = Counter((step, tag) for step, tag, _ in _events(run))
    assert sorted({step for step, _ in counts}) == [1, 2, 3]
    assert set(counts.values()) == {1}, [k for k, n in counts.items() if n > 1]
    assert {tag for _, tag in counts} == SCALARS - {"fid_estimate", "is_estimate"} | {"samples"}
    assert [r["epoch"] for r in _rows(run)] == [1, 2, 3]


def test_plot_draws_the_curves_of_a_run(one_epoch, tmp_path, capsys):
    from PIL import Image

    assert main(["plot", str(one_epoch)]) == 0
    assert str(one_epoch / "curves.png") in capsys.readouterr().out
    with Image.open(one_epoch / "curves.png") as im:
        assert im.format == "PNG" and 800 <= im.width <= 3000 and 250 <= im.height <= 1500
        assert len(set(np.asarray(im.convert("L")).ravel().tolist())) > 10  # drawn on, not blank
    out = tmp_path / "elsewhere" / "mine.png"
    assert main(["plot", str(one_epoch), "--out", str(out)]) == 0 and out.is_file()


def test_plot_of_a_run_without_estimates_still_draws(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    rows = [{"epoch": e, "d_loss": 1.3, "g_loss": 0.8, "d_real": 0.6, "d_fake": 0.4, "seconds": 2.0} for e in (1, 2, 3)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["plot", str(run)]) == 0 and (run / "curves.png").stat().st_size > 10_000


@pytest.mark.parametrize("make, needle", [
    (lambda d: None, "no such run folder"),
    (lambda d: d.mkdir(), "no metrics log"),
    (lambda d: (d.mkdir(), (d / "metrics.jsonl").write_text("")), "no epochs logged yet"),
    (lambda d: (d.mkdir(), (d / "metrics.jsonl").write_text('{"epoch": 1}\n{oops\n')), "line 2 is not JSON"),
    (lambda d: (d.mkdir(), (d / "metrics.jsonl").write_bytes(b"\xff\xfe\x00")), "cannot read"),
    (lambda d: (d.mkdir(), (d / "metrics.jsonl").write_text('[1, 2]\n')), "no integer epoch"),
])
def test_plot_refuses_bad_input_with_one_line_and_exit_2(tmp_path, capsys, make, needle):
    run = tmp_path / "run"
    make(run)
    assert main(["plot", str(run)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not (run / "curves.png").exists()
    shutil.rmtree(run, ignore_errors=True)
