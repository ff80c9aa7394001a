"""Architectures: the reference recipe is pinned; every generator speaks the same shapes."""

from __future__ import annotations

import numpy as np
import pytest

from training.config import ARCH_NAMES, ConfigError, TrainConfig
from training.models import ARCHITECTURES


def test_registry_and_config_agree():
    assert tuple(ARCHITECTURES) == ARCH_NAMES


def test_reference_mlp_layers_and_parameter_counts():
    g = ARCHITECTURES["mlp"].build_generator(100, 0)
    d = ARCHITECTURES["mlp"].build_discriminator(0, False)
    dense_g = [(l.units, l.use_bias) for l in g.layers if l.__class__.__name__ == "Dense"]
    assert dense_g == [(256, False), (512, False), (784, False)]
    assert g.output_shape == (None, 28, 28, 1)
    assert g.count_params() == 100 * 256 + 4 * 256 + 256 * 512 + 4 * 512 + 512 * 784 == 561_152
    dense_d = [(l.units, l.use_bias) for l in d.layers if l.__class__.__name__ == "Dense"]
    assert dense_d == [(512, False), (256, False), (1, True)]
    assert d.count_params() == 784 * 512 + 4 * 512 + 512 * 256 + 4 * 256 + 257 == 535_809
    assert d.layers[-1].activation.__name__ == "sigmoid"


def test_reference_recipe_defaults():
    cfg = TrainConfig(arch="mlp").resolved()
    assert (cfg.batch_size, cfg.lr, cfg.beta_1, cfg.latent_dim, cfg.ema) == (256, 1e-4, 0.9, 100, 0.0)


@pytest.mark.parametrize("arch", ARCH_NAMES)
def test_generators_draw_28x28_images_in_tanh_range(arch):
    spec = ARCHITECTURES[arch]
    g = spec.build_generator(16, 8)
    z = np.random.default_rng(0).standard_normal((5, 16)).astype("float32")
    inputs = [z, np.eye(10, dtype="float32")[:5]] if spec.conditional else z
    img = np.asarray(g(inputs, training=False))
    assert img.shape == (5, 28, 28, 1) and img.min() >= -1 and img.max() <= 1
    d = spec.build_discriminator(8, arch == "dcgan")
    out = np.asarray(d([img, np.eye(10, dtype="float32")[:5]] if spec.conditional else img))
    assert out.shape == (5, 1)


def test_conditional_generator_embeds_class_weights_linearly():
    from training.models import CLASS_EMBEDDING

    g = ARCHITECTURES["cdcgan"].build_generator(8, 8)
    z = np.zeros((3, 8), "float32")
    eye = np.eye(10, dtype="float32")
    w = np.stack([eye[1], eye[7], 0.25 * eye[1] + 0.75 * eye[7]])
    a, b, _ = np.asarray(g([z, w]))
    assert np.abs(a - b).max() > 1e-4  # the digit asked for changes the drawing
    layer = g.get_layer(CLASS_EMBEDDING)
    assert not layer.use_bias  # so the embedding of a blend is the blend of embeddings
    e = layer.kernel.numpy()
    np.testing.assert_allclose(np.asarray(layer(w[2:])), (0.25 * e[1] + 0.75 * e[7])[None], atol=1e-6)


def test_minibatch_stddev_lets_the_discriminator_see_a_collapsed_batch():
    from training.models import MinibatchStddev

    layer = MinibatchStddev()
    same = np.ones((4, 3, 3, 2), "float32")
    varied = np.random.default_rng(0).standard_normal((4, 3, 3, 2)).astype("float32")
    out_same, out_varied = np.asarray(layer(same)), np.asarray(layer(varied))
    assert out_same.shape == (4, 3, 3, 3)
    np.testing.assert_allclose(out_same[..., :2], same)  # features pass through unchanged
    assert out_same[..., 2].max() < 1e-3 < out_varied[..., 2].min()  # ... plus the batch's spread


@pytest.mark.parametrize("kw, needle", [
    (dict(epochs="3"), "--epochs expects int"),
    (dict(lr=2), "--lr must be between 0 and 1"),
    (dict(resume="yes"), "--resume expects bool"),
    (dict(batch_size=0), "--batch-size must be at least 1"),
    (dict(width=0), "--width must be between 1 and 1024"),
    (dict(precision="fp8"), "--precision must be one of auto, float32, bf16"),
])
def test_config_rejects_bad_values(kw, needle):
    with pytest.raises(ConfigError, match=needle):
        TrainConfig(**kw)


def test_config_rejects_unknown_keys_and_round_trips(tmp_path):
    with pytest.raises(ConfigError, match="unknown config key"):
        TrainConfig.from_dict({"epochs": 3, "learning_rate": 0.1})
    cfg = TrainConfig(arch="cdcgan", epochs=7).resolved()
    (tmp_path / "c.json").write_text(cfg.to_json())
    assert TrainConfig.load(tmp_path / "c.json") == cfg


@pytest.mark.parametrize("arch", ARCH_NAMES)
def test_checkpoint_keys_name_variables_not_positions(arch, tmp_path):
    """Keys survive whatever else the process built first, and a checkpoint restores by name."""
    from training import checkpoint
    from training.train import build_gan

    cfg = TrainConfig(arch=arch, width=4, minibatch_stddev=arch == "dcgan", latent_dim=8).resolved()
    first, second = build_gan(cfg), build_gan(cfg)  # the second gets Keras' auto-numbered names
    keys = set(first.state_variables())
    assert keys == set(second.state_variables())
    assert all("/" in k and not k.split("/")[-1].isdigit() for k in keys)
    assert len(keys) == len(first.legacy_state_variables())  # every variable, each once
    rng = np.random.default_rng(0)
    for v in first.state_variables().values():
        if "float" in str(v.dtype):  # distinct values everywhere, so a mix-up would show
            v.assign(rng.standard_normal(v.shape).astype("float32"))
    checkpoint.save(tmp_path, first.state_variables(), 1)
    arrays, _ = checkpoint.read(tmp_path)
    checkpoint.restore(second.state_variables(), arrays, tmp_path)
    for k, v in second.state_variables().items():
        np.testing.assert_array_equal(v.numpy(), first.state_variables()[k].numpy(), err_msg=k)
    renamed = {("g/renamed/kernel" if k == next(iter(arrays)) else k): a for k, a in arrays.items()}
    with pytest.raises(checkpoint.CheckpointError, match="does not fit this model"):
        checkpoint.restore(second.state_variables(), renamed, tmp_path)
