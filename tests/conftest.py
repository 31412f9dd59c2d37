"""Shared fixtures: MNIST from $MNIST_ROOT (or data/), loaded once per test session."""

import pytest

from helpers.data import data_root, load_mnist, missing_files


@pytest.fixture(scope="session")
def mnist_root():
    """The data root the tests read; the tests never download."""
    root = data_root()
    missing = missing_files(root)
    if missing:
        pytest.fail(f"MNIST is missing under {root} ({', '.join(missing)}): set MNIST_ROOT to a folder with MNIST/raw/.")
    return root


@pytest.fixture(scope="session")
def mnist(mnist_root):
    """(train, test) Digits, scaled to [0, 1]."""
    return load_mnist(mnist_root, download_missing=False)
