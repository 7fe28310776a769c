"""The layout holds: apps import one way only (import-linter's contract), and no module outgrows a reading."""

import os
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


FIRST_IMPORT = """
import importlib, sys
import django
django.setup()
loaded = set(sys.modules)
for name in sys.argv[1:]:
    if name not in loaded:
        importlib.import_module(name)
        for added in set(sys.modules) - loaded:
            del sys.modules[added]
            parent, _, child = added.rpartition(".")
            if parent in sys.modules:  # a package keeps its imported modules as attributes too
                sys.modules[parent].__dict__.pop(child, None)
"""


def test_each_module_imports_first_as_well_as_after_the_others():
    """Two modules that import each other work in one order only; a command or a test may take either."""
    names = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in runtime_modules()
        if path.name not in ("asgi.py", "wsgi.py")
    ]
    env = {
        "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "eurasia.settings",
    }
    # The suite's own server when it names one; without it the settings start the embedded server,
    # which as root first makes its user with useradd (in /usr/sbin).
    if "DATABASE_URL" in os.environ:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    run = subprocess.run(
        [sys.executable, "-c", FIRST_IMPORT, *names], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
