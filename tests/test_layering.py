"""The two packages keep to their sides of the contract (import-linter, as in napari)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_import_linter_contracts_hold():
    # Through this interpreter, not PATH: outside an activated venv `lint-imports` may be
    # missing or belong to another Python.
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    proc = subprocess.run([sys.executable, "-c", code, "--no-cache"], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "4 kept, 0 broken" in proc.stdout


def test_the_training_cli_fails_fast_without_loading_tensorflow():
    code = ("import sys; from training.__main__ import main\n"
            "rc = main(['train', '--data', '/nonexistent'])\n"
            "assert rc == 2, rc\n"
            "assert 'tensorflow' not in sys.modules, 'a bad --data loaded TensorFlow'")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_no_module_is_part_of_an_import_cycle():
    """Every import counts, including those inside functions (grimp reads them all): an
    import placed in a function to dodge a cycle still shows up here."""
    import grimp

    packages = ("digit_contract", "training", "desktop_app")
    graph = grimp.build_graph(*packages)
    ours = {m for m in graph.modules if m.split(".")[0] in packages}
    cycles = []
    for module in sorted(ours):
        for imported in graph.find_modules_directly_imported_by(module) & ours:
            if graph.chain_exists(importer=imported, imported=module):
                chain = graph.find_shortest_chain(importer=imported, imported=module)
                cycles.append(" -> ".join((module, *chain)))
    assert not cycles, "\n".join(cycles)
