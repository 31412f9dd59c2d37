"""pytest set-up shared by tests/ and the nbval run over notebooks/."""

import nbval.plugin

# nbval waits only 5 s for each message from the kernel after a cell has run. On a shared 2-core
# machine a stall of 10-60 s happens now and then (see README), and a notebook that trained fine
# then fails with "Timeout of 5 seconds exceeded waiting for output". Wait up to 2 minutes instead;
# a cell that really hangs still hits nbval's own cell timeout.
_nbval_cell_init = nbval.plugin.IPyNbCell.__init__


def _patient_cell_init(self, *args, **kwargs):
    _nbval_cell_init(self, *args, **kwargs)
    self.output_timeout = 120


nbval.plugin.IPyNbCell.__init__ = _patient_cell_init


def pytest_sessionstart(session):
    """Fetch MNIST once, before any test, when it is missing; with no network, stop with one message."""
    import sys

    import pytest

    from helpers.data import MnistError, data_root, download, missing_files, raw_folder

    root = data_root()  # $MNIST_ROOT, else data/ in the repository
    missing = missing_files(root)
    if not missing:
        return
    print(
        f"\nMNIST is missing under {raw_folder(root)} ({len(missing)} of 4 files): fetching it once with torchvision (~12 MB)..."
    )
    try:
        download(root)
    except MnistError as e:  # no network, a read-only folder, a damaged file: one message instead of one error per test
        print(f"\nThe tests need MNIST and could not get it.\n{e}\n", file=sys.stderr)
        pytest.exit("no MNIST: see the message above", returncode=pytest.ExitCode.USAGE_ERROR)
    print(f"MNIST is in {raw_folder(root)} now.")
