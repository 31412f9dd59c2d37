"""Reliability: bad settings, broken data, interrupted runs, unsafe checkpoints, determinism.

Every bad file here is made in tmp_path (copies of the official files with bytes cut or flipped,
crafted pickles); the shared MNIST folder is only read. No test reaches the network: torchvision's
mirrors point at a closed port on 127.0.0.1, or at a small HTTP server the test starts there.
"""

import functools
import gzip
import hashlib
import http.server
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from torchvision.datasets import MNIST

from helpers import checkpoint as ckpt
from helpers.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from helpers.config import RANGES, TRAIN_SIZE, Config, allowed
from helpers.data import FILES, MnistError, batches, check_file, download, load_mnist, missing_files, raw_folder
from helpers.loop import History, StopTraining, fit
from helpers.model import loss_fn, mlp, sgd
from helpers.runs import optimizer_for

REPO = Path(__file__).resolve().parent.parent
HIDDEN, BATCH = 64, 100  # a small network, so each training test takes a second or two
DEFAULT_THREADS = torch.get_num_threads()  # before the fixture below sets 1


# ---------------------------------------------------------------------------------------------
# shared pieces
# ---------------------------------------------------------------------------------------------


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No test may download: torchvision's mirrors point at a closed local port, proxies are bypassed."""
    monkeypatch.setattr(MNIST, "mirrors", [f"http://127.0.0.1:{closed_port()}/"])
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.fixture(autouse=True)
def one_thread():
    """Train on one CPU thread: on a busy 2-core machine two threads spin-wait and run 10x slower.

    The test of two processes sets the default count back: determinism holds per thread count.
    """
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


def files_under(root) -> list:
    """Every regular file below `root`, as paths relative to it."""
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file())


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


