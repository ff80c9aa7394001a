"""Hostile and careless use of the training CLI against the user's files.

Every case hashes the folders it touches before and after: a refusal is one line, exit 2,
and changes nothing; no temporary file is ever left behind, and only files carrying the
program's own temp marker are ever deleted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from digit_contract.atomic import is_temp_file_name
from digit_contract.lock import LOCK_NAME, FolderLock
from tests.desktop_app.hostile_corpus import fingerprint
from tests.training.test_hostile_cli import _refused
from training.__main__ import main


def no_temp_files(root: Path) -> bool:
    return not [p for p in root.rglob("*") if is_temp_file_name(p.name)]


def _train(data, out, *extra, epochs=1):
    return ["train", "--arch", "mlp", "--epochs", str(epochs), "--train-samples", "128", "--batch-size", "64",
            "--estimate-every", "0", "--data", data, "--out", out, *extra]


@pytest.fixture(scope="module")
def pristine_run(tmp_path_factory):
    """One finished one-epoch run, trained once for the module; tests copy it."""
    from tests.conftest import make_tiny_mnist

    root = tmp_path_factory.mktemp("hostile_files")
    data = make_tiny_mnist(root / "mnist")
    run = root / "run"
    assert main([str(a) for a in _train(data, run)]) == 0
    return data, run


@pytest.fixture()
def run(pristine_run, tmp_path):
    data, run = pristine_run
    copy = tmp_path / "run"
    shutil.copytree(run, copy, symlinks=True)
    return data, copy


def test_a_folder_holding_only_a_users_tmp_file_is_not_empty(tiny_mnist, tmp_path, capsys):
    """`.draft.v2.tmp` looks like a temporary file; it is the user's, and it stays."""
    out = tmp_path / "drafts"
    out.mkdir()
    (out / ".draft.v2.tmp").write_text("my draft")
    before = fingerprint(out)
    _refused(_train(tiny_mnist, out), capsys, "not a training run")
    assert fingerprint(out) == before


def test_a_finished_run_without_its_checkpoint_is_not_overwritten(run, capsys):
    data, run = run
    (run / "checkpoint.npz").unlink()
    before = fingerprint(run)
    err = _refused(_train(data, run), capsys, "holds a run's results")
    assert "metrics.jsonl" in err
    _refused(_train(data, run, "--resume"), capsys, "holds a run's results")
    assert fingerprint(run) == before


def test_a_second_training_into_a_run_folder_in_use_is_refused(run, capsys):
    data, run = run
    before = fingerprint(run)
    with FolderLock(run, "run folder"):  # as a training in another process holds it
        err = _refused(_train(data, run, "--resume", epochs=2), capsys, "is in use by process")
    assert str(os.getpid()) in err
    assert fingerprint(run) == before


def test_a_new_run_into_a_folder_being_created_by_another_is_refused(tiny_mnist, tmp_path, capsys):
    out = tmp_path / "new"
    out.mkdir()
    with FolderLock(out, "run folder"):
        _refused(_train(tiny_mnist, out), capsys, "is in use")
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]


def test_losing_the_race_for_a_folder_it_made_leaves_the_winners_lock(tiny_mnist, tmp_path, capsys, monkeypatch):
    """Two trainings start into one new --out: this one makes the folder, the other locks it
    first. The loser is refused and removes nothing: the winner's folder and lock file stay,
    and a third writer is still kept out."""
    import training.train as train_module
    from digit_contract.lock import held_by

    out = tmp_path / "new"
    rival = FolderLock(out, "run folder")

    class LosesTheRace(FolderLock):
        def acquire(self):
            rival.acquire()  # the other training locks the folder between our mkdir and our lock
            return super().acquire()

    monkeypatch.setattr(train_module, "FolderLock", LosesTheRace)
    try:
        _refused(_train(tiny_mnist, out), capsys, "is in use")
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]
        assert held_by(out) == str(os.getpid())
        monkeypatch.undo()
        _refused(_train(tiny_mnist, out), capsys, "is in use")
    finally:
        rival.release()


def test_a_folder_it_made_and_then_refused_is_taken_away_again(tiny_mnist, tmp_path, capsys, monkeypatch):
    """Refused once the lock is held (another writer got there first): a folder this
    training made and left empty but for its lock goes again; nothing else is touched."""
    import training.train as train_module
    from training.config import ConfigError

    check = train_module.check_run_dir

    def refused_once_locked(run_dir, cfg, *, locked=False):
        if locked:
            raise ConfigError(f"--out {run_dir} holds a run's results (metrics.jsonl)")
        return check(run_dir, cfg)

    monkeypatch.setattr(train_module, "check_run_dir", refused_once_locked)
    _refused(_train(tiny_mnist, tmp_path / "runs" / "new"), capsys, "holds a run's results")
    # The run folder goes; parents made on the way stay.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist", "runs"]
    assert list((tmp_path / "runs").iterdir()) == []


