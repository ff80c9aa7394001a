"""`python -m training evaluate` and `encoder` against hostile models and arguments: a
looping model, one whose output batch is capped at 4, one that draws -10000 for a pure
digit, a FIFO, a run folder, a negative seed, a `--generator` that is no generator. Each is
one sentence on stderr and exit code 2, in seconds, with nothing written."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.desktop_app import hostile_models as hm
from tests.desktop_app import onnx_models as om
from training.__main__ import main


def _refused(argv: list[str], capsys, *words: str) -> str:
    started = time.monotonic()
    try:
        code = main(argv)
    except SystemExit as stop:  # refused by argparse, before any work
        code = stop.code
    assert code == 2
    assert time.monotonic() - started < 30
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    return err


@pytest.fixture
def models(tmp_path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    om.save(hm.loop_generator(), folder / "loop.onnx")
    om.save(hm.capped_generator(4), folder / "capped.onnx")
    om.save(hm.bad_class_generator(5, "negative"), folder / "negative_five.onnx")
    om.save(om.generator_model(8), folder / "generator.onnx")
    om.save(om.classifier_model(), folder / "classifier.onnx")
    return folder


@pytest.mark.slow  # waits out the whole 5 s probe deadline; the test below waits a shorter one
@pytest.mark.timeout(60)
def test_evaluate_refuses_a_looping_model_within_its_probe_deadline(models, capsys):
    _refused(["evaluate", str(models / "loop.onnx"), "--classifier", str(models / "classifier.onnx")],
             capsys, "loop.onnx", "did not finish 1 sample within 5 s")
    assert not (models / "loop.eval.json").exists()


@pytest.mark.timeout(60)
def test_evaluate_refuses_a_looping_model_once_a_shortened_probe_deadline_passes(models, capsys,
                                                                                monkeypatch):
    import training.evaluate

    monkeypatch.setattr(training.evaluate, "PROBE_S", 0.5)
    _refused(["evaluate", str(models / "loop.onnx"), "--classifier", str(models / "classifier.onnx")],
             capsys, "loop.onnx", "did not finish 1 sample within 0.5 s")
    assert not (models / "loop.eval.json").exists()


@pytest.mark.timeout(60)
def test_evaluate_refuses_an_output_batch_capped_at_four(models, capsys):
    _refused(["evaluate", str(models / "capped.onnx"), "--classifier", str(models / "classifier.onnx")],
             capsys, "capped.onnx", "(4, 28, 28) for 500 samples")


@pytest.mark.timeout(60)
def test_evaluate_refuses_a_generator_drawing_outside_zero_to_one(models, capsys):
    _refused(["evaluate", str(models / "negative_five.onnx"), "--classifier",
              str(models / "classifier.onnx")], capsys, "negative_five.onnx", "outside the contract's [0, 1]")


@pytest.mark.timeout(60)
def test_evaluate_says_what_a_fifo_or_a_run_folder_is(tmp_path, capsys):
    fifo = tmp_path / "model.onnx"
    os.mkfifo(fifo)
    err = _refused(["evaluate", str(fifo)], capsys, "named pipe (FIFO)")
    assert "no such" not in err
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    _refused(["evaluate", str(run)], capsys, "training run folder",
             f"python -m training export {run} --out run.onnx")
    folder = tmp_path / "plain"
    folder.mkdir()
    _refused(["evaluate", str(folder)], capsys, "is a folder, not a model file")


@pytest.mark.parametrize("seed", ["-1", "99999999999"])
def test_evaluate_refuses_a_seed_numpy_cannot_take(models, capsys, seed):
    _refused(["evaluate", str(models / "generator.onnx"), "--seed", seed], capsys, "--seed")


@pytest.mark.parametrize("argv", [["--seed", "-1"], ["--generator", "../../etc/passwd"],
                                  ["--generator", "../../etc/passwd.onnx"]])
def test_encoder_refuses_a_bad_seed_or_generator_before_any_work(tmp_path, capsys, argv):
    _refused(["encoder", str(tmp_path / "run"), "--out", str(tmp_path / "g.encoder.onnx"), *argv],
             capsys, argv[0])
    assert list(tmp_path.iterdir()) == []


def test_encoder_generator_beside_out_must_be_a_contract_generator(models, tmp_path, capsys):
    # --generator NAME.onnx is the metadata's `generator`; a file of that name beside --out
    # is the generator the encoder will be loaded with, so it must be one.
    _refused(["encoder", str(tmp_path / "run"), "--out", str(models / "x.encoder.onnx"),
              "--generator", "classifier.onnx"], capsys, "is not a generator model", "kind 'classifier'")
    from training.encoder import generator_name

    assert generator_name("generator.onnx", models / "x.encoder.onnx") == "generator.onnx"
    assert generator_name("later.onnx", tmp_path / "x.encoder.onnx") == "later.onnx"
