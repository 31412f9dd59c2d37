"""pytest set-up for the whole repository: MNIST fetched once before the tests, the learner's files left alone."""

LEARNERS_FILES = ("checkpoints", "notebooks")  # what the tests must leave as they found it (they write test-output/)


def _snapshot() -> dict:
    """{path: (size, mtime)} of every file under the learner's folders."""
    from pathlib import Path

    root = Path(__file__).resolve().parent
    files = [p for folder in LEARNERS_FILES for p in (root / folder).rglob("*") if p.is_file()]
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in files}


def pytest_sessionstart(session):
    """Fetch MNIST once, before any test, when it is missing; with no network, stop with one message."""
    import sys

    session.config.learners_files = _snapshot()

    import pytest

    from helpers.data import MnistError, ensure_mnist, missing_files, mnist_root, raw_folder

    root = mnist_root()  # $MNIST_ROOT, else data/ in the repository
    if not missing_files(root):
        return
    print(f"\nMNIST is missing under {raw_folder(root)}: fetching it once with torchvision (~12 MB)...")
    try:
        ensure_mnist(root)
    except MnistError as e:  # no network, a read-only folder, a damaged file: one message instead of one error per test
        print(f"\nThe tests need MNIST and could not get it.\n{e}\n", file=sys.stderr)
        pytest.exit("no MNIST: see the message above", returncode=pytest.ExitCode.USAGE_ERROR)
    print(f"MNIST is in {raw_folder(root)} now.")


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if a test wrote into checkpoints/ or notebooks/: a learner's files are not test output."""
    before = getattr(session.config, "learners_files", None)
    if before is None or exitstatus not in (0, 1):
        return
    after = _snapshot()
    changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    if changed:
        print(
            f"\nThe tests changed files that belong to the learner (write to test-output/ instead): {', '.join(changed)}"
        )
        session.exitstatus = 1