def test_training_holds_the_lock_for_the_whole_run(tiny_mnist, tmp_path, monkeypatch):
    """Checked from inside the run (fit is running): another writer would be refused."""
    import training.train as train_module
    from digit_contract.lock import held_by

    seen = []
    inner = train_module._train_in

    def spy(run_dir, *args, **kwargs):
        seen.append(held_by(run_dir))
        return inner(run_dir, *args, **kwargs)

    monkeypatch.setattr(train_module, "_train_in", spy)
    out = tmp_path / "r"
    assert main([str(a) for a in _train(tiny_mnist, out)]) == 0
    assert seen == [str(os.getpid())]
    assert held_by(out) is None  # released at the end
    assert no_temp_files(out)


@pytest.mark.parametrize("make", [
    lambda t: t / "typo",                            # missing
    lambda t: (t / "empty").mkdir() or t / "empty",  # empty
])
def test_resume_of_a_missing_or_empty_folder_is_refused(tiny_mnist, tmp_path, capsys, make):
    out = make(tmp_path)
    existed = out.exists()
    err = _refused(_train(tiny_mnist, out, "--resume"), capsys, "no run to resume")
    assert str(out) in err
    assert out.exists() == existed and (not existed or not list(out.iterdir()))


def test_a_link_in_a_run_folder_is_never_written_through(run, tmp_path, capsys):
    data, run = run
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's notes\n")
    (run / "metrics.jsonl").unlink()
    (run / "metrics.jsonl").symlink_to(victim)
    before, victim_before = fingerprint(run), victim.read_bytes()
    _refused(_train(data, run, "--resume", epochs=2), capsys, "metrics.jsonl is a link")
    assert fingerprint(run) == before and victim.read_bytes() == victim_before


def test_export_keeps_a_users_file_that_looks_like_a_temp(run, tmp_path, capsys):
    data, run = run
    out = tmp_path / "models"
    out.mkdir()
    users = [out / ".generator.onnx.old.tmp", out / ".X.Y.tmp"]
    for p in users:
        p.write_text("mine")
    assert main(["export", str(run), "--out", str(out / "generator.onnx")]) == 0
    assert all(p.read_text() == "mine" for p in users)
    assert no_temp_files(out)
    # A second export replaces the first: that file is the program's own.
    assert main(["export", str(run), "--out", str(out / "generator.onnx")]) == 0
    assert all(p.read_text() == "mine" for p in users)


@pytest.mark.parametrize("name, needle", [
    ("*", "wildcards"),
    ("g?.onnx", "wildcards"),
    ("line\nbreak.onnx", "control characters"),
    ("generator.txt", "NAME.onnx"),
])
def test_export_refuses_names_it_should_not_make(run, tmp_path, capsys, name, needle):
    data, run = run
    out = tmp_path / "models"
    out.mkdir()
    (out / ".a.b.tmp").write_text("mine")
    before = fingerprint(out)
    _refused(["export", run, "--out", out / name], capsys, needle)
    assert fingerprint(out) == before


@pytest.mark.parametrize("make, needle", [
    (lambda p: p.write_text("my essay"), "did not export"),
    (lambda p: p.symlink_to("/dev/null"), "link"),
    (lambda p: os.mkfifo(p), "not a regular file"),
])
def test_export_never_replaces_what_is_not_its_own(run, tmp_path, capsys, make, needle):
    data, run = run
    out = tmp_path / "models"
    out.mkdir()
    make(out / "g.onnx")
    before = fingerprint(out)
    _refused(["export", run, "--out", out / "g.onnx"], capsys, needle)
    assert fingerprint(out) == before


def test_export_of_a_run_without_a_checkpoint_says_what_to_do(run, capsys):
    data, run = run
    (run / "checkpoint.npz").unlink()
    before = fingerprint(run)
    err = _refused(["export", run, "--out", run.parent / "g.onnx"], capsys, "never finished an epoch")
    assert "--resume" in err
    with FolderLock(run, "run folder"):
        _refused(["export", run, "--out", run.parent / "g.onnx"], capsys, "has not finished its first epoch yet")
    after = fingerprint(run)
    after.pop(str(run / LOCK_NAME)), before.pop(str(run / LOCK_NAME), None)  # it records who held it last
    assert after == before
    assert not (run.parent / "g.onnx").exists()


@pytest.mark.slow
def test_two_trainings_at_once_leave_one_clean_run(tiny_mnist, tmp_path):
    """The issue's repro, for real: two processes train into one --out; one is refused."""
    out = tmp_path / "r"
    cmd = [sys.executable, "-m", "training", *map(str, _train(tiny_mnist, out, "--seed", "1", epochs=3))]
    cmd2 = [sys.executable, "-m", "training", *map(str, _train(tiny_mnist, out, "--seed", "2", epochs=3))]
    root = Path(__file__).resolve().parents[2]
    a = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    b = subprocess.Popen(cmd2, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    (_, err_a), (_, err_b) = a.communicate(timeout=600), b.communicate(timeout=600)
    codes = sorted([a.returncode, b.returncode])
    assert codes == [0, 2], (err_a[-800:], err_b[-800:])
    refused = err_a if a.returncode == 2 else err_b
    assert "Traceback" not in refused and ("in use" in refused or "already holds a run" in refused)
    epochs = [line for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    assert len(epochs) == 3  # one run's epochs 1-3, not two runs interleaved
    assert no_temp_files(out)
