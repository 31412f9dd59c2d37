"""The command lines, helpers.train and helpers.evaluate: flags, bad flags and paths in one line, exit statuses,
Ctrl-C and SIGTERM, a full disk, a diverged run: nothing lost, no traceback."""

import pickle
import re
import signal
import subprocess
import sys

import pytest
import torch
from support import (
    Payload,
    bad_checkpoint,
    cli_env,
    files_under,
    one_line_error,
    printed_accuracy,
    run_cli,
    start_cli,
)

from helpers.checkpoint import load_checkpoint
from helpers.config import CNN_RECIPE, Config, allowed

# Everything but the one `slow` test (the CNN's full run, about 90 s) takes seconds: short runs on a share of the
# data; deselect it with `-m "not slow"`. No test asserts a time: the benchmarks (benchmarks/) measure speed.
pytestmark = pytest.mark.usefixtures("offline", "one_thread")
DEFAULT_THREADS = torch.get_num_threads()  # read at import, before the one_thread fixture sets 1
TRAIN, EVALUATE = "python -m helpers.train", "python -m helpers.evaluate"
TINY = ["--epochs", "1", "--train-fraction", "0.02", "--hidden", "32", "--no-progress"]  # 10 steps, 1,200 images
SIGNALS = {"SIGINT": 130, "SIGTERM": 143}  # Ctrl-C, `kill`: the exit status each ends with


# ---------------------------------------------------------------- python -m helpers.train: short runs


def test_cli_short_run_replaces_a_checkpoint_that_evaluate_then_reads(mnist_root, saved, tmp_path):
    path = saved[0]  # an earlier checkpoint there is replaced: --save writes over our own files
    done = run_cli("helpers.train", *TINY, "--target", "0.99", "--save", path.name, root=mnist_root, cwd=path.parent)
    assert done.returncode == 1, done.stderr  # the target is missed, and the model still saved
    assert "Run on: CPU" in done.stdout or "Run on: GPU" in done.stdout
    assert "25,450 parameters" in done.stdout and "(1,200 images, 1 epochs)" in done.stdout
    assert re.search(r"^Epoch  1/1: train loss [0-9.]+, train accuracy [0-9.]+% \(", done.stdout, re.M)
    assert "Confusion matrix format" in done.stdout and f"Saved checkpoint to {path.name}" in done.stdout
    accuracy = printed_accuracy(done.stdout)
    assert f"Accuracy {accuracy:.4f} is below the target 0.9900." in done.stdout
    saved_now = load_checkpoint(path)
    assert saved_now["config"] == Config(epochs=1, train_fraction=0.02, hidden=32) and saved_now["partial"] == ""
    assert saved_now["metrics"]["accuracy"] == pytest.approx(accuracy, abs=5e-5)
    evaluated = run_cli("helpers.evaluate", path.name, "--per-class", root=mnist_root, cwd=path.parent)
    assert evaluated.returncode == 0, evaluated.stderr
    assert printed_accuracy(evaluated.stdout) == accuracy  # the same model gives the same report
    assert f"Checkpoint: the MLP from {path.name} (test accuracy {accuracy:.2%}); saved with torch" in evaluated.stdout
    assert "digit  precision  recall" in evaluated.stdout


def test_cli_runs_in_two_processes_give_identical_weights(tmp_path, mnist, mnist_root, monkeypatch, capsys):
    """The same command in a fresh process and in this one, same seed and thread count: same bits."""
    from helpers import data, train

    argv = ["--train-fraction", "0.02", "--epochs", "1", "--hidden", "100", "--seed", "7", "--no-progress"]
    torch.set_num_threads(DEFAULT_THREADS)  # the count a learner's run uses (the fixture restores 1 afterwards)
    code = f"import sys, torch; torch.set_num_threads({DEFAULT_THREADS}); from helpers.train import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, *argv, "--save", str(tmp_path / "a.pt")],
        capture_output=True,
        text=True,
        env=cli_env(mnist_root),
        cwd=tmp_path,
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


# ---------------------------------------------------------------- python -m helpers.train: flags


