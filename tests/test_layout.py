"""The layout holds: apps import one way only (import-linter's contract), and no module outgrows a reading."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["eurasia", "jobs", "blocs", "events", "public", "exchange", "corrections", "api", "releases"]
MOST_LINES = 600  # past this, a module holds more than one thing: split it by what it does (docs/architecture.md)


def runtime_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_runtime_module_is_over_600_lines():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in runtime_modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MOST_LINES
    }
    assert long == {}


def lint_imports(root):
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint), "--no-cache"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def checkout(tmp_path):
    """A copy of the project's packages and its pyproject.toml, to edit without touching the real ones."""
    for app in [*APPS, "devtools"]:
        shutil.copytree(ROOT / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_import_contract_holds(checkout):
    result = lint_imports(checkout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


@pytest.mark.parametrize("module", ["blocs/models.py", "blocs/memberships.py"])
def test_blocs_importing_events_breaks_the_contract(checkout, module):
    path = checkout / module
    path.write_text("from events.models import Event  # noqa\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    result = lint_imports(checkout)
    assert result.returncode == 1
    dotted = module.removesuffix(".py").replace("/", ".")
    assert f"{dotted} -> events.models (l.1)" in result.stdout
    assert "Contracts: 0 kept, 1 broken." in result.stdout
