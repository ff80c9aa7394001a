"""Retrain on your own digits, end to end: train one short epoch, export, and the app loads it.

Each case runs the real command line (`python -m training train`, `export`) and the app's
`--self-test` on the export, as a user would; the CLI's recipes and help are checked here too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO_ROOT
from tests.training.test_own_data import class_folders, draw_digit

TINY = ["--width", "4", "--latent-dim", "8", "--batch-size", "8", "--epochs", "1", "--estimate-every", "0",
        "--precision", "float32"]


def _run(*args, settings: Path | None = None, timeout=600) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    if settings is not None:  # the app's settings in the test's folder, never the user's
        env["DIGIT_STUDIO_SETTINGS"] = str(settings)
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


def _train_export_and_load(tmp_path: Path, data: Path, *train_args: str) -> dict:
    run, model = tmp_path / "run", tmp_path / "models" / "mine.onnx"
    proc = _run("-m", "training", "train", "--data", str(data), "--out", str(run), *TINY, *train_args)
    assert proc.returncode == 0, proc.stderr[-2000:]
    proc = _run("-m", "training", "export", str(run), "--out", str(model))
    assert proc.returncode == 0, proc.stderr[-2000:]
    proc = _run("-m", "desktop_app", str(model), "--self-test", settings=tmp_path / "settings.ini")
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["ok"] is True, summary
    import onnx

    return {p.key: p.value for p in onnx.load(model).metadata_props}


@pytest.mark.slow
def test_class_folders_of_white_paper_scans_in_mixed_sizes_train_a_digit_model(tmp_path):
    data = class_folders(tmp_path / "my_digits", per_class=3)  # 48, 56 and 64 px, dark ink on white
    meta = _train_export_and_load(tmp_path, data, "--arch", "cdcgan")
    assert meta["dataset"] == "my_digits" and meta["num_classes"] == "10"


@pytest.mark.slow
def test_a_flat_folder_trains_the_label_free_model(tmp_path):
    data = tmp_path / "scans"
    data.mkdir()
    for i in range(40):
        draw_digit(data / f"{i:03d}.png", i % 10, size=40 + i % 3 * 10, paper=255 if i % 2 else 0,
                   ink=0 if i % 2 else 255)
    meta = _train_export_and_load(tmp_path, data, "--arch", "cdcgan", "--clusters", "3")
    assert meta["dataset"] == "scans" and meta["classes"] == "clusters" and meta["num_classes"] == "3"


@pytest.mark.slow
def test_an_npz_with_only_x_train_trains_label_free_and_says_what_it_held_out(tmp_path, mnist_dir):
    from training.data import load_mnist

    x = load_mnist(mnist_dir).train_images[:200]
    np.savez(tmp_path / "nolabels.npz", x_train=x)
    run, model = tmp_path / "run", tmp_path / "models" / "mine.onnx"
    proc = _run("-m", "training", "train", "--data", str(tmp_path / "nolabels.npz"), "--out", str(run), *TINY,
                "--arch", "cdcgan", "--clusters", "10")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "20 of its 200 images are held out" in proc.stdout
    assert _run("-m", "training", "export", str(run), "--out", str(model)).returncode == 0
    proc = _run("-m", "desktop_app", str(model), "--self-test", settings=tmp_path / "settings.ini")
    assert proc.returncode == 0 and json.loads(proc.stdout.strip().splitlines()[-1])["ok"] is True


def test_unlabelled_data_for_the_digit_model_is_one_sentence(tmp_path, capsys):
    from training.__main__ import main

    np.savez(tmp_path / "nolabels.npz", x_train=np.zeros((64, 28, 28), np.uint8))
    rc = main(["train", "--data", str(tmp_path / "nolabels.npz"), "--out", str(tmp_path / "r"), *TINY,
               "--arch", "cdcgan"])
    err = capsys.readouterr().err
    assert rc == 2 and "nolabels has no labels" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_fewer_images_than_one_batch_names_the_data(tmp_path, capsys):
    from training.__main__ import main

    data = class_folders(tmp_path / "few", per_class=1)
    rc = main(["train", "--data", str(data), "--out", str(tmp_path / "r"), "--arch", "cdcgan",
               "--batch-size", "64"])
    err = capsys.readouterr().err
    assert rc == 2 and "larger than the" in err and "few" in err


def test_the_quick_start_trains_exactly_the_shipped_recipe():
    """The README's quick start (a bare `train`) resolves to the config the shipped
    generator.onnx records, field for field, apart from where the data and run live."""
    import onnx

    from training.__main__ import build_parser, train_config

    readme = (REPO_ROOT / "README.md").read_text()
    line = next(ln for ln in readme.splitlines() if "python -m training train" in ln and "--resume" not in ln)
    argv = line.split("python -m training ", 1)[1].split("#")[0].split()
    cfg = train_config(build_parser().parse_args(argv)).resolved()
    shipped = json.loads({p.key: p.value for p in onnx.load(REPO_ROOT / "exported_models" / "generator.onnx")
                          .metadata_props}["config"])
    ours = json.loads(cfg.to_json())
    skip = {"data", "out", "steps_per_execution"}  # where, not what (steps per call are tiled per epoch)
    removed = {"cluster_temperature", "hard_critic", "soft_reals", "path_reg"}  # recorded off by older runs
    assert {k: v for k, v in shipped.items() if k not in skip | removed} == \
        {k: v for k, v in ours.items() if k in shipped and k not in skip}


def test_label_free_recipe_is_the_shipped_unconditional_models():
    import onnx

    from training.config import from_recipe

    shipped = json.loads({p.key: p.value for p in onnx.load(REPO_ROOT / "exported_models" / "unconditional.onnx")
                          .metadata_props}["config"])
    ours = json.loads(from_recipe("label-free", {}).resolved().to_json())
    for key in ("arch", "clusters", "cluster_space", "width", "precision", "epochs", "lr_decay_epochs", "ema",
                "seed", "batch_size", "lr", "beta_1", "latent_dim", "loss"):
        assert ours[key] == shipped[key], key


def test_help_names_every_default_and_abbreviations_are_refused(capsys):
    from training.__main__ import build_parser, main
    from training.config import TrainConfig

    train = next(a for a in build_parser()._subparsers._group_actions[0].choices.values() if a.prog.endswith("train"))
    helps = {a.dest: a.help for a in train._actions if a.dest in TrainConfig.__dataclass_fields__}
    assert set(helps) == set(TrainConfig.__dataclass_fields__)
    for name, text in helps.items():
        reason, default = text.split(" (default: ", 1)
        assert reason and default.rstrip(")"), name  # a reason, and what it defaults to
    assert "per architecture: mlp 256, dcgan 128, cdcgan 128" in helps["batch_size"]
    with pytest.raises(SystemExit) as refused:
        main(["train", "--epoch", "1"])  # an abbreviation of --epochs: trained one epoch before
    assert refused.value.code == 2 and "unrecognized arguments: --epoch" in capsys.readouterr().err


def test_config_replays_a_run_and_the_command_line_overrides_it(tmp_path):
    from training.__main__ import build_parser, train_config
    from training.config import ConfigError, from_recipe

    saved = from_recipe("default", {"seed": 7})
    (tmp_path / "config.json").write_text(saved.to_json())
    replay = train_config(build_parser().parse_args(["train", "--config", str(tmp_path / "config.json")]))
    assert replay == saved
    changed = train_config(build_parser().parse_args(["train", "--config", str(tmp_path / "config.json"),
                                                      "--epochs", "3", "--out", "runs/b"]))
    assert (changed.epochs, changed.out, changed.seed, changed.width) == (3, "runs/b", 7, 48)
    with pytest.raises(ConfigError, match="give one of them"):
        train_config(build_parser().parse_args(["train", "--config", str(tmp_path / "config.json"),
                                                "--recipe", "default"]))
    short = train_config(build_parser().parse_args(["train", "--recipe", "default", "--epochs", "6"]))
    assert short.lr_decay_epochs == 2  # a recipe decays the last third of whatever epochs it is given


def test_the_run_eta_counts_this_sessions_epochs():
    from training.callbacks import RunEta

    lines = []
    eta = RunEta(epochs=30, first_epoch=3, print_fn=lambda text, flush: lines.append(text))
    eta.on_train_begin()
    eta.on_epoch_begin(3)  # the first epoch of a resumed session: nothing measured yet
    eta._t0 -= 120  # two epochs took two minutes
    eta.on_epoch_begin(5)
    assert lines == ["run: 5 of 30 epochs done; about 25 min left for the run"]


def test_a_log_file_gets_plain_lines_not_a_redrawn_bar(monkeypatch):
    import io

    from training.train import progress_verbosity

    monkeypatch.setattr("sys.stdout", io.StringIO())  # not a terminal
    assert progress_verbosity(1) == 2 and progress_verbosity(0) == 0


def test_an_early_estimate_says_what_it_measures(capsys):
    """Epoch 1 of the shipped recipe: 468 steps at EMA 0.995 leave 10 % of the starting weights."""
    import types

    from training.monitoring import QualityEstimate

    cb = QualityEstimate(REPO_ROOT / "exported_models" / "classifier.onnx", np.zeros((4, 28, 28), np.uint8), 8,
                         False, 10, n=4)
    cb.set_model(types.SimpleNamespace(ema_decay=0.995))
    cb.set_params({"steps": 468, "epochs": 30})
    cb._say_what_it_measures(0, {"fid_estimate": 728.0})
    assert "still holds 10% of its random starting weights" in capsys.readouterr().out
    cb._say_what_it_measures(4, {"fid_estimate": 12.0})  # 2,340 steps: 0.001 % left, nothing to say
    assert capsys.readouterr().out == ""


def test_tensorflows_banners_are_dropped_and_everything_else_passes(tmp_path):
    code = ("import os, sys\nfrom training.quiet import filtered_stderr\n"
            "with filtered_stderr():\n"
            "    os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n')\n"
            "    os.write(2, b'I0000 00:00:1 1 cudart_stub.cc:31] Could not find cuda drivers on your machine\\n')\n"
            "    os.write(2, b'E0000 00:00:1 1 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT\\n')\n"
            "    print('digit-train: error: a real one', file=sys.stderr)\n"
            "    os.write(2, b'a partial last line')\n"
            "print('after', file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.stderr == "digit-train: error: a real one\na partial last lineafter\n"
