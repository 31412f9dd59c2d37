"""helpers.data: MNIST loaded and checked, batches, shares, damaged files, downloads from a local mirror, no network."""

import functools
import gzip
import hashlib
import http.server
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from support import files_under, flip
from torch.utils.data import TensorDataset
from torchvision.datasets import MNIST

import helpers.data
from helpers.data import (
    FILES,
    MEAN,
    STD,
    MnistError,
    batch_loader,
    check_file,
    ensure_mnist,
    load_mnist,
    missing_files,
    raw_folder,
    share_of,
    split_validation,
)

# No test reaches the network: torchvision's mirrors point at a closed port on 127.0.0.1 (the `offline`
# fixture), or at a small HTTP server a test starts there. Every bad file is made in tmp_path (copies of the
# official files with bytes cut or flipped); the shared MNIST folder is only read.
pytestmark = pytest.mark.usefixtures("offline")

# How many of each digit 0-9 the official files hold
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


# ---------------------------------------------------------------- the official files, loaded


def test_mnist_shapes_dtypes_and_range(mnist):
    for split, size in zip(mnist, (60_000, 10_000)):
        images, labels = split.tensors
        assert images.shape == (size, 784) and labels.shape == (size,)
        assert images.dtype == torch.float32 and labels.dtype == torch.int64
        assert images.min() == 0 and images.max() == 1  # v / 255, no mean/std (DL4J)
        assert labels.min() == 0 and labels.max() == 9


def test_mnist_label_counts_are_the_official_ones(mnist):
    train, test = mnist
    assert torch.bincount(train.tensors[1], minlength=10).tolist() == TRAIN_COUNTS
    assert torch.bincount(test.tensors[1], minlength=10).tolist() == TEST_COUNTS


def test_mean_and_std_constants_are_the_training_sets(mnist):
    images = mnist[0].tensors[0]
    assert images.mean().item() == pytest.approx(MEAN, abs=1e-4)
    assert images.std().item() == pytest.approx(STD, abs=1e-4)


def test_normalize_standardises_with_the_training_statistics(mnist_root, mnist):
    train, test = load_mnist(mnist_root, normalize=True)
    for normalized, plain in zip((train, test), mnist):  # the test set too with the training set's statistics
        assert torch.allclose(normalized.tensors[0], (plain.tensors[0] - MEAN) / STD, atol=1e-5)
        assert torch.equal(normalized.tensors[1], plain.tensors[1])
    assert abs(train.tensors[0].mean().item()) < 1e-3 and train.tensors[0].std().item() == pytest.approx(1, abs=1e-3)


def test_batches_visit_every_image_once_in_a_seeded_order():
    data = TensorDataset(torch.arange(10.0).reshape(10, 1), torch.arange(10))  # image i holds the number i
    got = list(batch_loader(data, 4, generator=torch.Generator().manual_seed(0)))
    assert [len(labels) for _, labels in got] == [4, 4, 2]  # the last batch is smaller
    order = torch.cat([labels for _, labels in got])
    assert sorted(order.tolist()) == list(range(10)) and order.tolist() != list(range(10))
    assert all(torch.equal(images[:, 0].long(), labels) for images, labels in got)  # images stay with their labels
    again = torch.cat([labels for _, labels in batch_loader(data, 4, generator=torch.Generator().manual_seed(0))])
    assert torch.equal(order, again)
    in_order = torch.cat([labels for _, labels in batch_loader(data, 4, shuffle=False)])
    assert in_order.tolist() == list(range(10))


def test_share_of_draws_a_seeded_share(mnist):
    train, _ = mnist
    a = share_of(train, 0.1, generator=torch.Generator().manual_seed(1))
    b = share_of(train, 0.1, generator=torch.Generator().manual_seed(1))
    assert len(a) == 6000 and a.tensors[0].shape == (6000, 784)
    assert all(torch.equal(x, y) for x, y in zip(a.tensors, b.tensors))
    assert share_of(train, 1.0) is train


def test_split_validation_holds_out_the_same_images_every_time(mnist):
    fit_set, val_set = split_validation(mnist[0])
    assert (len(fit_set), len(val_set)) == (55_000, 5_000)
    again = split_validation(mnist[0])[1]
    assert torch.equal(val_set.tensors[0], again.tensors[0])
    counts = torch.bincount(torch.cat([fit_set.tensors[1], val_set.tensors[1]]), minlength=10)
    assert counts.tolist() == TRAIN_COUNTS  # every training image in exactly one of the two