def one_line_error(err: str, prog: str) -> str:
    """Assert stderr is exactly one error line from `prog`, no traceback; return it."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{prog}: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def small(mnist):
    """(train, test): the first 2,000 training and 1,000 test images, for quick runs."""
    train, test = mnist
    return type(train)(train.images[:2000], train.labels[:2000]), type(test)(test.images[:1000], test.labels[:1000])


def build(seed, hidden=HIDDEN):
    """Model, optimizer and shuffling generator exactly as the notebooks and the CLI make them."""
    torch.manual_seed(seed)
    model = mlp(784, hidden, 10)
    optimizer = sgd(model, lr=0.006, momentum=0.9, l2=1e-4, batch_size=128)
    return model, optimizer, torch.Generator().manual_seed(seed)


def reference(train, steps, seed):
    """Model and optimizer after exactly `steps` SGD steps, written out by hand (no `fit`)."""
    model, optimizer, generator = build(seed)
    done = 0
    while done < steps:
        for images, labels in batches(train, BATCH, generator=generator):
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            done += 1
            if done == steps:
                break
    return model, optimizer


def assert_same_state(model_a, opt_a, model_b, opt_b):
    """Bitwise-equal weights and momentum buffers."""
    for (name, a), b in zip(model_a.state_dict().items(), model_b.state_dict().values()):
        assert torch.equal(a, b), name
    state_a, state_b = opt_a.state_dict()["state"], opt_b.state_dict()["state"]
    assert state_a.keys() == state_b.keys() and state_a
    for i in state_a:
        assert torch.equal(state_a[i]["momentum_buffer"], state_b[i]["momentum_buffer"]), i


# ---------------------------------------------------------------------------------------------
# hyperparameters: Config and the command line
# ---------------------------------------------------------------------------------------------

BAD_CONFIG = [
    ("lr", 0),
    ("lr", -0.1),
    ("lr", 11.0),
    ("lr", float("nan")),
    ("lr", float("inf")),
    ("lr", "0.1"),
    ("lr", None),
    ("lr", True),
    ("momentum", 1.0),
    ("momentum", 1.5),
    ("momentum", -0.1),
    ("l2", -1e-4),
    ("l2", 2.0),
    ("batch_size", 0),
    ("batch_size", -1),
    ("batch_size", TRAIN_SIZE + 1),
    ("batch_size", 12.5),
    ("batch_size", "128"),
    ("epochs", 0),
    ("epochs", -3),
    ("epochs", 1.0),
    ("epochs", 1001),
    ("hidden", 0),
    ("hidden", 10_001),
    ("train_fraction", 0.0),
    ("train_fraction", -0.5),
    ("train_fraction", 1.5),
    ("seed", -1),
    ("seed", 1.5),
    ("normalize", 1),
    ("normalize", "yes"),
    ("num_rows", 27),
    ("output_num", 9),
]


@pytest.mark.parametrize("field, value", BAD_CONFIG, ids=[f"{f}={v!r}" for f, v in BAD_CONFIG])
def test_config_rejects_bad_value_naming_field_value_and_range(field, value):
    with pytest.raises((TypeError, ValueError)) as raised:
        Config(**{field: value})
    message = str(raised.value)
    assert f"Config.{field} = {value!r}" in message
    assert allowed(field) in message
    with pytest.raises(type(raised.value)):  # .replace validates exactly like a new Config
        Config().replace(**{field: value})


def test_config_accepts_every_edge_of_its_ranges():
    edges = dict(lr=10.0, momentum=0.0, l2=0.0, batch_size=TRAIN_SIZE, train_fraction=1.0, epochs=1, hidden=1, seed=0)
    assert Config(**edges).to_dict().items() >= edges.items()
    assert Config(lr=1e-9, l2=1.0, epochs=1000, hidden=10_000, momentum=0.999).momentum == 0.999
    assert set(RANGES) == set(Config().to_dict())  # every field has a range


def test_config_batch_larger_than_training_set_in_use():
    with pytest.raises(ValueError) as raised:
        Config(train_fraction=0.001, batch_size=128)  # 60 images
    message = str(raised.value)
    assert "Config.batch_size = 128" in message and "1 to 60" in message and "train_fraction" in message


def test_config_unknown_field_lists_the_fields():
    with pytest.raises(TypeError, match=r"no field learning_rate; the fields are: .*\blr\b"):
        Config().replace(learning_rate=0.1)


BAD_FLAGS = [  # argv, what the one error line must name: the flag, the value, the allowed range
    (["--lr", "0"], ["--lr", "0.0", "0 < lr <= 10"]),
    (["--lr", "-0.5"], ["--lr", "-0.5", "0 < lr <= 10"]),
    (["--lr", "abc"], ["--lr", "'abc'", "0 < lr <= 10"]),
    (["--lr", "nan"], ["--lr", "nan", "0 < lr <= 10"]),
    (["--momentum", "1"], ["--momentum", "1.0", "0 <= momentum < 1"]),
    (["--momentum", "-0.1"], ["--momentum", "-0.1", "0 <= momentum < 1"]),
    (["--l2", "-1e-4"], ["--l2", "-0.0001", "0 <= l2 <= 1"]),
    (["--batch-size", "0"], ["--batch-size", "0", "1 <= batch-size <= 60,000"]),
    (["--batch-size", "70000"], ["--batch-size", "70000", "1 <= batch-size <= 60,000"]),
    (["--batch-size", "64.5"], ["--batch-size", "'64.5'", "1 <= batch-size <= 60,000"]),
    (["--batch-size", "10000", "--train-fraction", "0.1"], ["--batch-size", "10000", "1 to 6000"]),
    (["--quick", "--batch-size", "7000"], ["--batch-size", "7000", "1 to 6000"]),
    (["--epochs", "0"], ["--epochs", "0", "1 <= epochs <= 1,000"]),
    (["--epochs", "ten"], ["--epochs", "'ten'", "1 <= epochs <= 1,000"]),
    (["--hidden", "0"], ["--hidden", "0", "1 <= hidden <= 10,000"]),
    (["--seed", "-1"], ["--seed", "-1", "0 <= seed"]),
    (["--train-fraction", "0"], ["--train-fraction", "0.0", "0 < train-fraction <= 1"]),
    (["--train-fraction", "1.5"], ["--train-fraction", "1.5", "0 < train-fraction <= 1"]),
    (["--target", "97"], ["--target", "97", "0 <= target <= 1"]),
    (["--target", "high"], ["--target", "'high'", "0 <= target <= 1"]),
]


@pytest.mark.parametrize("argv, named", BAD_FLAGS, ids=[" ".join(a) for a, _ in BAD_FLAGS])
def test_cli_rejects_bad_flag_in_one_line(argv, named, capsys):
    from helpers.train import main

    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    line = one_line_error(err, "python -m helpers.train")
    for text in named:
        assert text in line, line
    assert out == ""  # nothing ran


def test_cli_bad_flag_as_a_real_process():
    done = subprocess.run(
        [sys.executable, "-m", "helpers.train", "--momentum", "1.2"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and done.stdout == ""
    line = one_line_error(done.stderr, "python -m helpers.train")
    assert "--momentum = 1.2" in line and "0 <= momentum < 1" in line


@pytest.mark.parametrize("where", ["folder", "file as folder"])
def test_cli_refuses_unwritable_save_path_before_training(where, tmp_path, monkeypatch, capsys):
    from helpers import data, train

    monkeypatch.setattr(data, "load_mnist", lambda *a, **k: pytest.fail("it loaded data before checking --save"))
    (tmp_path / "a_file").write_text("x")
    target = tmp_path if where == "folder" else tmp_path / "a_file" / "model.pt"
    with pytest.raises(SystemExit) as exited:
        train.main(["--quick", "--save", str(target)])
    assert exited.value.code == 2
    assert "--save" in one_line_error(capsys.readouterr().err, "python -m helpers.train")


def test_playground_sliders_cannot_produce_an_invalid_config(mnist):
    """Every value a playground slider can take, even when pushed past its ends, is one Config accepts."""
    import ipywidgets
    import traitlets

    from helpers import playground

    pg = playground.Playground(*mnist)
    assert set(pg.sliders) == set(playground.SLIDERS) and set(playground.SLIDERS) <= set(RANGES)
    for name, slider in pg.sliders.items():
        if isinstance(slider, ipywidgets.SelectionSlider):
            values = [value for _, value in slider.options]
            with pytest.raises(traitlets.TraitError):
                slider.value = -1.0  # not one of its stops: refused by the widget itself
        else:
            log = isinstance(slider, ipywidgets.FloatLogSlider)
            values = [slider.base**slider.min, slider.base**slider.max] if log else [slider.min, slider.max]
            for beyond in (-1e9, 1e9):  # typed into the readout or set from code: the widget clamps it
                slider.value = beyond
                values.append(slider.value)
        for value in values:
            Config().replace(**{name: value})  # raises, naming the field, if a slider reaches outside Config


# ---------------------------------------------------------------------------------------------
# data: missing, no network, damaged files, interrupted and real downloads
# ---------------------------------------------------------------------------------------------


def assert_ways_out(message, root):
    assert str(raw_folder(root)) in message
    assert "connect to the internet once" in message
    assert "MNIST_ROOT" in message
    for name in FILES:
        assert name in message


def test_no_data_and_no_network_lists_the_ways_out(tmp_path):
    with pytest.raises(MnistError) as raised:
        load_mnist(tmp_path)  # torchvision's own download code runs and meets a refused connection
    message = str(raised.value)
    assert "the download failed" in message
    assert_ways_out(message, tmp_path)
    assert files_under(tmp_path) == []  # nothing half-downloaded left behind


def test_no_data_without_download_lists_missing_files_and_ways_out(tmp_path):
    with pytest.raises(MnistError, match="missing: train-images-idx3-ubyte, train-labels") as raised:
        load_mnist(tmp_path, download_missing=False)
    assert_ways_out(str(raised.value), tmp_path)


def _cut(data, n):
    return data[:n]


def _flip(data, at):
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _set_int(data, at, value):
    return data[:at] + value.to_bytes(4, "big") + data[at + 4 :]


DAMAGE = [  # file, how to damage it, what the error must say
    ("t10k-labels-idx1-ubyte", lambda d: _cut(d, 5000), "is truncated: 5,000 bytes, the official file has 10,008"),
    ("t10k-labels-idx1-ubyte", lambda d: d + b"\0" * 16, "is too long: 10,024 bytes"),
    ("t10k-labels-idx1-ubyte", lambda d: _set_int(d, 0, 2051), "magic number 2051, expected 2049"),
    ("t10k-labels-idx1-ubyte", lambda d: _set_int(d, 4, 9_999), "claims 9,999 items, the official file has 10,000"),
    ("t10k-labels-idx1-ubyte", lambda d: _flip(d, 5000), "is damaged: its SHA-256 is"),
    ("t10k-images-idx3-ubyte", lambda d: _flip(d, 123_456), "is damaged: its SHA-256 is"),
    ("train-labels-idx1-ubyte", lambda d: _cut(d, 8), "is truncated: 8 bytes"),
]


@pytest.mark.parametrize("name, damage, says", DAMAGE, ids=[f"{n}:{s[:20]}" for n, _, s in DAMAGE])
def test_damaged_file_is_named_and_never_loaded(name, damage, says, tmp_path, mnist_root):
    root = root_with(tmp_path, mnist_root, {name: damage((raw_folder(mnist_root) / name).read_bytes())})
    for download_missing in (False, True):  # present but damaged: never silently re-downloaded or used
        with pytest.raises(MnistError) as raised:
            load_mnist(root, download_missing=download_missing)
        message = str(raised.value)
        assert f"{raw_folder(root) / name} " in message and says in message
        assert "Delete it" in message
    with pytest.raises(MnistError, match=says.split(":")[0]):
        check_file(raw_folder(root) / name)


def test_interrupted_download_leaves_nothing_that_looks_complete(tmp_path, mnist_root, monkeypatch):
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
        load_mnist(tmp_path)
    assert len(fetched) == 4
    assert files_under(tmp_path) == []  # neither the three whole files nor the partial one under a real name
    assert missing_files(tmp_path) == list(FILES)
    with pytest.raises(MnistError, match="missing: " + ", ".join(FILES)):
        load_mnist(tmp_path, download_missing=False)


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


def test_download_end_to_end_from_a_local_mirror(tmp_path, gz_files, monkeypatch):
    folder, md5 = gz_files
    monkeypatch.setattr(MNIST, "resources", list(md5.items()))
    with mirror(folder) as url:
        monkeypatch.setattr(MNIST, "mirrors", [url])
        download(tmp_path)
    assert files_under(raw_folder(tmp_path)) == sorted(FILES)  # exactly the four files, no .gz, no temp folder
    for name in FILES:
        check_file(raw_folder(tmp_path) / name)  # byte-for-byte the official files (size, header, SHA-256)


@pytest.mark.parametrize("how", ["dropped connection", "corrupted .gz", "wrong file with a matching md5"])
def test_failed_download_keeps_nothing(how, tmp_path, gz_files, monkeypatch):
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
            labels.write_bytes(gzip.compress(_flip(good, 5000)))
            md5 = {**md5, labels.name: hashlib.md5(labels.read_bytes()).hexdigest()}
        folder = served
    monkeypatch.setattr(MNIST, "resources", list(md5.items()))
    root = tmp_path / "root"
    with mirror(folder, handler) as url:
        monkeypatch.setattr(MNIST, "mirrors", [url])
        with pytest.raises(MnistError) as raised:
            load_mnist(root)
    message = str(raised.value)
    assert_ways_out(message, root)
    if how == "wrong file with a matching md5":
        assert "the fetched t10k-labels-idx1-ubyte is damaged: its SHA-256" in message
    else:
        assert "the download failed" in message
    assert files_under(root) == []


def test_gz_files_copied_by_hand_are_unpacked_without_network(tmp_path, gz_files):
    folder, _ = gz_files
    raw = raw_folder(tmp_path)
    raw.mkdir(parents=True)
    for name in FILES:
        (raw / f"{name}.gz").symlink_to(folder / f"{name}.gz")
    download(tmp_path)  # the mirrors are a closed port: this works only if nothing is fetched
    for name in FILES:
        check_file(raw / name)


# ---------------------------------------------------------------------------------------------
# interrupted training
# ---------------------------------------------------------------------------------------------


class InterruptAt:
    """A callback pressing Ctrl-C (raising KeyboardInterrupt) right after step `step`."""

    def __init__(self, step):
        self.step = step

    def on_step(self, history, loss):
        if history.steps == self.step:
            raise KeyboardInterrupt


def test_fit_interrupted_mid_epoch_keeps_the_last_finished_step(small):
    train, test = small
    steps = 20 + 7  # 20 steps per epoch: stopped 7 steps into the second epoch
    model, optimizer, generator = build(seed=5)
    history = fit(
        model,
        optimizer,
        train,
        test,
        epochs=3,
        batch_size=BATCH,
        generator=generator,
        callbacks=[InterruptAt(steps)],
        progress=False,
    )
    assert history.stopped == "interrupted after 1 full epoch (27 steps)"
    assert (history.steps, history.epochs_done) == (27, 1)
    assert len(history.train_loss) == len(history.test_accuracy) == len(history.epoch_seconds) == 1
    assert_same_state(model, optimizer, *reference(train, steps, seed=5))
    assert model.training


def test_ctrl_c_during_an_optimizer_step_counts_that_step(small, sigint_raises):
    """A real SIGINT arriving while optimizer.step() runs: the step is applied, so it must be counted."""
    train, _ = small
    model, optimizer, generator = build(seed=6)
    real_step = optimizer.step

    def step_then_sigint(*args, **kwargs):
        result = real_step(*args, **kwargs)
        if history.steps == 12:  # the 13th step: its update is done when the signal lands
            signal.raise_signal(signal.SIGINT)
        return result

    optimizer.step = step_then_sigint
    history = History()
    fit(model, optimizer, train, epochs=2, batch_size=BATCH, generator=generator, progress=False, history=history)
    assert history.stopped.startswith("interrupted") and history.steps == 13
    assert_same_state(model, optimizer, *reference(train, 13, seed=6))


def test_ctrl_c_during_test_evaluation_keeps_history_consistent(small, sigint_raises, monkeypatch):
    from helpers import training

    train, test = small
    real_accuracy = training.accuracy

    def accuracy_then_sigint(model, data):
        value = real_accuracy(model, data)
        signal.raise_signal(signal.SIGINT)
        return value

    monkeypatch.setattr(training, "accuracy", accuracy_then_sigint)
    model, optimizer, generator = build(seed=7)
    history = fit(model, optimizer, train, test, epochs=3, batch_size=BATCH, generator=generator, progress=False)
    assert history.stopped.startswith("interrupted")
    assert len(history.train_loss) == len(history.test_accuracy) == len(history.epoch_seconds) == history.epochs_done
    assert history.steps == 20 * history.epochs_done
    assert model.training


def test_stop_training_from_a_callback_keeps_the_state(small):
    class StopAfterEpoch:
        def on_epoch(self, history):
            raise StopTraining("the Stop button")

    train, test = small
    model, optimizer, generator = build(seed=8)
    history = fit(
        model,
        optimizer,
        train,
        test,
        epochs=5,
        batch_size=BATCH,
        generator=generator,
        callbacks=[StopAfterEpoch()],
        progress=False,
    )
    assert (history.stopped, history.epochs_done, history.steps) == ("the Stop button", 1, 20)
    assert_same_state(model, optimizer, *reference(train, 20, seed=8))


def test_cli_interrupted_prints_how_far_saves_and_exits_130(tmp_path, mnist, monkeypatch, capsys):
    from helpers import data, train

    class PrinterThenCtrlC(train.EpochPrinter):
        def on_epoch(self, history):
            super().on_epoch(history)
            if history.epochs_done == 2:
                raise KeyboardInterrupt

    monkeypatch.setattr(data, "load_mnist", lambda *a, **k: mnist)
    monkeypatch.setattr(train, "EpochPrinter", PrinterThenCtrlC)
    path = tmp_path / "run" / "model.pt"
    code = train.main(
        ["--train-fraction", "0.02", "--epochs", "9", "--hidden", "32", "--no-progress", "--save", str(path)]
    )
    out = capsys.readouterr().out
    assert code == 130
    assert "Training stopped early: interrupted after 2 full epochs (20 steps)." in out
    assert "Epoch  3/9" not in out
    saved = load_checkpoint(path)
    assert saved["history"]["epochs_done"] == 2 and saved["history"]["stopped"].startswith("interrupted")
    assert saved["config"].hidden == 32 and 0 < saved["metrics"]["accuracy"] <= 1


def test_cli_interrupted_outside_training_exits_130_without_traceback(monkeypatch, capsys):
    from helpers import data, train

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(data, "load_mnist", ctrl_c)
    assert train.main(["--quick", "--no-progress"]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err


def test_cli_real_sigint_as_a_process(tmp_path, mnist_root):
    """Ctrl-C sent to a real `python -m helpers.train` after its first epoch."""
    path = tmp_path / "model.pt"
    code = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler)\n"  # even if started ignoring it
        "from helpers.train import main; sys.exit(main(sys.argv[1:]))"
    )
    argv = ["--train-fraction", "0.05", "--epochs", "1000", "--hidden", "32", "--no-progress", "--save", str(path)]
    env = {**os.environ, "MNIST_ROOT": str(mnist_root), "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    ) as process:
        seen = []
        for line in process.stdout:
            seen.append(line)
            if line.startswith("Epoch  1/1000"):
                process.send_signal(signal.SIGINT)
                break
        out, err = process.communicate(timeout=60)
    out = "".join(seen) + out
    assert process.returncode == 130, out + err
    assert "Training stopped early: interrupted after" in out and "Traceback" not in err
    saved = load_checkpoint(path)
    assert saved["history"]["epochs_done"] >= 1 and saved["history"]["stopped"].startswith("interrupted")
    assert files_under(tmp_path) == ["model.pt"]


# ---------------------------------------------------------------------------------------------
# checkpoints: atomic writes, safe loads
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    """A real checkpoint of a hidden=1000 model (as the tutorial saves it), and the model."""
    torch.manual_seed(0)
    model = mlp(784, 1000, 10)
    path = save_checkpoint(tmp_path / "model.pt", model, Config(), metrics={"accuracy": 0.5})
    return path, model


@pytest.mark.parametrize(
    "crash", [OSError(28, "No space left on device"), KeyboardInterrupt()], ids=["disk full", "ctrl-c"]
)
def test_crash_mid_write_keeps_the_previous_checkpoint(crash, saved, monkeypatch):
    path, model = saved
    before = path.read_bytes()

    def half_a_save(obj, f, *args, **kwargs):
        f.write(before[: len(before) // 2])  # some bytes reach the disk, then the crash
        raise crash

    monkeypatch.setattr(torch, "save", half_a_save)
    torch.manual_seed(1)
    with pytest.raises(type(crash)):
        save_checkpoint(path, mlp(784, 1000, 10), Config(seed=1))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert files_under(path.parent) == ["model.pt"]  # no temporary file left
    loaded = load_checkpoint(path)
    assert loaded["config"] == Config() and loaded["metrics"] == {"accuracy": 0.5}
    assert torch.equal(loaded["model"].hidden.weight, model.hidden.weight)


def test_checkpoint_round_trip_keeps_everything(tmp_path, small):
    train, test = small
    model, optimizer, generator = build(seed=3)
    history = fit(model, optimizer, train, test, epochs=1, batch_size=BATCH, generator=generator, progress=False)
    config = Config(hidden=HIDDEN, batch_size=BATCH, epochs=1, seed=3)
    loaded = load_checkpoint(save_checkpoint(tmp_path / "c.pt", model, config, history=history, optimizer=optimizer))
    assert loaded["config"] == config and loaded["history"] == history.to_dict()
    for a, b in zip(model.state_dict().values(), loaded["model"].state_dict().values()):
        assert torch.equal(a, b)
    optimizer2 = optimizer_for(loaded["model"], config)
    optimizer2.load_state_dict(loaded["optimizer"])
    assert_same_state(model, optimizer, loaded["model"], optimizer2)


class Payload:
    """Unpickling this creates the file `target`: what a malicious 'checkpoint' could do."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


