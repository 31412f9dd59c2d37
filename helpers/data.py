"""MNIST from torchvision, checked byte for byte, held in memory as tensors and served in batches."""

import gzip
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import torch
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler, TensorDataset

from helpers.errors import UserError

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "data"  # where MNIST is downloaded (git-ignores it)
# The four official files: bytes, and SHA-256. Each is a big-endian header, then one byte per pixel or label.
FILES = {
    "train-images-idx3-ubyte": (47_040_016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "train-labels-idx1-ubyte": (60_008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "t10k-images-idx3-ubyte": (7_840_016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "t10k-labels-idx1-ubyte": (10_008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}
# Mean and standard deviation of the 47 million training pixels scaled to [0, 1]: from the training set
# only, so that nothing of the test set leaks into training (notebook 01 measures them).
MEAN, STD = 0.1307, 0.3081
VALIDATION_SIZE, VALIDATION_SEED = 5_000, 0  # the training images held out to compare settings (notebook 01)


class MnistError(UserError):
    """MNIST could not be found, downloaded or trusted; the message says what to do."""


def mnist_root(root=None) -> Path:
    """The folder that holds MNIST/raw/: `root`, else $MNIST_ROOT, else data/ in the repository; a folder that is
    itself MNIST/raw/ or MNIST/ (an easy slip) is taken as meant."""
    root = Path(root if root is not None else os.environ.get("MNIST_ROOT") or DEFAULT_ROOT).expanduser()
    if root.name == "raw" and root.parent.name == "MNIST":
        return root.parent.parent
    if root.name == "MNIST" and (root / "raw").is_dir() and not (root / "MNIST").is_dir():
        return root.parent
    return root


def raw_folder(root) -> Path:
    """torchvision's layout: the four files sit in <root>/MNIST/raw/."""
    return Path(root) / "MNIST" / "raw"


def check_file(path) -> None:
    """Raise MnistError naming `path` unless it is byte for byte the official MNIST file of its name."""
    path = Path(path)
    size, sha = FILES[path.name]
    try:
        found = path.stat().st_size
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if found == size else ""
    except OSError as e:
        raise MnistError(f"{path} cannot be read ({e.strerror or e}); check its permissions.") from e
    if found != size:
        problem = f"is {'truncated' if found < size else 'too long'}: {found:,} bytes, the official file has {size:,}"
    elif digest != sha:
        problem = f"is damaged: its SHA-256 is {digest}, the official file's is {sha}"
    else:
        return
    raise MnistError(
        f"{path} {problem}. Copy the official file over it (in {DEFAULT_ROOT}, deleting it is enough: the next load downloads it anew)."
    )


def missing_files(root) -> list:
    """Names of the official files not present under `root`."""
    return [name for name in FILES if not (raw_folder(root) / name).is_file()]


def ensure_mnist(root=None) -> Path:
    """The data root with the four official files in place, each checked; downloaded by torchvision the first time,
    into the default folder (data/) only: a folder you named is for files you already have."""
    root = mnist_root(root)
    missing = missing_files(root)
    if missing and root.resolve() != DEFAULT_ROOT.resolve():
        raise MnistError(_not_found(root, f"missing: {', '.join(missing)}"))
    if missing:
        _download(root)
    for name in FILES:
        check_file(raw_folder(root) / name)
    return root


def _download(root: Path) -> None:
    """Fetch MNIST with torchvision into a temporary folder beside `root`, check every file, then move them into place
    (a failed or interrupted download leaves nothing behind, not even empty folders)."""
    from torchvision.datasets import MNIST  # imported here: torchvision takes seconds to import

    raw = raw_folder(root)
    try:
        with tempfile.TemporaryDirectory(dir=root.parent, prefix=".mnist-download-") as tmp:
            raw_folder(tmp).mkdir(parents=True)
            for name in FILES:  # files or .gz copies already there (from a USB stick, say) are used, not fetched
                if (raw / name).is_file():
                    shutil.copy(raw / name, raw_folder(tmp) / name)
                elif (raw / f"{name}.gz").is_file():  # unpacked here: torchvision takes only the mirrors' own .gz
                    with gzip.open(raw / f"{name}.gz") as packed, open(raw_folder(tmp) / name, "wb") as unpacked:
                        shutil.copyfileobj(packed, unpacked)
            MNIST(tmp, train=True, download=True)
            MNIST(tmp, train=False, download=True)
            for name in FILES:  # all checked before any is moved: a bad file keeps the others out too
                try:
                    check_file(raw_folder(tmp) / name)
                except MnistError as e:  # its message names the temporary copy, which is about to go
                    why = f"the fetched {name} is not the official file; nothing was kept"
                    raise MnistError(_not_found(root, why)) from e
            raw.mkdir(parents=True, exist_ok=True)
            for name in missing_files(root):
                shutil.move(raw_folder(tmp) / name, raw / name)
    except MnistError:
        raise
    except Exception as e:  # no network, a refused connection, a damaged .gz, a read-only folder
        why = " ".join(str(e).split()) or type(e).__name__  # torchvision's messages span lines
        raise MnistError(_not_found(root, f"the download failed: {why}")) from e


def _not_found(root, why) -> str:
    return (
        f"MNIST is not in {raw_folder(root)} ({why}). Ways out: "
        f"(1) connect to the internet once and leave MNIST_ROOT unset: torchvision downloads it into {DEFAULT_ROOT} (~12 MB); "
        f"(2) point MNIST_ROOT (or --data-root, or load_mnist(root=...)) at the folder that holds MNIST/raw/ with the files; "
        f"(3) copy the four files {', '.join(FILES)} (or their .gz) into {raw_folder(DEFAULT_ROOT)}. "
        "In Jupyter, a new MNIST_ROOT reaches a kernel only when JupyterLab is restarted from a shell that has it; "
        "load_mnist(root=...) works at once."
    )


def load_mnist(root=None, *, normalize=False, device="cpu") -> tuple:
    """(train_set, test_set) as TensorDatasets of images [N, 784] scaled to [0, 1] (standardised if `normalize`) and labels [N]."""
    from torchvision import datasets  # torchvision reads the files; notebook 01 shows this same code

    root = ensure_mnist(root)
    sets = []
    for train in (True, False):
        mnist = datasets.MNIST(root, train=train)
        images = mnist.data.reshape(-1, 28 * 28).float().div_(255)  # [N, 784]: each image's 28 rows end to end
        if normalize:
            images.sub_(MEAN).div_(STD)  # in place: no second copy of the 188 MB
        sets.append(TensorDataset(images.to(device), mnist.targets.to(device)))
    return tuple(sets)


def split_validation(train_set, *, size=VALIDATION_SIZE, seed=VALIDATION_SEED) -> tuple:
    """(fit_set, val_set): `size` images held out of `train_set` at random, the same ones for every seed of a run."""
    fit_part, val_part = torch.utils.data.random_split(
        train_set, [len(train_set) - size, size], generator=torch.Generator().manual_seed(seed)
    )
    return tuple(TensorDataset(*train_set[part.indices]) for part in (fit_part, val_part))


def share_of(dataset, fraction, *, generator=None):
    """A random `fraction` of `dataset` (all of it at 1.0), drawn with `generator`."""
    if fraction >= 1:
        return dataset
    keep = torch.randperm(len(dataset), generator=generator)[: max(1, round(fraction * len(dataset)))]
    return TensorDataset(*dataset[keep])


def batch_loader(dataset, batch_size, *, shuffle=True, generator=None):
    """Batches of (images, labels) from a dataset in memory, each fetched with one indexing (notebook 01)."""
    order = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
    return DataLoader(dataset, sampler=BatchSampler(order, batch_size, drop_last=False), batch_size=None)
