"""MNIST as tensors resident in memory: found or downloaded by torchvision, checked, then batched."""

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

REPO_DATA = Path(__file__).resolve().parent.parent / "data"  # default root, git-ignored

# The four official files: size in bytes, IDX magic number, item count, SHA-256.
# An IDX file is a big-endian header (magic, counts, sizes) followed by one uint8 per pixel/label.
FILES = {
    "train-images-idx3-ubyte": (47_040_016, 2051, 60_000, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "train-labels-idx1-ubyte": (60_008, 2049, 60_000, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "t10k-images-idx3-ubyte": (7_840_016, 2051, 10_000, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "t10k-labels-idx1-ubyte": (10_008, 2049, 10_000, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}

# Mean and standard deviation of all 47 million training pixels after scaling to [0, 1].
# Computed from the training set only, so nothing about the test set leaks into training.
MEAN, STD = 0.1307, 0.3081


class MnistError(RuntimeError):
    """MNIST could not be found, downloaded or trusted; the message says what to do."""


@dataclass
class Digits:
    """One split of MNIST: `images` [N, 784] float32 and `labels` [N] int64, both on one device."""

    images: torch.Tensor  # [N, 784]: each row one image, 28 rows of 28 pixels laid end to end
    labels: torch.Tensor  # [N]: the digit 0-9 each image shows

    def __len__(self) -> int:
        return len(self.labels)

    def to(self, device) -> "Digits":
        """The same split on another device (e.g. "cuda")."""
        return Digits(self.images.to(device), self.labels.to(device))


def data_root(root=None) -> Path:
    """Where MNIST lives: `root` if given, else $MNIST_ROOT, else `data/` in the repository."""
    if root is None:
        root = os.environ.get("MNIST_ROOT") or REPO_DATA
    return Path(root).expanduser()


def raw_folder(root) -> Path:
    """torchvision's layout: the four files sit in <root>/MNIST/raw/."""
    return Path(root) / "MNIST" / "raw"


def check_file(path) -> None:
    """Raise MnistError naming `path` unless it is byte-for-byte the official MNIST file."""
    path = Path(path)
    size, magic, count, sha = FILES[path.name]
    actual = path.stat().st_size
    if actual != size:
        what = "truncated" if actual < size else "too long"
        raise MnistError(f"{path} is {what}: {actual:,} bytes, the official file has {size:,}. {_REPAIR}")
    with open(path, "rb") as f:
        header = f.read(8)
    found_magic, found_count = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:8], "big")
    if found_magic != magic:
        raise MnistError(f"{path} is not an IDX file of this kind: magic number {found_magic}, expected {magic}. {_REPAIR}")
    if found_count != count:
        raise MnistError(f"{path} claims {found_count:,} items, the official file has {count:,}. {_REPAIR}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha:
        raise MnistError(f"{path} is damaged: its SHA-256 is {digest}, the official file's is {sha}. {_REPAIR}")


_REPAIR = "Delete it and load again to re-download it, or copy the official file over it."


def missing_files(root) -> list:
    """Names of the official files not present under `root`."""
    return [name for name in FILES if not (raw_folder(root) / name).exists()]


def download(root) -> None:
    """Fetch the missing files with torchvision into `root`, moving each into place only when complete."""
    from torchvision.datasets import MNIST  # imported here: torchvision takes seconds to import

    raw = raw_folder(root)
    try:
        raw.mkdir(parents=True, exist_ok=True)
        # Download into a temporary folder beside the target, so that an interrupted download
        # leaves nothing under the real name; os.replace then moves each checked file atomically.
        with tempfile.TemporaryDirectory(dir=raw, prefix=".download-") as tmp:
            MNIST(tmp, train=True, download=True)
            MNIST(tmp, train=False, download=True)
            for name in missing_files(root):
                check_file(raw_folder(tmp) / name)
                os.replace(raw_folder(tmp) / name, raw / name)
    except MnistError:
        raise
    except (OSError, RuntimeError) as e:  # no network, a refused connection, a read-only folder
        raise MnistError(_not_found(root, f"The download failed: {e}")) from e


def _not_found(root, why) -> str:
    return (
        f"MNIST is not in {raw_folder(root)} ({why}). Ways out:\n"
        f"  1. connect to the internet once and run again: torchvision downloads it there (~55 MB);\n"
        f"  2. point MNIST_ROOT (or the `root` argument) at a folder that has MNIST/raw/ with the files;\n"
        f"  3. copy the four files {', '.join(FILES)} into {raw_folder(root)}."
    )


def load_mnist(root=None, *, normalize=False, download_missing=True, device="cpu") -> tuple:
    """Return (train, test) as Digits, pixels scaled to [0, 1] (standardised if `normalize`)."""
    from torchvision.datasets import MNIST  # torchvision reads the IDX files; we do not rewrite it

    root = data_root(root)
    missing = missing_files(root)
    if missing:
        if not download_missing:
            raise MnistError(_not_found(root, f"missing: {', '.join(missing)}"))
        download(root)
    for name in FILES:
        check_file(raw_folder(root) / name)
    splits = []
    for train in (True, False):
        ds = MNIST(root, train=train, download=False)
        images = ds.data.reshape(len(ds.data), -1).to(torch.float32).div_(255)  # [N, 784] in [0, 1]
        if normalize:
            images.sub_(MEAN).div_(STD)
        splits.append(Digits(images, ds.targets.to(torch.int64)).to(device))
    return tuple(splits)


def subset(data: Digits, fraction: float, *, generator=None) -> Digits:
    """A random share of `data` (all of it when fraction is 1), drawn with `generator`."""
    if fraction >= 1:
        return data
    n = max(1, round(fraction * len(data)))
    keep = torch.randperm(len(data), generator=generator)[:n].to(data.labels.device)
    return Digits(data.images[keep], data.labels[keep])


def batches(data: Digits, batch_size: int, *, shuffle=True, generator=None):
    """Yield (images [B, 784], labels [B]) in a new random order each call; the last batch may be smaller."""
    n = len(data)
    if shuffle:
        order = torch.randperm(n, generator=generator).to(data.labels.device)
    else:
        order = torch.arange(n, device=data.labels.device)
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        yield data.images[index], data.labels[index]