def _bad_checkpoint(kind, tmp_path, saved_path):
    """A crafted bad file of this kind, and what the error must say about it."""
    good = saved_path.read_bytes()
    noise = (
        torch.randint(0, 256, (4096,), generator=torch.Generator().manual_seed(0), dtype=torch.uint8).numpy().tobytes()
    )
    damaged = "is damaged or not a PyTorch file"
    raw = {  # kind -> (bytes, error)
        "truncated": (good[: len(good) // 2], damaged),
        "flipped byte": (_flip(good, len(good) // 2), "is damaged: its contents do not match the SHA-256"),
        "random bytes": (noise, damaged),
        "empty": (b"", damaged),
        "text": (b"hello\n", damaged),
    }
    saved_objects = {  # kind -> (what torch.save wrote, error)
        "not ours": ({"weights": [1, 2, 3], "note": "someone else's"}, "is not a checkpoint of this tutorial"),
        "bare state_dict": (mlp(784, 10, 10).state_dict(), "bare state_dict"),
        "other version": ({"format": ckpt.FORMAT, "version": 99}, "checkpoint version 99"),
        "no config": ({"format": ckpt.FORMAT, "version": ckpt.VERSION, "model": {}}, "holds no valid config"),
    }
    path = tmp_path / f"{kind.replace(' ', '_')}.pt"
    if kind == "missing":
        return path, "no such checkpoint file"
    if kind in raw:
        path.write_bytes(raw[kind][0])
        return path, raw[kind][1]
    torch.save(saved_objects[kind][0], path)
    return path, saved_objects[kind][1]


@pytest.mark.parametrize(
    "kind",
    [
        "missing",
        "truncated",
        "flipped byte",
        "random bytes",
        "empty",
        "text",
        "not ours",
        "bare state_dict",
        "other version",
        "no config",
    ],
)
def test_load_refuses_bad_checkpoint_with_a_clear_message(kind, tmp_path, saved):
    path, says = _bad_checkpoint(kind, tmp_path, saved[0])
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(path)
    assert str(path) in str(raised.value) and says in str(raised.value)


def test_load_refuses_another_architecture_naming_both_shapes(tmp_path, saved):
    path = save_checkpoint(tmp_path / "small.pt", mlp(784, 500, 10), Config(hidden=500))
    model = mlp(784, 1000, 10)
    before = model.hidden.weight.clone()
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(path, model)
    message = str(raised.value)
    assert (
        "[500, 784] in the checkpoint" in message and "[1000, 784] in the model" in message and "hidden=500" in message
    )
    assert torch.equal(model.hidden.weight, before)  # the model was left untouched
    assert load_checkpoint(path)["model"].hidden.out_features == 500  # without a model, it builds the right one


@pytest.mark.parametrize("form", ["torch.save", "plain pickle"])
def test_load_refuses_a_pickle_that_would_run_code(form, tmp_path):
    target = tmp_path / "PWNED"
    payload = {"format": ckpt.FORMAT, "version": ckpt.VERSION, "model": Payload(target)}
    path = tmp_path / "evil.pt"
    if form == "torch.save":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    # first prove the payload is live: an unsafe load does create the file
    loaded = torch.load(path, weights_only=False) if form == "torch.save" else pickle.loads(path.read_bytes())
    loaded["model"].close()
    assert target.exists()
    target.unlink()
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(path)
    assert "refused" in str(raised.value) and str(path) in str(raised.value)
    assert not target.exists()  # nothing ran


@pytest.mark.parametrize("kind", ["missing", "random bytes", "not ours", "truncated"])
def test_evaluate_cli_bad_file_one_line_exit_1(kind, tmp_path, saved, capsys):
    from helpers.evaluate import main

    path, says = _bad_checkpoint(kind, tmp_path, saved[0])
    with pytest.raises(SystemExit) as exited:
        main([str(path)])
    assert exited.value.code == 1
    line = one_line_error(capsys.readouterr().err, "python -m helpers.evaluate")
    assert says in line


def test_evaluate_cli_malicious_file_as_a_real_process(tmp_path):
    target = tmp_path / "PWNED"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"model": Payload(target)}))
    done = subprocess.run(
        [sys.executable, "-m", "helpers.evaluate", str(path)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 1 and done.stdout == ""
    assert "refused" in one_line_error(done.stderr, "python -m helpers.evaluate")
    assert not target.exists()


# ---------------------------------------------------------------------------------------------
# determinism
# ---------------------------------------------------------------------------------------------


def _run(train, test, seed, epochs=3):
    model, optimizer, generator = build(seed, hidden=128)
    history = fit(model, optimizer, train, test, epochs=epochs, batch_size=BATCH, generator=generator, progress=False)
    return model, optimizer, history


def test_same_seed_same_threads_gives_bitwise_identical_runs(mnist, small):
    train, _ = mnist
    train = type(train)(train.images[:10_000], train.labels[:10_000])  # 100 steps per epoch, 300 in all
    test = small[1]
    a, opt_a, history_a = _run(train, test, seed=123)
    b, opt_b, history_b = _run(train, test, seed=123)
    assert history_a.steps == 300
    assert_same_state(a, opt_a, b, opt_b)
    assert (history_a.train_loss, history_a.test_accuracy) == (history_b.train_loss, history_b.test_accuracy)
    c, _, history_c = _run(train, test, seed=124, epochs=1)
    assert not torch.equal(a.hidden.weight, c.hidden.weight)
    assert history_c.train_loss[0] != history_a.train_loss[0]


def test_cli_runs_in_two_processes_give_identical_weights(tmp_path, mnist, mnist_root, monkeypatch, capsys):
    """The same command in a fresh process and in this one, same seed and thread count: same bits."""
    from helpers import data, train

    argv = ["--train-fraction", "0.02", "--epochs", "1", "--hidden", "100", "--seed", "7", "--no-progress"]
    torch.set_num_threads(DEFAULT_THREADS)  # the count a learner's run uses (the fixture restores 1 afterwards)
    code = f"import sys, torch; torch.set_num_threads({DEFAULT_THREADS}); from helpers.train import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "MNIST_ROOT": str(mnist_root)}
    done = subprocess.run(
        [sys.executable, "-c", code, *argv, "--save", str(tmp_path / "a.pt")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    monkeypatch.setattr(data, "load_mnist", lambda *a, **k: mnist)  # the same tensors, already in memory
    assert train.main([*argv, "--save", str(tmp_path / "b.pt")]) == 0
    a, b = load_checkpoint(tmp_path / "a.pt"), load_checkpoint(tmp_path / "b.pt")
    for (name, x), y in zip(a["model"].state_dict().items(), b["model"].state_dict().values()):
        assert torch.equal(x, y), name
    assert a["history"]["train_loss"] == b["history"]["train_loss"] and a["metrics"] == b["metrics"]
    assert capsys.readouterr().out.count("Epoch ") == 1


def test_cli_quick_keeps_the_epochs_and_share_given_beside_it():
    from helpers.train import parse_args

    assert (parse_args(["--quick"])[0].epochs, parse_args(["--quick"])[0].train_fraction) == (1, 0.1)
    config = parse_args(["--quick", "--epochs", "3"])[0]
    assert (config.epochs, config.train_fraction) == (3, 0.1)
    config = parse_args(["--train-fraction=0.5", "--quick", "--lr", "0.01"])[0]
    assert (config.epochs, config.train_fraction, config.lr) == (1, 0.5, 0.01)


class Ended:
    """A callback recording the calls of on_end."""

    def __init__(self):
        self.calls = []

    def on_end(self, history):
        self.calls.append((history.steps, history.stopped))


def test_fit_tells_callbacks_once_where_it_stopped(small):
    train, test = small
    model, optimizer, generator = build(seed=5)
    ended = Ended()
    fit(
        model,
        optimizer,
        train,
        test,
        epochs=2,
        batch_size=BATCH,
        generator=generator,
        callbacks=[InterruptAt(27), ended],
        progress=False,
    )
    assert ended.calls == [(27, "interrupted after 1 full epoch (27 steps)")]
    ended = Ended()
    fit(
        model,
        optimizer,
        train,
        test,
        epochs=1,
        batch_size=BATCH,
        generator=generator,
        callbacks=[ended],
        progress=False,
    )
    assert ended.calls == [(20, "")]  # "": not stopped


def test_live_curves_picture_says_where_training_stopped(small):
    from helpers.plots import LiveCurves

    train, test = small
    model, optimizer, generator = build(seed=5)
    live = LiveCurves(20, every=5, epochs=3)
    fit(
        model,
        optimizer,
        train,
        test,
        epochs=3,
        batch_size=BATCH,
        generator=generator,
        callbacks=[live, InterruptAt(27)],
        progress=False,
    )
    text = " ".join(t.get_text() for t in live.bar_ax.texts)
    assert "step 27 of 60" in text and "stopped: interrupted after 1 full epoch (27 steps)" in text, text


def test_load_calls_a_garbled_pickle_damaged_not_dangerous(tmp_path):
    path = tmp_path / "garbled.pt"
    path.write_bytes(b"\x80\x02garbage")
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(path)
    assert "is damaged or not a PyTorch file" in str(raised.value) and "run code" not in str(raised.value)


def _unreadable(*args, **kwargs):
    raise PermissionError(13, "Permission denied")


def test_unreadable_checkpoint_is_one_clear_line(tmp_path, saved, monkeypatch):
    monkeypatch.setattr(ckpt, "open", _unreadable, raising=False)  # root reads any file: fake the refusal
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(saved[0])
    assert f"{saved[0]} cannot be read (Permission denied)" in str(raised.value)


def test_unreadable_data_file_is_one_clear_line(tmp_path, monkeypatch):
    import helpers.data

    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(b"\0" * FILES[path.name][0])  # the official size, so the check has to open it
    monkeypatch.setattr(helpers.data, "open", _unreadable, raising=False)
    with pytest.raises(MnistError) as raised:
        check_file(path)
    assert f"{path} cannot be read (Permission denied)" in str(raised.value)


def test_evaluate_ctrl_c_exits_130_without_a_traceback(monkeypatch, capsys):
    import helpers.checkpoint
    from helpers.evaluate import main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(helpers.checkpoint, "load_checkpoint", interrupted)
    assert main(["whatever.pt"]) == 130
    assert capsys.readouterr().err.strip() == "python -m helpers.evaluate: interrupted; nothing was changed."
