"""Shared fixtures: MNIST from $MNIST_ROOT (or data/), loaded once per test session."""

import signal
import socket
import time

import pytest

from helpers import data
from helpers.data import load_mnist, missing_files, split_validation

_SESSION_START = time.monotonic()  # conftest.py is imported as the session starts: the suite's clock


@pytest.fixture(scope="session")
def mnist_root():
    """The data root the tests read; the tests never download."""
    root = data.mnist_root()
    missing = missing_files(root)
    if missing:
        pytest.fail(
            f"MNIST is missing under {root} ({', '.join(missing)}): set MNIST_ROOT to a folder with MNIST/raw/."
        )
    return root


@pytest.fixture(scope="session")
def mnist(mnist_root):
    """(train_set, test_set) TensorDatasets, pixels scaled to [0, 1]."""
    return load_mnist(mnist_root)


@pytest.fixture(scope="session")
def validation(mnist):
    """(fit_set, val_set): the 55,000 training images that train and the 5,000 held out to compare settings."""
    return split_validation(mnist[0])


@pytest.fixture(scope="session")
def small(mnist):
    """(train_set, test_set): the first 2,000 training and 1,000 test images, for quick runs (support.SMALL)."""
    from torch.utils.data import TensorDataset

    train, test = mnist
    return TensorDataset(*train[:2000]), TensorDataset(*test[:1000])


@pytest.fixture
def saved(tmp_path):
    """A real checkpoint of a hidden=1000 model (as the tutorial saves it) in tmp_path, and the model."""
    import torch

    from helpers.checkpoint import save_checkpoint
    from helpers.config import Config
    from helpers.model import mlp

    torch.manual_seed(0)
    model = mlp(1000)
    path = save_checkpoint(tmp_path / "model.pt", model, Config(), metrics={"accuracy": 0.5})
    return path, model


@pytest.fixture
def offline(monkeypatch):
    """No download reaches the network: torchvision's mirrors point at a closed local port, proxies are bypassed."""
    from torchvision.datasets import MNIST

    with socket.socket() as s:  # a port on 127.0.0.1 nobody listens on: connecting is refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(MNIST, "mirrors", [f"http://127.0.0.1:{port}/"])
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.fixture
def one_thread():
    """Train on one CPU thread: on a busy 2-core machine two threads spin-wait and run 10x slower.

    A test that needs the default count sets it (determinism holds per thread count); this sets it back after.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def sigint_raises():
    """Ctrl-C raises KeyboardInterrupt here even if pytest was started with SIGINT ignored."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)


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
        "then python tools/prose_words.py --write. (08 takes ~10 s more without checkpoints/cnn.pt: it trains "
        "a CNN for 1 epoch.)"
    )
    notebooks, suite = sum(RUN_SECONDS.values()), time.monotonic() - _SESSION_START
    terminalreporter.write_line(
        f"the notebooks, each run once: {notebooks:.0f} s; the whole session: {suite:.0f} s "
        f"({suite / notebooks:.2f}x the notebooks' time)"
    )


@pytest.fixture(scope="session")
def one_epoch_mlp(mnist):
    """DL4J's network after one epoch (about 91% on the first 1,000 test digits): enough to tell framings apart."""
    from helpers.config import Config
    from helpers.runs import train_run

    return train_run(Config(epochs=1), mnist[0]).model


@pytest.fixture
def pg(validation):
    """A Playground on the training and validation sets; stopped and joined after the test, pass or fail."""
    from helpers.playground import Playground

    playground = Playground(*validation)
    yield playground
    playground.stop()  # a test that failed mid-run leaves no thread training
    playground.wait()
