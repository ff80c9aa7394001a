"""Hostile files against every way the app opens one: `--self-test`, File → Open,
the folder watcher, latent-file loading. Each gives one sentence naming the file, nothing
hangs or crashes, the current model or latent stays, and the user's files are unchanged."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from desktop_app.core.files import latent_files as files
from desktop_app.core.models.contract import ContractError
from desktop_app.core.models.generator import Generator

from . import hostile_corpus as hc

REPO = Path(__file__).resolve().parents[2]
MODEL_CASES = ["fifo", "dev_zero", "dev_urandom", "symlink_loop", "folder", "over_cap",
               "empty", "random", "truncated", "html_name", "many_fields", "superscript",
               "nan_generator", "version_1", "classifier", "external_data"]
LATENT_CASES = ["fifo", "dev_zero", "dev_urandom", "symlink_loop", "folder", "over_cap",
                "huge_integer", "nan", "wrong_length", "nested", "html_name", "not_utf8"]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict[str, Path], dict[str, Path]]:
    folder = tmp_path_factory.mktemp("hostile")
    return folder, hc.build_models(folder / "models"), hc.build_latents(folder / "latents")


@pytest.fixture
def corpus(built) -> Path:
    return built[0]


@pytest.fixture
def models(built) -> dict[str, Path]:
    return built[1]


@pytest.fixture
def latents(built) -> dict[str, Path]:
    return built[2]


def test_the_corpus_covers_every_case(models, latents):
    assert sorted(models) == sorted(MODEL_CASES)
    assert sorted(latents) == sorted(LATENT_CASES)


def _one_sentence(message: str, name: str) -> None:
    assert name in message, message
    assert "\n" not in message and "Traceback" not in message, message
    assert message.endswith("."), message


@pytest.fixture(scope="module")
def refusals(built) -> dict[str, tuple[BaseException | None, dict, dict]]:
    """Each hostile model opened once with `Generator.from_path` (the many-fields file alone
    takes a second to refuse): case -> (what it raised or None, the corpus' fingerprint
    before, after)."""
    corpus, models, _ = built
    out = {}
    for case in MODEL_CASES:
        before = hc.fingerprint(corpus)
        raised = None
        try:
            Generator.from_path(models[case])
        except Exception as e:  # checked by each test: a ContractError, nothing else
            raised = e
        out[case] = (raised, before, hc.fingerprint(corpus))
    return out


def _refusal(refusals, case) -> str:
    raised = refusals[case][0]
    if raised is None:
        pytest.fail(f"DID NOT RAISE {ContractError}")
    if not isinstance(raised, ContractError):
        raise raised
    return str(raised)


@pytest.mark.parametrize("case", MODEL_CASES)
def test_a_hostile_model_is_refused_in_one_sentence(models, refusals, case):
    _one_sentence(_refusal(refusals, case), models[case].name)
    _, before, after = refusals[case]
    assert after == before


def test_what_each_refusal_says(refusals):
    said = {case: _refusal(refusals, case) for case in MODEL_CASES}
    assert "named pipe" in said["fifo"]
    assert "device" in said["dev_zero"] and "device" in said["dev_urandom"]
    assert "loops" in said["symlink_loop"]
    assert "folder" in said["folder"]
    assert "64 MiB" in said["over_cap"]
    assert "protobuf fields" in said["many_fields"]
    assert "probe" in said["nan_generator"]
    assert "external data" in said["external_data"]


@pytest.mark.parametrize("case", LATENT_CASES)
def test_a_hostile_latent_file_is_refused_in_one_sentence(latents, corpus, case):
    before = hc.fingerprint(corpus)
    with pytest.raises(files.LatentFileError) as info:
        files.load(latents[case], 8)
    _one_sentence(str(info.value), latents[case].name)
    assert hc.fingerprint(corpus) == before


@pytest.fixture(scope="module")
def self_tests(built, tmp_path_factory) -> tuple[dict[str, subprocess.CompletedProcess], dict, dict]:
    """`python -m desktop_app MODEL --self-test` for every hostile model, a few processes
    side by side (each is mostly start-up): (case -> its result, the corpus' fingerprint
    before them all, after them all). Each has its own settings file and an empty
    shipped-models folder, as the autouse `isolated_app_env` gives a test."""
    corpus, models, _ = built
    home = tmp_path_factory.mktemp("self_tests")

    def self_test(case: str) -> subprocess.CompletedProcess:
        (home / case / "shipped").mkdir(parents=True)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
               "DIGIT_STUDIO_SETTINGS": str(home / case / "s.ini"),
               "DIGIT_STUDIO_MODELS": str(home / case / "shipped")}
        # timeout: a FIFO or /dev/zero used to hang here, or grow memory until MemoryError.
        return subprocess.run([sys.executable, "-m", "desktop_app", str(models[case]),
                               "--self-test"], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)

    before = hc.fingerprint(corpus)
    with ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 1)) as pool:
        results = dict(zip(MODEL_CASES, pool.map(self_test, MODEL_CASES)))
    return results, before, hc.fingerprint(corpus)


@pytest.mark.parametrize("case", MODEL_CASES)
def test_self_test_refuses_a_hostile_model_quickly_and_cleanly(models, self_tests, case):
    results, before, after = self_tests
    result = results[case]
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    sentence = result.stderr.strip().splitlines()[-1]
    _one_sentence(sentence, models[case].name)
    assert after == before


def test_file_open_of_each_hostile_model_keeps_the_current_one(loaded, qtbot, models,
                                                               corpus):
    before = hc.fingerprint(corpus)
    gen = loaded.studio.generator
    for case in MODEL_CASES:
        with qtbot.waitSignal(loaded.modelFailed, timeout=30_000):
            assert loaded.files.open_path(models[case]) is False
        text = loaded.ui.message_bar.text()
        assert models[case].name in text and "stays loaded" in text, (case, text)
        assert "\n" not in text
        assert loaded.studio.generator is gen
    qtbot.waitUntil(lambda: loaded.ui.digit_view.pixels() is not None, timeout=5000)
    assert hc.fingerprint(corpus) == before


def test_loading_each_hostile_latent_file_keeps_the_latent(loaded, latents, corpus):
    before = hc.fingerprint(corpus)
    z = loaded.studio.state.z.copy()
    for case in LATENT_CASES:
        assert loaded.files.open_path(latents[case]) is False
        assert latents[case].name in loaded.ui.message_bar.text(), case
        assert np.array_equal(loaded.studio.state.z, z)
    assert hc.fingerprint(corpus) == before


@pytest.mark.parametrize("kind", ["fifo", "symlink_loop", "dev_zero", "folder"])
def test_the_watched_model_replaced_by_a_hostile_file_keeps_the_model(window, qtbot,
                                                                      model_dir, tmp_path,
                                                                      kind):
    folder = tmp_path / "watched"
    folder.mkdir()
    target = Path(shutil.copy(model_dir / "generator.onnx", folder / "generator.onnx"))
    with qtbot.waitSignal(window.modelLoaded, timeout=10_000):
        assert window.open_model(target)
    gen = window.studio.generator
    # Built beside it, then renamed over it: the atomic replace an export does.
    twin = folder / "twin"
    if kind == "fifo":
        os.mkfifo(twin)
    elif kind == "dev_zero":
        twin.symlink_to("/dev/zero")
    elif kind == "symlink_loop":  # generator.onnx -> other -> generator.onnx
        (folder / "other").symlink_to(target)
        twin.symlink_to(folder / "other")
    else:
        twin.mkdir()
        target.unlink()
    os.replace(twin, target)
    with qtbot.waitSignal(window.modelFailed, timeout=10_000):
        pass
    assert window.studio.generator is gen
    assert "generator.onnx" in window.ui.message_bar.text()
    # Still drawing with the loaded model.
    window.studio.state.set_seed(5)
    with qtbot.waitSignal(window.frameRendered, timeout=5000):
        window.scheduler.request()


def test_starting_on_a_symlink_loop_explains_instead_of_crashing(qtbot, models):
    from desktop_app.views.app import launch

    window = launch(models["symlink_loop"])
    qtbot.addWidget(window)
    assert not window.studio.ready
    assert "loops" in window.ui.message_bar.text()
    window.close()
