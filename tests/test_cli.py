"""The command lines, helpers.train and helpers.evaluate: flags, bad flags in one line, exit codes, Ctrl-C, full runs."""

import pickle
import re
import signal
import subprocess
import sys

import pytest
import torch
from nbrun import ROOT
from support import (
    Payload,
    bad_checkpoint,
    cli_env,
    files_under,
    one_line_error,
    printed_accuracy,
    run_cli,
)

from helpers.checkpoint import load_checkpoint
from helpers.config import CNN_RECIPE, DL4J_ACCURACY, Config, allowed

# Everything but the three `slow` runs takes seconds (short runs on a share of the data). The slow ones are
# full runs through the command line (the reference, --normalize, --model cnn); deselect them with
# `-m "not slow"`. No test asserts a time: the benchmarks (benchmarks/) measure speed.
pytestmark = pytest.mark.usefixtures("offline", "one_thread")
DEFAULT_THREADS = torch.get_num_threads()  # read at import, before the one_thread fixture sets 1
TRAIN, EVALUATE = "python -m helpers.train", "python -m helpers.evaluate"


# ---------------------------------------------------------------- python -m helpers.train: short runs


def test_cli_short_run_saves_a_checkpoint_that_evaluate_reads(mnist_root, tmp_path):
    done = run_cli(
        "helpers.train",
        "--epochs",
        "1",
        "--train-fraction",
        "0.1",
        "--no-progress",
        "--save",
        "m.pt",
        root=mnist_root,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Run on: CPU" in done.stdout or "Run on: GPU" in done.stdout
    assert "795,010 parameters" in done.stdout and "(6,000 images, 1 epochs)" in done.stdout
    assert re.search(r"Epoch  1/1: train loss [0-9.]+, test accuracy [0-9.]+%", done.stdout)
    assert "Confusion matrix format" in done.stdout
    acc = printed_accuracy(done.stdout)
    assert acc > 0.75  # one epoch on 6,000 images reaches ~84%
    saved = load_checkpoint(tmp_path / "m.pt")
    assert saved["config"] == Config(epochs=1, train_fraction=0.1)
    assert saved["metrics"]["accuracy"] == pytest.approx(acc, abs=5e-5)
    evaluated = run_cli("helpers.evaluate", "m.pt", root=mnist_root, cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert printed_accuracy(evaluated.stdout) == acc  # the same model gives the same report


def test_cli_target_missed_exits_1(mnist_root, tmp_path):
    done = run_cli(
        "helpers.train",
        "--epochs",
        "1",
        "--train-fraction",
        "0.01",
        "--no-progress",
        "--target",
        "0.99",
        root=mnist_root,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert re.search(r"Accuracy 0\.[0-9]{4} is below the target 0\.9900", done.stdout)


def test_cli_quick_keeps_the_epochs_and_share_given_beside_it():
    from helpers.train import parse_args

    assert (parse_args(["--quick"])[0].epochs, parse_args(["--quick"])[0].train_fraction) == (1, 0.1)
    config = parse_args(["--quick", "--epochs", "3"])[0]
    assert (config.epochs, config.train_fraction) == (3, 0.1)
    config = parse_args(["--train-fraction=0.5", "--quick", "--lr", "0.01"])[0]
    assert (config.epochs, config.train_fraction, config.lr) == (1, 0.5, 0.01)


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


# ---------------------------------------------------------------- python -m helpers.train: bad flags, exit 2

BAD_FLAGS = [  # argv, what the one error line must hold: the flag, the value, the allowed range
    (["--lr", "0"], ["--lr", "0.0", "0 < lr <= 10"]),
    (["--lr", "-0.5"], [f"--lr = -0.5 is out of range: allowed {allowed('lr')}"]),
    (["--lr", "abc"], ["--lr", "'abc'", "0 < lr <= 10"]),
    (["--lr", "nan"], ["--lr", "nan", "0 < lr <= 10"]),
    (["--momentum", "1"], ["--momentum", "1.0", "0 <= momentum < 1"]),
    (["--momentum", "-0.1"], ["--momentum", "-0.1", "0 <= momentum < 1"]),
    (["--l2", "-1e-4"], ["--l2", "-0.0001", "0 <= l2 <= 1"]),
    (["--l2-rule", "torch"], ["argument --l2-rule: invalid choice: 'torch' (choose from "]),
    (["--batch-size", "0"], ["--batch-size", "0", "1 <= batch-size <= 60,000"]),
    (["--batch-size", "70000"], ["--batch-size", "70000", "1 <= batch-size <= 60,000"]),
    (["--batch-size", "64.5"], ["--batch-size", "'64.5'", "1 <= batch-size <= 60,000"]),
    (["--batch-size", "10000", "--train-fraction", "0.1"], ["--batch-size", "10000", "1 to 6000"]),
    (["--quick", "--batch-size", "7000"], ["--batch-size", "7000", "1 to 6000"]),
    (["--train-fraction", "0.001"], ["--batch-size = 128 is larger than the training set in use", "1 to 60"]),
    (["--epochs", "0"], ["--epochs", "0", "1 <= epochs <= 1,000"]),
    (["--epochs", "ten"], ["--epochs", f"'ten' is not a whole number; allowed {allowed('epochs')}"]),
    (["--hidden", "0"], ["--hidden", "0", "1 <= hidden <= 10,000"]),
    (["--seed", "-1"], ["--seed", "-1", "0 <= seed"]),
    (["--train-fraction", "0"], ["--train-fraction", "0.0", "0 < train-fraction <= 1"]),
    (["--train-fraction", "1.5"], ["--train-fraction", "1.5", "0 < train-fraction <= 1"]),
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


@pytest.mark.parametrize("where", ["folder", "file as folder"])
def test_cli_refuses_unwritable_save_path_before_training(where, tmp_path, monkeypatch, capsys):
    from helpers import data, train

    monkeypatch.setattr(data, "load_mnist", lambda *a, **k: pytest.fail("it loaded data before checking --save"))
    (tmp_path / "a_file").write_text("x")
    target = tmp_path if where == "folder" else tmp_path / "a_file" / "model.pt"
    with pytest.raises(SystemExit) as exited:
        train.main(["--quick", "--save", str(target)])
    assert exited.value.code == 2
    assert "--save" in one_line_error(capsys.readouterr().err, TRAIN)


# ---------------------------------------------------------------- python -m helpers.train: Ctrl-C, exit 130


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
    with subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(mnist_root),
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


# ---------------------------------------------------------------- python -m helpers.evaluate


@pytest.mark.parametrize("kind", ["missing", "random bytes", "not ours", "truncated"])
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


# ---------------------------------------------------------------- full reference runs (slow)


@pytest.mark.slow
def test_reference_run_reaches_dl4j_accuracy(mnist_root, tmp_path):
    """DL4J's settings, 15 epochs: DL4J reports 97.1%; we must land within 0.3 points of it."""
    done = run_cli("helpers.train", "--no-progress", "--target", "0.968", root=mnist_root, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert len(re.findall(r"^Epoch +\d+/15:", done.stdout, re.MULTILINE)) == 15
    assert abs(printed_accuracy(done.stdout) - DL4J_ACCURACY) <= 0.003


@pytest.mark.slow
def test_normalized_run_reaches_98_percent(mnist_root, tmp_path):
    """The same run with mean/std normalisation, the tutorial's first improvement: at least 98.0%."""
    done = run_cli("helpers.train", "--normalize", "--no-progress", "--target", "0.98", root=mnist_root, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert "normalize=True" in done.stdout
    assert printed_accuracy(done.stdout) >= 0.980


def test_cli_cnn_quick_run_saves_a_cnn_checkpoint(mnist_root, tmp_path):
    done = run_cli(
        "helpers.train", "--model", "cnn", "--quick", "--no-progress", "--save", "cnn.pt", root=mnist_root, cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert "model='cnn'" in done.stdout and "schedule='one-cycle'" in done.stdout and "normalize=True" in done.stdout
    assert "215,370 parameters" in done.stdout and len(re.findall(r"^Epoch +1/1:", done.stdout, re.M)) == 1
    checkpoint = load_checkpoint(tmp_path / "cnn.pt")
    assert checkpoint["config"].model == "cnn" and hasattr(checkpoint["model"], "conv1")
    assert checkpoint["metrics"]["accuracy"] == pytest.approx(printed_accuracy(done.stdout), abs=1e-4)


def test_cli_flags_given_beside_model_cnn_win(mnist_root, tmp_path):
    from helpers.train import parse_args

    config, _ = parse_args(["--model", "cnn", "--lr", "0.01", "--epochs", "2"])
    assert (config.model, config.lr, config.epochs, config.schedule, config.normalize) == (
        "cnn",
        0.01,
        2,
        "one-cycle",
        True,
    )
    config, _ = parse_args(["--model", "cnn"])
    assert {k: getattr(config, k) for k in CNN_RECIPE} == CNN_RECIPE


@pytest.mark.parametrize("argv, named", [(["--model", "resnet"], "--model"), (["--schedule", "cosine"], "--schedule")])
def test_cli_bad_model_or_schedule_is_one_line(argv, named, capsys):
    from helpers.train import parse_args

    with pytest.raises(SystemExit) as done:
        parse_args(argv)
    err = capsys.readouterr().err
    assert done.value.code == 2 and named in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_cnn_run_reaches_99_3_percent(mnist_root, tmp_path):
    """`--model cnn` with its own recipe: at least 99.3% test accuracy (issue: in at most 3 minutes on 2 cores)."""
    done = run_cli(
        "helpers.train", "--model", "cnn", "--no-progress", "--target", "0.993", root=mnist_root, cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    accuracy = printed_accuracy(done.stdout)
    assert accuracy >= 0.993
    prose = (ROOT / "notebooks" / "07_next_steps.ipynb").read_text()  # 07 quotes this run's result
    quoted = float(re.search(r"reaches (\d\d\.\d\d)%:", prose)[1]) / 100
    assert abs(quoted - accuracy) <= 0.0015, f"07 says {quoted:.2%}, the run gives {accuracy:.2%}"


def test_cli_model_cnn_can_still_turn_standardising_off():
    from helpers.train import parse_args

    config, _ = parse_args(["--model", "cnn", "--no-normalize"])
    assert config.model == "cnn" and config.normalize is False
    assert parse_args(["--normalize"])[0].normalize is True and parse_args([])[0].normalize is False
