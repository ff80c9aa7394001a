"""The run folder's names and the status line, as both sides rely on them.

Training writes what digit_contract/run_folder.py names and prints what status.py formats;
the app reads the same names and parses the same lines. A run of `python -m training
train --status json` read by the app's parser is in tests/desktop_app/test_training_panel.py
and tests/training/test_interrupt.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digit_contract import run_folder
from digit_contract.status import (KEY, VERSION, EpochDone, Failed, Finished, Interrupted, Started, format_status,
                                   parse_status)

RESUME = ("-m", "training", "train", "--out", "/r/a b", "--status", "json", "--resume")
EVERY_EVENT = [
    Started(run_dir="/r/a b", epochs=30, first_epoch=0, resuming=False),
    Started(run_dir="/r/a b", epochs=30, first_epoch=12, resuming=True),
    EpochDone(epoch=13, of=30, resume=RESUME),
    Finished(run_dir="/r/a b", epochs=30),
    Interrupted(epoch=13, resume=RESUME, message="epoch 13 is checkpointed; resume with: ..."),
    Interrupted(epoch=0, resume=(), message="no epoch had finished, so there is nothing to resume"),
    Failed(message="--data /x: no such folder"),
]


def test_the_sample_grid_is_named_as_training_writes_and_the_app_reads_it(tmp_path):
    assert run_folder.grid_name(7) == "epoch_0007.png" and run_folder.grid_name(12345) == "epoch_12345.png"
    assert run_folder.grid_path(tmp_path, 7) == tmp_path / "samples" / "epoch_0007.png"
    assert Path(run_folder.grid_name(3)).match(run_folder.GRID_GLOB)
    # Four digits sort as epochs do, so progress.gif's frames come in order.
    names = [run_folder.grid_name(e) for e in (10, 2, 1, 100)]
    assert sorted(names) == [run_folder.grid_name(e) for e in (1, 2, 10, 100)]


def test_every_name_is_one_plain_file_name_and_none_is_listed_twice():
    names = [run_folder.LOCK, *run_folder.FILES, *run_folder.FOLDERS, run_folder.CURVES]
    assert len(set(names)) == len(names)
    assert all(n and "/" not in n and "\\" not in n for n in names)
    assert run_folder.BEFORE_FIRST_CHECKPOINT <= set(run_folder.FILES + run_folder.FOLDERS)
    assert run_folder.CHECKPOINT not in run_folder.BEFORE_FIRST_CHECKPOINT


def test_both_sides_use_the_contracts_names():
    """Training and the app name the files through the contract, not through copies."""
    from desktop_app.core.train import run_folder as app_side
    from desktop_app.core.train import jobs as training_jobs
    from training import checkpoint

    assert checkpoint.CHECKPOINT_NAME == run_folder.CHECKPOINT and checkpoint.BEST_NAME == run_folder.BEST_CHECKPOINT
    assert app_side.grid_path is run_folder.grid_path
    assert not hasattr(app_side, "METRICS_NAME") and not hasattr(training_jobs, "ARCHES")


def test_the_recipes_are_the_contracts_and_the_app_starts_from_the_default_one():
    from desktop_app.core.train.jobs import SHIPPED_ARCH, SHIPPED_EPOCHS, SHIPPED_OPTIONS
    from training.__main__ import build_parser, train_config
    from training.config import ARCH_NAMES, RECIPES, from_recipe

    assert ARCH_NAMES == run_folder.ARCH_NAMES and list(RECIPES) == list(run_folder.RECIPES)
    for name, basis in run_folder.RECIPES.items():
        cfg = from_recipe(name, {})
        assert (cfg.arch, cfg.epochs) == (basis.arch, basis.epochs) and cfg.arch in run_folder.ARCH_NAMES
    # What the Training panel's form sends by default trains exactly the shipped recipe.
    args = ["train", "--arch", SHIPPED_ARCH, "--epochs", str(SHIPPED_EPOCHS), "--out", "/r", *SHIPPED_OPTIONS.split()]
    assert train_config(build_parser().parse_args(args)) == from_recipe(run_folder.DEFAULT_RECIPE, {"out": "/r"})
    # ... and fewer epochs than the recipe decays keeps its decayed share, rather than being refused.
    args[args.index("--epochs") + 1] = "6"
    assert train_config(build_parser().parse_args(args)).lr_decay_epochs == 2


@pytest.mark.parametrize("status", EVERY_EVENT, ids=lambda s: type(s).__name__)
def test_every_status_reads_back_as_written(status):
    line = format_status(status)
    assert "\n" not in line and line.isascii()
    assert parse_status(line) == status
    assert parse_status(line + "\r\n") == status and parse_status("  " + line) == status
    assert json.loads(line)[KEY] == VERSION


def test_a_control_character_in_a_name_stays_inside_one_line():
    status = Started(run_dir="/r/new\nline\x1b[31m", epochs=3, first_epoch=0, resuming=False)
    line = format_status(status)
    assert "\n" not in line and "\x1b" not in line and parse_status(line) == status


@pytest.mark.parametrize("line", [
    "", "Epoch 1/30", "4/4 - 0s - 81ms/step - d_loss: 1.43",
    "digit-train: interrupted; epoch 2 is checkpointed; resume with: python -m training train --resume",
    '{"epoch": 2, "d_loss": 1.2}',  # a metrics line: JSON, but not a status line
    "[1, 2]", "{", "null",
])
def test_ordinary_output_is_not_a_status(line):
    assert parse_status(line) is None


def _row(**changes) -> str:
    row = json.loads(format_status(EpochDone(epoch=2, of=5, resume=RESUME)))
    row.update(changes)
    return json.dumps({k: v for k, v in row.items() if v is not ...})


@pytest.mark.parametrize("line", [
    _row(**{KEY: 2}), _row(**{KEY: "1"}), _row(**{KEY: True}), _row(**{KEY: ...}),  # other versions
    _row(event="paused"), _row(event=None), _row(event=...),  # unknown or missing event
    _row(epoch="2"), _row(epoch=2.0), _row(epoch=True), _row(epoch=0), _row(epoch=-1), _row(epoch=10**30),
    _row(epoch=None), _row(epoch=...), _row(of=...), _row(epoch=6),  # an epoch past the run's end
    _row(resume="python -m training train --resume"), _row(resume=[1, 2]), _row(resume=[]),
    _row(epoch=float("nan")),
    format_status(EpochDone(epoch=2, of=5, resume=RESUME))[:-1],  # cut short
    '{"digit_studio_status": 1, "event": "interrupted", "epoch": 2, "resume": [], "message": "m"}',
    '{"digit_studio_status": 1, "event": "interrupted", "epoch": 0, "resume": ["-m"], "message": "m"}',
    '{"digit_studio_status": 1, "event": "failed", "message": 7}',
    '{"digit_studio_status": 1, "event": "started", "run_dir": "r", "epochs": 3, "first_epoch": 0, "resuming": 0}',
    '{"digit_studio_status": 1, "event": "finished", "run_dir": "r", "epochs": Infinity}',
    '{"digit_studio_status": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}",  # nested past json's recursion
    '{"digit_studio_status": 1, "event": "failed", "message": "' + "x" * (2 << 20) + '"}',  # far too long
])
def test_a_malformed_status_line_is_rejected_without_an_exception(line):
    assert parse_status(line) is None


def test_a_field_added_within_the_version_is_ignored_and_non_text_is_refused():
    row = json.loads(format_status(Finished(run_dir="r", epochs=3)))
    assert parse_status(json.dumps({**row, "wall_seconds": 12.5})) == Finished(run_dir="r", epochs=3)
    assert parse_status(format_status(Finished(run_dir="r", epochs=3)).encode()) is None  # bytes, not a line