# ---------------------------------------------------------------- where the data is: forgiving, never written to


def test_a_root_that_is_the_mnist_or_raw_folder_itself_is_used(mnist_root, monkeypatch):
    for slip in (raw_folder(mnist_root), raw_folder(mnist_root).parent):
        assert ensure_mnist(slip) == mnist_root
        monkeypatch.setenv("MNIST_ROOT", str(slip))
        assert helpers.data.mnist_root() == mnist_root


def assert_ways_out(message, root):
    assert str(raw_folder(root)) in message
    assert "connect to the internet once" in message and "MNIST_ROOT" in message
    assert "a new MNIST_ROOT reaches a kernel only when JupyterLab is restarted from a shell that has it" in message
    for name in FILES:
        assert name in message


@pytest.mark.parametrize("exists", [True, False], ids=["empty folder", "no folder"])
def test_a_folder_named_for_the_data_is_never_written_to(exists, tmp_path):
    named = tmp_path / "my_mnist"
    if exists:
        named.mkdir()
    with pytest.raises(MnistError, match="missing: train-images-idx3-ubyte, train-labels") as raised:
        load_mnist(named)  # no download: a folder you name is for files you already have
    assert_ways_out(str(raised.value), named)
    assert [p.name for p in tmp_path.rglob("*")] == (["my_mnist"] if exists else [])


@pytest.fixture
def default_root(tmp_path, monkeypatch):
    """data/ of the repository, the one folder MNIST is downloaded into, moved to tmp_path/data (not made yet)."""
    monkeypatch.delenv("MNIST_ROOT", raising=False)
    monkeypatch.setattr(helpers.data, "DEFAULT_ROOT", tmp_path / "data")
    return tmp_path / "data"


def test_no_data_and_no_network_lists_the_ways_out_and_leaves_no_folders(default_root):
    with pytest.raises(MnistError) as raised:
        load_mnist()  # torchvision's own download code runs and meets a refused connection
    assert "the download failed" in str(raised.value)
    assert_ways_out(str(raised.value), default_root)
    assert not default_root.exists()  # neither files nor the folders made for them


# ---------------------------------------------------------------- damaged and unreadable files


def root_with(tmp_path, mnist_root, replace=None) -> Path:
    """A data root whose MNIST/raw/ links to the official files, except `replace` = {name: bytes}."""
    raw = raw_folder(tmp_path)
    raw.mkdir(parents=True)
    for name in FILES:
        if replace and name in replace:
            (raw / name).write_bytes(replace[name])
        else:
            (raw / name).symlink_to(raw_folder(mnist_root) / name)
    return tmp_path


DAMAGE = [  # file, how to damage it, what the error must say
    ("t10k-labels-idx1-ubyte", lambda d: d[:5000], "is truncated: 5,000 bytes, the official file has 10,008"),
    ("t10k-labels-idx1-ubyte", lambda d: d + b"\0" * 16, "is too long: 10,024 bytes"),
    ("t10k-labels-idx1-ubyte", lambda d: flip(d, 5000), "is damaged: its SHA-256 is"),
    ("t10k-images-idx3-ubyte", lambda d: flip(d, 123_456), "is damaged: its SHA-256 is"),
    ("train-labels-idx1-ubyte", lambda d: d[:8], "is truncated: 8 bytes"),
]


@pytest.mark.parametrize("name, damage, says", DAMAGE, ids=[f"{n}:{s[:20]}" for n, _, s in DAMAGE])
def test_damaged_file_is_named_and_never_loaded(name, damage, says, tmp_path, mnist_root):
    root = root_with(tmp_path, mnist_root, {name: damage((raw_folder(mnist_root) / name).read_bytes())})
    with pytest.raises(MnistError) as raised:
        load_mnist(root)
    message = str(raised.value)
    assert f"{raw_folder(root) / name} {says}" in message and "Copy the official file over it" in message


