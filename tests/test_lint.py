"""`make lint` is ruff and mypy, CI runs it before the tests, and mypy's baseline (the modules
whose errors are not reported yet, pyproject.toml) only holds modules that still have errors:
a module made clean must leave the list, so the list only shrinks."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def mypy_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]


def baseline() -> list[str]:
    return next(o["module"] for o in mypy_config()["overrides"] if o.get("ignore_errors"))


def test_make_lint_runs_ruff_and_mypy_and_ci_runs_it() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "no lint target"
    steps = recipe.group(1)
    for tool in ("ruff check .", "ruff format --check .", "mypy"):
        assert f"$(BIN)/{tool}" in steps, tool
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert "make lint" in ci and "make test" in ci
    assert ci.index("make lint") < ci.index("make test")


def test_mypy_checks_the_four_packages() -> None:
    config = mypy_config()
    assert set(config["files"]) == {"healthai", "api", "assets", "dashboard"}
    assert not config.get("ignore_errors") and not config.get("ignore_missing_imports")


def test_every_module_of_the_mypy_baseline_still_has_errors(tmp_path: Path) -> None:
    """mypy without the baseline: each listed module must still report an error (a module
    that passes leaves the list), and no other module may (they are checked by make lint)."""
    config = mypy_config()
    listed = baseline()
    assert listed == sorted(listed), "keep the baseline sorted"
    lines = ["[mypy]", f"python_version = {config['python_version']}"]
    lines.append("plugins = " + ", ".join(config.get("plugins", [])))
    for override in config["overrides"]:
        if override.get("ignore_missing_imports"):
            lines += [f"[mypy-{','.join(override['module'])}]", "ignore_missing_imports = True"]
    ini = tmp_path / "mypy.ini"
    ini.write_text("\n".join(lines) + "\n")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ini),
         "--cache-dir", str(ROOT / ".mypy_cache" / "baseline"), *config["files"]],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if run.returncode not in (0, 1):
        pytest.fail(run.stdout[-2000:] + run.stderr[-2000:])
    failing = {
        path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for path in re.findall(r"^([\w/]+\.py):\d+: error:", run.stdout, re.M)
    }
    clean = [module for module in listed if module not in failing]
    assert not clean, f"now type-clean: remove them from the baseline in pyproject.toml: {clean}"
    assert failing <= set(listed), f"errors outside the baseline: {sorted(failing - set(listed))}"