def test_cli_flags_given_beside_quick_or_model_cnn_win():
    from helpers.train import parse_args

    assert (parse_args(["--quick"])[0].epochs, parse_args(["--quick"])[0].train_fraction) == (1, 0.1)
    config = parse_args(["--quick", "--epochs", "3"])[0]
    assert (config.epochs, config.train_fraction) == (3, 0.1)
    config = parse_args(["--train-fraction=0.5", "--quick", "--lr", "0.01"])[0]
    assert (config.epochs, config.train_fraction, config.lr) == (1, 0.5, 0.01)
    assert {k: getattr(parse_args(["--model", "cnn"])[0], k) for k in CNN_RECIPE} == CNN_RECIPE
    config = parse_args(["--model", "cnn", "--lr", "0.01", "--epochs", "2", "--no-normalize"])[0]
    assert (config.lr, config.epochs, config.normalize) == (0.01, 2, False) and config.schedule == "one-cycle"
    assert parse_args(["--normalize"])[0].normalize is True and parse_args([])[0].normalize is False


BAD_FLAGS = [  # argv, what the one error line must hold: the flag, the value, the allowed range
    (["--lr", "0"], ["--lr = 0.0 is not allowed", "0 < lr <= 10"]),
    (["--lr", "-0.5"], [f"--lr = -0.5 is not allowed: use {allowed('lr')}"]),
    (["--lr", "abc"], ["--lr", "'abc' is not a number", "0 < lr <= 10"]),
    (["--lr", "nan"], ["--lr = nan", "0 < lr <= 10"]),
    (["--momentum", "1"], ["--momentum = 1.0", "0 <= momentum < 1"]),
    (["--momentum", "-0.1"], ["--momentum = -0.1", "0 <= momentum < 1"]),
    (["--l2", "-1e-4"], ["--l2 = -0.0001", "0 <= l2 <= 1"]),
    (["--l2-rule", "torch"], ["argument --l2-rule: invalid choice: 'torch' (choose from 'dl4j', 'pytorch')"]),
    (["--model", "resnet"], ["argument --model: invalid choice: 'resnet' (choose from 'mlp', 'cnn')"]),
    (["--schedule", "cosine"], ["argument --schedule: invalid choice: 'cosine'"]),
    (["--batch-size", "0"], ["--batch-size = 0", "1 <= batch-size <= 60,000"]),
    (["--batch-size", "70000"], ["--batch-size = 70000", "1 <= batch-size <= 60,000"]),
    (["--batch-size", "64.5"], ["--batch-size", "'64.5' is not a whole number", "1 <= batch-size <= 60,000"]),
    (["--batch-size", "10000", "--train-fraction", "0.1"], ["--batch-size = 10000 is more than", "1 to 6,000"]),
    (["--quick", "--batch-size", "7000"], ["--batch-size = 7000", "1 to 6,000"]),
    (["--train-fraction", "0.001"], ["--batch-size = 128 is more than the 60 training images in use", "1 to 60"]),
    (["--epochs", "0"], ["--epochs = 0", "1 <= epochs <= 1,000"]),
    (["--epochs", "ten"], ["--epochs", f"'ten' is not a whole number; allowed {allowed('epochs')}"]),
    (["--hidden", "0"], ["--hidden = 0", "1 <= hidden <= 10,000"]),
    (["--seed", "-1"], ["--seed = -1", "0 <= seed"]),
    (["--train-fraction", "0"], ["--train-fraction = 0.0", "0 < train-fraction <= 1"]),
    (["--train-fraction", "1.5"], ["--train-fraction = 1.5", "0 < train-fraction <= 1"]),
    (["--target", "97"], ["--target", "97", "0 <= target <= 1"]),
    (["--target", "high"], ["--target", "'high'", "0 <= target <= 1"]),
    (["--bogus"], ["unrecognized arguments: --bogus"]),
]


@pytest.mark.parametrize("argv, named", BAD_FLAGS, ids=[" ".join(a) for a, _ in BAD_FLAGS])
def test_cli_rejects_bad_flag_in_one_line(argv, named, capsys):
    from helpers.train import main

    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    line = one_line_error(err, TRAIN)
    for text in named:
        assert text in line, line
    assert out == ""  # nothing ran


def test_cli_bad_flag_as_a_real_process(tmp_path):
    done = run_cli("helpers.train", "--momentum", "1.2", root=tmp_path, cwd=tmp_path)  # no MNIST there: never read
    assert done.returncode == 2 and done.stdout == ""
    line = one_line_error(done.stderr, TRAIN)
    assert "--momentum = 1.2" in line and "0 <= momentum < 1" in line


