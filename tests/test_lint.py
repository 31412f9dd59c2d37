"""ruff (configured in pyproject.toml) finds nothing to lint or reformat in the code and the notebooks."""

import subprocess
import sys

import pytest
from nbrun import ROOT

PATHS = ["helpers", "tests", "tools", "benchmarks", "workshop", "notebooks", "conftest.py"]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_is_clean(command):
    done = subprocess.run([sys.executable, "-m", "ruff", *command, *PATHS], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, (
        f"`ruff {' '.join(command)}` found:\n{done.stdout}{done.stderr}\n(fix: ruff {command[0]} --fix / ruff format)"
    )
