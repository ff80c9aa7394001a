"""`python -m training encoder`: an encoder for a run's generator, exported under the
contract (docs/model-contract.md, "Encoders") and loadable by the app beside its generator.

The generators are the tiny one-epoch runs of `exported_tiny`; the encoders train a few
hundred steps on the fake digits of `tiny_mnist`.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import onnxruntime as ort
import pytest

from training.encoder import EncoderConfig, train_encoder

from desktop_app.core.models.contract import ContractError
from desktop_app.core.find.encoder import Encoder
from desktop_app.core.models.generator import Generator

pytestmark = pytest.mark.slow  # every test here trains an encoder for a trained generator

QUICK = EncoderConfig(epochs=12, batch_size=32)  # 16 steps an epoch on 512 fake digits


def _session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _reconstruction_errors(gen: ort.InferenceSession, enc: ort.InferenceSession, latent_dim: int,
                           conditional: bool, n: int = 128, num_classes: int = 10):
    """(pixel MSE of G(E(G(z))) against G(z), pixel MSE of G(random z) against G(z))."""
    rng = np.random.default_rng(7)
    z = rng.standard_normal((n, latent_dim)).astype(np.float32)
    feeds = {"z": z}
    if conditional:
        feeds["class_weights"] = np.eye(num_classes, dtype=np.float32)[rng.integers(0, num_classes, n)]
    target = gen.run(["image"], feeds)[0]
    encoded = enc.run(None, {"image": target})
    back = {"z": encoded[0]}
    if conditional:
        back["class_weights"] = encoded[1]
    mse_encoded = float(np.mean((gen.run(["image"], back)[0] - target) ** 2))
    feeds["z"] = rng.standard_normal((n, latent_dim)).astype(np.float32)
    mse_random = float(np.mean((gen.run(["image"], feeds)[0] - target) ** 2))
    return mse_encoded, mse_random


def test_a_conditional_runs_encoder_finds_z_and_the_digit(exported_tiny, tiny_mnist, tmp_path):
    out = train_encoder(exported_tiny["conditional_run"], tmp_path / "cdcgan.encoder.onnx", QUICK,
                        data=tiny_mnist, verbose=0)
    enc = _session(out)
    assert [(i.name, i.shape[1:], i.type) for i in enc.get_inputs()] == [("image", [28, 28], "tensor(float)")]
    assert [(o.name, o.shape[1]) for o in enc.get_outputs()] == [("z", 12), ("class_weights", 10)]
    meta = dict(enc.get_modelmeta().custom_metadata_map)
    assert meta["kind"] == "encoder" and meta["contract_version"] == "2"
    assert meta["generator"] == "cdcgan.onnx" and meta["latent_dim"] == "12" and meta["num_classes"] == "10"
    assert json.loads(meta["config"])["generator_config"]["arch"] == "cdcgan"
    assert json.loads(meta["metrics"])["pixel_mse_test"] >= 0

    gen = _session(exported_tiny["conditional"])
    z, w = enc.run(None, {"image": np.random.default_rng(0).uniform(0, 1, (5, 28, 28)).astype(np.float32)})
    assert np.allclose(w.sum(1), 1, atol=1e-5) and (w >= 0).all()
    mse_encoded, mse_random = _reconstruction_errors(gen, enc, 12, conditional=True)
    assert mse_encoded < 0.25 * mse_random, (mse_encoded, mse_random)

    # The app's side of the contract: it loads the pair, and only as a pair.
    app_gen = Generator.from_path(exported_tiny["conditional"])
    try:
        assert Encoder.from_path(out, generator=app_gen).conditional
    finally:
        app_gen.close()
    lone = Generator.from_path(exported_tiny["unconditional"])
    try:
        with pytest.raises(ContractError, match="made for the generator 'cdcgan.onnx'"):
            Encoder.from_path(out, generator=lone)
    finally:
        lone.close()


def test_an_unconditional_runs_encoder_finds_z_only(exported_tiny, tiny_mnist, tmp_path):
    out = train_encoder(exported_tiny["unconditional_run"], tmp_path / "mlp.encoder.onnx", QUICK,
                        data=tiny_mnist, verbose=0)
    enc = _session(out)
    assert [o.name for o in enc.get_outputs()] == ["z"]
    meta = dict(enc.get_modelmeta().custom_metadata_map)
    assert (meta["generator"], meta["num_classes"], meta["latent_dim"]) == ("mlp.onnx", "0", "12")
    mse_encoded, mse_random = _reconstruction_errors(_session(exported_tiny["unconditional"]), enc, 12,
                                                     conditional=False)
    assert mse_encoded < 0.25 * mse_random, (mse_encoded, mse_random)
    app_gen = Generator.from_path(exported_tiny["unconditional"])
    try:
        assert not Encoder.from_path(out, generator=app_gen).conditional
    finally:
        app_gen.close()


@pytest.fixture
def cluster_run(tiny_mnist, tmp_path):
    from training.config import TrainConfig
    from training.train import train

    return train(TrainConfig(arch="cdcgan", clusters=4, width=8, latent_dim=16, epochs=1, batch_size=64,
                             data=str(tiny_mnist), out=str(tmp_path / "sc")), verbose=0)


def test_a_self_conditioned_runs_encoder_maps_to_z_through_the_z_only_export(cluster_run, tiny_mnist, tmp_path):
    from training.export import export_run

    gen_path = export_run(cluster_run, tmp_path / "selfcond.onnx", cluster_temperature=3.0)
    out = train_encoder(cluster_run, tmp_path / "selfcond.encoder.onnx",
                        dataclasses.replace(QUICK, cluster_temperature=3.0), data=tiny_mnist, verbose=0)
    enc = _session(out)
    assert [(o.name, o.shape[1]) for o in enc.get_outputs()] == [("z", 16)]
    assert dict(enc.get_modelmeta().custom_metadata_map)["num_classes"] == "0"
    mse_encoded, mse_random = _reconstruction_errors(_session(gen_path), enc, 16, conditional=False)
    assert mse_encoded < 0.25 * mse_random, (mse_encoded, mse_random)


def test_a_cluster_generators_encoder_finds_z_and_the_cluster(cluster_run, tiny_mnist, tmp_path):
    """Exported with its class input, a self-conditioned run's encoder outputs k cluster
    weights and carries the generator's cluster keys (the app checks them against it)."""
    from training.export import export_run

    gen_path = export_run(cluster_run, tmp_path / "clusters.onnx")
    out = train_encoder(cluster_run, tmp_path / "clusters.encoder.onnx", QUICK, data=tiny_mnist, verbose=0)
    enc, gen = _session(out), _session(gen_path)
    assert [(o.name, o.shape[1]) for o in enc.get_outputs()] == [("z", 16), ("class_weights", 4)]
    enc_meta = dict(enc.get_modelmeta().custom_metadata_map)
    gen_meta = dict(gen.get_modelmeta().custom_metadata_map)
    for key in ("num_classes", "classes", "class_priors"):
        assert enc_meta[key] == gen_meta[key]
    assert enc_meta["classes"] == "clusters" and enc_meta["num_classes"] == "4"
    metrics = json.loads(enc_meta["metrics"])
    assert "digit_accuracy_test" not in metrics and metrics["pixel_mse_test"] < 0.2  # no label names a cluster
    image = np.random.default_rng(0).uniform(0, 1, (8, 28, 28)).astype(np.float32)
    w = enc.run(["class_weights"], {"image": image})[0]
    np.testing.assert_allclose(w.sum(1), 1.0, atol=1e-5)
    mse_encoded, mse_random = _reconstruction_errors(gen, enc, 16, conditional=True, num_classes=4)
    assert mse_encoded < 0.5 * mse_random, (mse_encoded, mse_random)


def test_the_command_line_names_its_errors_in_one_line(exported_tiny, tmp_path, capsys):
    from training.__main__ import main

    assert main(["encoder", str(tmp_path), "--out", str(tmp_path / "x.encoder.onnx")]) == 2
    assert "not a run folder" in capsys.readouterr().err
    assert main(["encoder", str(exported_tiny["conditional_run"]), "--out", str(tmp_path / "enc.onnx")]) == 2
    err = capsys.readouterr().err
    assert "GENERATOR.encoder.onnx" in err and err.count("\n") == 1
    assert not (tmp_path / "enc.onnx").exists()