BAD_SAVE = {  # --save PATH -> what the one line says: empty, not ours, unwritable (twice), too long, a folder, under a file
    "": "--save got an empty path (an unset variable?)",
    "README.md": "--save README.md: that file is not a checkpoint of this tutorial, so it is left as it is",
    "/proc/nowhere/model.pt": "--save /proc/nowhere/model.pt: cannot write there (No such file or directory)",
    "/proc/model.pt": "--save /proc/model.pt: cannot write there (No such file or directory)",
    "a" * 300 + ".pt": "cannot write there (File name too long)",
    "folder": "--save folder is a folder; give a file name such as folder/model.pt",
    "README.md/model.pt": "--save README.md/model.pt: cannot write there (Not a directory)",
}


@pytest.mark.parametrize("path", BAD_SAVE, ids=lambda path: path[:20] or "empty")
def test_cli_refuses_a_bad_save_path_before_training(path, tmp_path):
    (tmp_path / "README.md").write_text("# notes\n")
    (tmp_path / "folder").mkdir()
    done = run_cli("helpers.train", "--quick", "--save", path, root=tmp_path / "no-mnist", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""  # nothing ran (no MNIST there: reading it would exit 1)
    assert BAD_SAVE[path] in one_line_error(done.stderr, TRAIN)
    assert (tmp_path / "README.md").read_text() == "# notes\n" and files_under(tmp_path) == ["README.md"]


def test_cli_diverged_run_stops_saves_nothing_and_exits_3(mnist_root, tmp_path):
    argv = [*TINY, "--lr", "10", "--momentum", "0.999", "--save", "m.pt"]
    done = run_cli("helpers.train", *argv, root=mnist_root, cwd=tmp_path)
    assert done.returncode == 3 and "Evaluate model" not in done.stdout
    line = one_line_error(done.stderr, TRAIN)
    assert "Diverged: at step" in line and "the learning rate 10 is too high" in line
    assert line.endswith("Nothing was saved.")
    assert files_under(tmp_path) == []


# ---------------------------------------------------------------- python -m helpers.train: signals, a full disk


@pytest.mark.parametrize("sig", SIGNALS)
def test_cli_stopped_by_a_signal_keeps_the_checkpoint_and_saves_the_partial_model(sig, mnist_root, saved, capsys):
    """Ctrl-C or SIGTERM sent to a real `python -m helpers.train` after its first epoch."""
    from helpers.evaluate import main as evaluate

    path = saved[0]
    before = path.read_bytes()
    argv = ["-m", "helpers.train", *TINY, "--epochs", "1000", "--train-fraction", "0.05", "--save", path.name]
    with start_cli(argv, root=mnist_root, cwd=path.parent) as process:
        seen = []
        for line in process.stdout:
            seen.append(line)
            if line.startswith("Epoch  1/1000"):
                process.send_signal(getattr(signal, sig))
                break
        out, err = process.communicate(timeout=120)
    out = "".join(seen) + out
    assert process.returncode == SIGNALS[sig], out + err
    assert "Training stopped early: interrupted after" in out and err == ""
    kept = "so model.pt was not written (the checkpoint there is as it was); the partial model went to model.partial.pt"
    assert kept in out
    assert path.read_bytes() == before and files_under(path.parent) == ["model.partial.pt", "model.pt"]
    partial = load_checkpoint(path.parent / "model.partial.pt")
    assert partial["history"]["epochs_done"] >= 1 and partial["partial"].startswith("interrupted after")
    assert evaluate([str(path.parent / "model.partial.pt"), "--data-root", str(mnist_root)]) == 0
    assert "from a run stopped early: interrupted after" in capsys.readouterr().out


SIGNAL_IN_SAVE = """
import os, runpy, signal, sys, torch
sig, real_save = getattr(signal, sys.argv.pop(1)), torch.save

class Signalling:  # the file torch.save writes to, sending the signal at its first write
    def __init__(self, f):
        self.f = f
    def write(self, data):
        os.kill(os.getpid(), sig)
        return self.f.write(data)
    def __getattr__(self, name):
        return getattr(self.f, name)

torch.save = lambda obj, f, **kwargs: real_save(obj, Signalling(f), **kwargs)
runpy.run_module("helpers.train", run_name="__main__")
"""


@pytest.mark.parametrize("sig", SIGNALS)
def test_cli_signal_during_the_save_leaves_no_temporary_file(sig, mnist_root, saved, tmp_path_factory):
    path = saved[0]
    before = path.read_bytes()
    script = tmp_path_factory.mktemp("script") / "signal_in_save.py"
    script.write_text(SIGNAL_IN_SAVE)
    with start_cli([script, sig, *TINY, "--save", path.name], root=mnist_root, cwd=path.parent) as process:
        out, err = process.communicate(timeout=120)
    assert process.returncode == SIGNALS[sig], out + err
    what = "interrupted (Ctrl-C)" if sig == "SIGINT" else "terminated (SIGTERM)"
    assert err == f"{TRAIN}: {what} before the run finished; nothing was saved (model.pt is as it was).\n"
    assert path.read_bytes() == before and files_under(path.parent) == ["model.pt"]


@pytest.fixture
def full_disk(tmp_path):
    """A folder on a 1 MB tmpfs: a checkpoint of DL4J's network (3.2 MB) does not fit."""
    folder = tmp_path / "full"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", folder], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"a 1 MB tmpfs cannot be mounted here: {mounted.stderr.strip()}")
    yield folder
    subprocess.run(["umount", folder], check=True)


def test_cli_save_on_a_full_disk_keeps_the_model_in_the_temp_folder(full_disk, mnist_root, tmp_path):
    (tmp_path / "temp").mkdir()
    argv = ["--epochs", "1", "--train-fraction", "0.02", "--no-progress", "--save", "full/m.pt"]
    done = run_cli("helpers.train", *argv, root=mnist_root, cwd=tmp_path, env={"TMPDIR": str(tmp_path / "temp")})
    assert done.returncode == 1
    line = one_line_error(done.stderr, TRAIN)
    assert "Could not write the checkpoint full/m.pt: No space left on device." in line
    fallback = re.search(r"The model was written to (\S+) instead\.$", line)[1]
    assert fallback.startswith(str(tmp_path / "temp" / "m-")) and files_under(full_disk) == []
    assert load_checkpoint(fallback)["config"] == Config(epochs=1, train_fraction=0.02)


# ---------------------------------------------------------------- python -m helpers.evaluate


@pytest.mark.parametrize("kind", ["missing", "random bytes", "not ours", "truncated", "no versions"])
def test_evaluate_cli_bad_file_one_line_exit_1(kind, tmp_path, saved, capsys):
    from helpers.evaluate import main

    path, says = bad_checkpoint(kind, tmp_path, saved[0])
    with pytest.raises(SystemExit) as exited:
        main([str(path)])
    assert exited.value.code == 1
    line = one_line_error(capsys.readouterr().err, EVALUATE)
    assert says in line


def test_evaluate_cli_malicious_file_as_a_real_process(tmp_path):
    target = tmp_path / "PWNED"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"model": Payload(target)}))
    done = run_cli("helpers.evaluate", path, root=tmp_path, cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert "refused" in one_line_error(done.stderr, EVALUATE)
    assert not target.exists()


def test_evaluate_ctrl_c_exits_130_without_a_traceback(monkeypatch, capsys):
    import helpers.checkpoint
    from helpers.evaluate import main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(helpers.checkpoint, "load_checkpoint", interrupted)
    assert main(["whatever.pt"]) == 130
    assert capsys.readouterr().err.strip() == f"{EVALUATE}: interrupted; nothing was changed."


# ---------------------------------------------------------------- the CNN's full run (slow)


@pytest.mark.slow
def test_cnn_full_run_saves_a_checkpoint_that_evaluate_confirms(mnist_root, tmp_path, capsys):
    """`--model cnn` with its own recipe (8 epochs, about 90 s on 2 cores): at least 99% on the test set."""
    argv = ["--model", "cnn", "--no-progress", "--save", "cnn.pt", "--target", "0.99"]
    done = run_cli("helpers.train", *argv, root=mnist_root, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert "model='cnn'" in done.stdout and "schedule='one-cycle'" in done.stdout and "normalize=True" in done.stdout
    assert "215,370 parameters" in done.stdout and len(re.findall(r"^Epoch +\d/8:", done.stdout, re.M)) == 8
    assert hasattr(load_checkpoint(tmp_path / "cnn.pt")["model"], "conv1")
    # evaluate in this process (its own process is tested above): the same number from the file alone
    from helpers.evaluate import main as evaluate

    assert evaluate([str(tmp_path / "cnn.pt")]) == 0
    evaluated = capsys.readouterr().out
    assert printed_accuracy(evaluated) == printed_accuracy(done.stdout) >= 0.99
    assert "Checkpoint: the CNN from " in evaluated and "cnn.pt (test accuracy 99." in evaluated
