"""Training levers: the learning-rate decay window, the best checkpoint, the hinge loss,
the discriminator's width, and the levers that were removed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from training.config import ConfigError, TrainConfig, lr_factor


def test_decay_window_steps_down_to_a_positive_rate():
    assert [lr_factor(e, 6, 0) for e in range(1, 7)] == [1.0] * 6
    assert [lr_factor(e, 6, 4) for e in range(1, 7)] == pytest.approx([1, 1, 4 / 5, 3 / 5, 2 / 5, 1 / 5])
    assert lr_factor(1, 1, 1) == 0.5  # a one-epoch run that decays still learns


def test_decay_window_longer_than_the_run_is_refused():
    with pytest.raises(ConfigError, match="--lr-decay-epochs"):
        TrainConfig(epochs=5, lr_decay_epochs=6)


@pytest.mark.slow
def test_run_logs_the_decayed_rates_and_a_resume_keeps_the_trained_epochs_rates(tiny_mnist, tmp_path):
    from training import checkpoint
    from training.train import train

    def cfg(**kw):
        return TrainConfig(**{**dict(arch="mlp", batch_size=64, data=str(tiny_mnist), out=str(tmp_path / "r"),
                                     estimate_every=0), **kw})

    run = train(cfg(epochs=3, lr_decay_epochs=2), verbose=0)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["lr"] for r in rows] == pytest.approx([1e-4, 2e-4 / 3, 1e-4 / 3])
    arrays, _ = checkpoint.read(run)
    assert float(arrays["g_opt/learning_rate"]) == pytest.approx(1e-4 / 3)
    assert float(arrays["d_opt/learning_rate"]) == pytest.approx(1e-4 / 3)
    # Extending it would re-rate epochs 2 and 3, which were trained decayed: refused.
    with pytest.raises(ConfigError, match="learning rate of epoch 2, which this run has already trained"):
        train(cfg(epochs=6, lr_decay_epochs=3, resume=True), verbose=0)
    # A decay window added after the epochs already trained keeps their rates: accepted.
    plain = cfg(epochs=1, out=str(tmp_path / "plain"))
    train(plain, verbose=0)
    train(cfg(epochs=3, lr_decay_epochs=2, resume=True, out=plain.out), verbose=0)
    rows = [json.loads(line) for line in (tmp_path / "plain" / "metrics.jsonl").read_text().splitlines()]
    assert rows[0]["lr"] == pytest.approx(1e-4)  # the constant rate is logged too
    assert [r["lr"] for r in rows[1:]] == pytest.approx([2e-4 / 3, 1e-4 / 3])


@pytest.mark.slow
def test_best_checkpoint_follows_the_lowest_estimate_and_exports(tiny_mnist, tmp_path, monkeypatch):
    """`export --best` ships the epoch the run measured best, not merely the last one."""
    import onnx

    from training import checkpoint
    from training.export import export_run
    from training.monitoring import QualityEstimate
    from training.train import train

    estimates = iter([50.0, 20.0, 30.0])  # epoch 2 is the best; epoch 3 is worse

    def fake_estimate(self, epoch, logs=None):
        logs["fid_estimate"] = next(estimates)

    monkeypatch.setattr(QualityEstimate, "on_epoch_end", fake_estimate)
    run = train(TrainConfig(arch="mlp", batch_size=64, epochs=3, data=str(tiny_mnist), out=str(tmp_path / "r")),
                verbose=0)
    assert json.loads((run / "best.json").read_text()) == {"epoch": 2, "fid_estimate": 20.0}
    _, best_epoch = checkpoint.read(run, checkpoint.BEST_NAME)
    _, last_epoch = checkpoint.read(run)
    assert (best_epoch, last_epoch) == (2, 3)
    meta = {p.key: p.value for p in onnx.load(export_run(run, tmp_path / "best.onnx", best=True)).metadata_props}
    assert meta["epochs"] == "2"
    # Resumed, the run keeps its record: a worse epoch does not replace the best.
    estimates = iter([25.0, 10.0])
    train(TrainConfig(arch="mlp", batch_size=64, epochs=5, data=str(tiny_mnist), out=str(tmp_path / "r"),
                      resume=True), verbose=0)
    assert json.loads((run / "best.json").read_text())["epoch"] == 5


def test_export_best_without_estimates_says_why(tmp_path):
    from training.checkpoint import BEST_NAME, CheckpointError, read

    with pytest.raises(CheckpointError, match="--estimate-every"):
        read(tmp_path, BEST_NAME)


def test_hinge_loss_has_its_margins_and_refuses_a_sigmoid_discriminator():
    import tensorflow as tf

    from training.train import build_gan

    gan = build_gan(TrainConfig(arch="cdcgan", loss="hinge", width=4, latent_dim=8).resolved())
    real, fake = tf.constant([[2.0], [0.5]]), tf.constant([[-2.0], [0.0]])
    g_loss, d_loss = gan.gan_losses(real, fake)
    # D: real scores past +1 and fake scores past -1 cost nothing; 0.5 and 0.0 cost 0.5 and 1.
    assert float(d_loss) == pytest.approx((0 + 0.5) / 2 + (0 + 1.0) / 2)
    assert float(g_loss) == pytest.approx(1.0)  # G: minus the mean fake score
    with pytest.raises(ConfigError, match="hinge"):
        TrainConfig(arch="mlp", loss="hinge")
    with pytest.raises(ConfigError, match="--loss"):
        TrainConfig(loss="wasserstein")


@pytest.mark.slow
def test_hinge_run_trains_resumes_and_exports(tiny_mnist, tmp_path):
    from training.export import export_run
    from training.train import train

    cfg = dict(arch="cdcgan", loss="hinge", width=8, latent_dim=16, batch_size=64, data=str(tiny_mnist),
               out=str(tmp_path / "h"), estimate_every=0)
    train(TrainConfig(epochs=1, **cfg), verbose=0)
    with pytest.raises(ConfigError, match="loss"):  # the loss is part of the recipe
        train(TrainConfig(epochs=2, resume=True, **{**cfg, "loss": "bce"}), verbose=0)
    run = train(TrainConfig(epochs=2, resume=True, **cfg), verbose=0)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert all(np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"]) for r in rows)
    assert 0 <= rows[-1]["d_loss"] < 4  # a hinge D loss: non-negative, 2 at chance
    assert export_run(run, tmp_path / "h.onnx").is_file()


def test_discriminator_width_is_its_own_and_stays_out_of_the_export():
    from training.train import build_gan

    gan = build_gan(TrainConfig(arch="cdcgan", width=4, d_width=12, latent_dim=8).resolved())
    assert gan.discriminator.get_layer("down14").filters == 12
    assert gan.discriminator.get_layer("down7").filters == 24
    assert gan.generator.get_layer("up14").filters == 4  # the generator keeps --width
    with pytest.raises(ConfigError, match="--d-width"):
        TrainConfig(d_width=0)


@pytest.mark.parametrize("key, off, on", [("cluster_temperature", 0.0, 4.0), ("hard_critic", False, True),
                                          ("soft_reals", False, True), ("path_reg", 0.0, 2.0)])
def test_a_run_that_recorded_a_removed_option_loads_only_if_it_was_off(tmp_path, key, off, on):
    """Run folders of earlier releases record the removed levers: switched off they load as
    before; switched on, the run is refused with where to find the release that had them."""
    saved = json.loads(TrainConfig(arch="cdcgan", clusters=5).to_json())
    (tmp_path / "off.json").write_text(json.dumps({**saved, key: off}))
    assert TrainConfig.load(tmp_path / "off.json") == TrainConfig(arch="cdcgan", clusters=5)
    (tmp_path / "on.json").write_text(json.dumps({**saved, key: on}))
    with pytest.raises(ConfigError, match=f"--{key.replace('_', '-')}.*docs/results.md"):
        TrainConfig.load(tmp_path / "on.json")
