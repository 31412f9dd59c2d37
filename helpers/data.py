"""MNIST as tensors resident in memory: found or downloaded by torchvision, checked, then batched."""

import gzip
import hashlib
import http.client
import os
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import torch

REPO_DATA = Path(__file__).resolve().parent.parent / "data"  # default root, git-ignored

# The four official files: size in bytes, IDX magic number, item count, SHA-256.
# An IDX file is a big-endian header (magic, counts, sizes) followed by one uint8 per pixel/label.
FILES = {
    "train-images-idx3-ubyte": (
        47_040_016,
        2051,
        60_000,
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    "train-labels-idx1-ubyte": (
        60_008,
        2049,
        60_000,
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    "t10k-images-idx3-ubyte": (
        7_840_016,
        2051,
        10_000,
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    "t10k-labels-idx1-ubyte": (
        10_008,
        2049,
        10_000,
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
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
    try:
        problem = _problem(Path(path))
    except OSError as e:  # no permission to read it, a broken disk, a folder where a file should be
        raise MnistError(f"{path} cannot be read ({e.strerror or e}). Check its permissions. {_REPAIR}") from e
    if problem:
        raise MnistError(f"{path} {problem}. {_REPAIR}")


def _problem(path: Path) -> str:
    """What is wrong with `path` compared with the official file of its name, in words ("" if nothing)."""
    size, magic, count, sha = FILES[path.name]
    actual = path.stat().st_size
    if actual != size:
        what = "truncated" if actual < size else "too long"
        return f"is {what}: {actual:,} bytes, the official file has {size:,}"
    with open(path, "rb") as f:
        header = f.read(8)
    found_magic, found_count = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:8], "big")
    if found_magic != magic:
        return f"is not an IDX file of this kind: magic number {found_magic}, expected {magic}"
    if found_count != count:
        return f"claims {found_count:,} items, the official file has {count:,}"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha:
        return f"is damaged: its SHA-256 is {digest}, the official file's is {sha}"
    return ""


_REPAIR = "Delete it and load again to re-download it, or copy the official file over it."


def missing_files(root) -> list:
    """Names of the official files not present under `root`."""
    return [name for name in FILES if not (raw_folder(root) / name).exists()]


def download(root) -> None:
    """Fetch the missing files with torchvision into `root`, moving each into place only when complete."""
    raw = raw_folder(root)
    try:
        raw.mkdir(parents=True, exist_ok=True)
        # Work in a temporary folder beside the target, so that an interrupted download leaves nothing
        # under the real name; os.replace then moves each checked file into place atomically.
        with tempfile.TemporaryDirectory(dir=raw, prefix=".download-") as tmp:
            unpacked = _unpack_local_gz(root, raw_folder(tmp))  # the .gz files copied from a USB stick, say
            if len(unpacked) < len(missing_files(root)):
                from torchvision.datasets import MNIST  # imported here: torchvision takes seconds to import

                MNIST(tmp, train=True, download=True)
                MNIST(tmp, train=False, download=True)
            names = missing_files(root)
            for name in names:  # all checked before any is moved: a bad file keeps the others out too
                problem = _problem(raw_folder(tmp) / name)
                if problem:
                    raise MnistError(_not_found(root, f"the fetched {name} {problem}; nothing was kept"))
            for name in names:
                os.replace(raw_folder(tmp) / name, raw / name)
    except MnistError:
        raise
    # no network, a refused or dropped connection, a read-only folder, a damaged .gz
    except (OSError, RuntimeError, EOFError, zlib.error, http.client.HTTPException) as e:
        why = " ".join(str(e).split()) or type(e).__name__  # torchvision's message spans lines
        raise MnistError(_not_found(root, f"the download failed: {why}")) from e


def _unpack_local_gz(root, into: Path) -> list:
    """Decompress the <name>.gz files in root's raw folder whose <name> is missing, into `into`; return their names."""
    raw = raw_folder(root)
    into.mkdir(parents=True, exist_ok=True)
    names = [name for name in missing_files(root) if (raw / f"{name}.gz").is_file()]
    for name in names:
        try:
            with gzip.open(raw / f"{name}.gz", "rb") as src, open(into / name, "wb") as dst:
                shutil.copyfileobj(src, dst)
        except (OSError, EOFError, zlib.error) as e:  # truncated or not gzip at all
            raise MnistError(f"{raw / name}.gz is damaged ({e}). {_REPAIR}") from e
    return names


def _not_found(root, why) -> str:
    return (
        f"MNIST is not in {raw_folder(root)} ({why}). Ways out:\n"
        f"  1. connect to the internet once and run again: torchvision downloads it there (~12 MB);\n"
        f"  2. point MNIST_ROOT (or `--data-root`, or load_mnist's `root`) at a folder that has MNIST/raw/ with the files;\n"
        f"  3. copy the four files {', '.join(FILES)} (or their .gz) into {raw_folder(root)}."
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
