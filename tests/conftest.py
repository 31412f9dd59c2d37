"""Shared fixtures: MNIST from $MNIST_ROOT (or data/), loaded once per test session."""

import pytest

from helpers.data import data_root, load_mnist, missing_files


@pytest.fixture(scope="session")
def mnist_root():
    """The data root the tests read; the tests never download."""
    root = data_root()
    missing = missing_files(root)
    if missing:
        pytest.fail(
            f"MNIST is missing under {root} ({', '.join(missing)}): set MNIST_ROOT to a folder with MNIST/raw/."
        )
    return root


@pytest.fixture(scope="session")
def mnist(mnist_root):
    """(train, test) Digits, scaled to [0, 1]."""
    return load_mnist(mnist_root, download_missing=False)


def pytest_terminal_summary(terminalreporter):
    """Print each notebook's run time in this session beside the one the notebooks state (docs/run_times.json)."""
    import json

    from nbrun import ROOT, RUN_SECONDS

    if not RUN_SECONDS:
        return
    stated = json.loads((ROOT / "docs" / "run_times.json").read_text())["seconds"]
    terminalreporter.section("notebook run times: this run vs stated (docs/run_times.json)")
    for name, seconds in sorted(RUN_SECONDS.items()):
        ratio = seconds / stated[name] if stated.get(name) else float("nan")
        terminalreporter.write_line(
            f"{name:<22} {seconds:6.1f} s  stated {stated.get(name, '?'):>4} s  ratio {ratio:4.2f}"
        )
    terminalreporter.write_line(
        "A ratio far from 1 on a quiet machine: refresh with tools/refresh_notebooks.py, "
        "then python tools/prose_words.py --write."
    )