def test_unreadable_data_file_is_one_clear_line(tmp_path, monkeypatch):
    def unreadable(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(b"\0" * FILES[path.name][0])  # the official size, so the check has to read it
    monkeypatch.setattr(Path, "read_bytes", unreadable)  # root reads any file: fake the refusal
    with pytest.raises(MnistError) as raised:
        check_file(path)
    assert f"{path} cannot be read (Permission denied)" in str(raised.value)


# ---------------------------------------------------------------- downloads: interrupted, from a mirror, failed


def test_interrupted_download_leaves_nothing(default_root, mnist_root, monkeypatch):
    import torchvision.datasets.mnist as tv_mnist

    fetched = []

    def fetch_then_interrupt(url, download_root, filename, md5):
        """Three files arrive whole; the fourth is cut off mid-way, under its final name, by Ctrl-C."""
        name = filename.removesuffix(".gz")
        fetched.append(name)
        data = (raw_folder(mnist_root) / name).read_bytes()
        if len(fetched) < 4:
            Path(download_root, name).write_bytes(data)
            return
        Path(download_root, filename).write_bytes(b"\x1f\x8b" + data[: len(data) // 2])
        Path(download_root, name).write_bytes(data[: len(data) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(tv_mnist, "download_and_extract_archive", fetch_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        load_mnist()
    assert len(fetched) == 4
    assert not default_root.exists()  # neither the three whole files nor the partial one, nor their folders


@pytest.fixture(scope="module")
def gz_files(tmp_path_factory, mnist_root):
    """Folder with gzip copies of the four official files (what the mirrors serve), and their MD5s."""
    folder = tmp_path_factory.mktemp("mirror")
    md5 = {}
    for name in FILES:
        with (
            open(raw_folder(mnist_root) / name, "rb") as src,
            gzip.open(folder / f"{name}.gz", "wb", compresslevel=1) as dst,
        ):
            shutil.copyfileobj(src, dst)
        md5[f"{name}.gz"] = hashlib.md5((folder / f"{name}.gz").read_bytes()).hexdigest()
    return folder, md5


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """Clients close connections early on purpose here (torchvision probes each URL first): ignore."""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        """No access log in the test output."""


class _DropsHalfway(_Quiet):
    """Promises the whole file, sends half of it, then closes the connection: a dropped download."""

    def do_GET(self):
        data = Path(self.directory, self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.close_connection = True


@contextmanager
def mirror(folder, handler=_Quiet):
    """An HTTP server on 127.0.0.1 serving `folder`; yields its URL."""
    server = _QuietServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_download_end_to_end_from_a_local_mirror(default_root, gz_files, monkeypatch):
    folder, md5 = gz_files
    monkeypatch.setattr(MNIST, "resources", list(md5.items()))
    with mirror(folder) as url:
        monkeypatch.setattr(MNIST, "mirrors", [url])
        assert ensure_mnist() == default_root
    assert files_under(raw_folder(default_root)) == sorted(FILES)  # exactly the four files, no .gz, no temp folder


@pytest.mark.parametrize("how", ["dropped connection", "corrupted .gz", "wrong file with a matching md5"])
def test_failed_download_keeps_nothing(how, default_root, tmp_path, gz_files, monkeypatch):
    folder, md5 = gz_files
    handler = _DropsHalfway if how == "dropped connection" else _Quiet
    if how != "dropped connection":
        served = tmp_path / "served"
        served.mkdir()
        for name in md5:
            (served / name).symlink_to(folder / name)
        labels = served / "t10k-labels-idx1-ubyte.gz"
        good = gzip.decompress(labels.read_bytes())
        labels.unlink()
        if how == "corrupted .gz":
            labels.write_bytes(gzip.compress(good)[:3000])  # torchvision's md5 check catches this one
        else:  # a well-formed gzip of a wrong file, and torchvision's md5 matches it: only our SHA-256 sees it
            labels.write_bytes(gzip.compress(flip(good, 5000)))
            md5 = {**md5, labels.name: hashlib.md5(labels.read_bytes()).hexdigest()}
        folder = served
    monkeypatch.setattr(MNIST, "resources", list(md5.items()))
    with mirror(folder, handler) as url:
        monkeypatch.setattr(MNIST, "mirrors", [url])
        with pytest.raises(MnistError) as raised:
            load_mnist()
    message = str(raised.value)
    assert_ways_out(message, default_root)
    if how == "wrong file with a matching md5":
        assert "the fetched t10k-labels-idx1-ubyte is not the official file; nothing was kept" in message
    else:
        assert "the download failed" in message
    assert not default_root.exists()


def test_gz_files_copied_by_hand_are_unpacked_without_network(default_root, gz_files, monkeypatch):
    folder, md5 = gz_files
    monkeypatch.setattr(MNIST, "resources", list(md5.items()))  # these .gz files stand for the official ones
    raw = raw_folder(default_root)
    raw.mkdir(parents=True)
    for name in FILES:
        (raw / f"{name}.gz").symlink_to(folder / f"{name}.gz")
    ensure_mnist()  # the mirrors are a closed port: this works only if nothing is fetched
    assert missing_files(default_root) == []  # and each file was checked on the way in
