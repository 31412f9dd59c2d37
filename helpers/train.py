"""Train DL4J's MNIST network from the command line, like the example's main(): `python -m helpers.train`.

Exit status: 0 trained (and saved); 1 an error stopped it (MNIST missing, the save failed) or --target was missed;
2 a bad flag or --save path (nothing ran); 3 training diverged (nothing saved); 130 Ctrl-C; 143 SIGTERM.
"""

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path

from helpers.cli import Parser, add_data_flags, describe_machine, fail, test_report, typed
from helpers.config import CNN_RECIPE, RANGES, Config
from helpers.errors import UserError

PROG = "python -m helpers.train"
DIVERGED = 3  # the exit status of a run the divergence guard stopped
FLAGS = {  # flag -> (Config field, help); choices or a number's type and range come from RANGES
    "--epochs": ("epochs", "passes over the training set (DL4J numEpochs, 15)"),
    "--batch-size": ("batch_size", "images per step (DL4J batchSize, 128)"),
    "--lr": ("lr", "learning rate (DL4J Nesterovs learningRate, 0.006)"),
    "--momentum": ("momentum", "Nesterov momentum (DL4J Nesterovs momentum, 0.9)"),
    "--l2": ("l2", "L2 penalty on weights (DL4J l2, 1e-4)"),
    "--l2-rule": ("l2_rule", "dl4j: weights shrink by l2/batch-size a step (DL4J's, default); pytorch: weight_decay"),
    "--hidden": ("hidden", "units in the hidden layer (DL4J DenseLayer nOut, 1000)"),
    "--seed": ("seed", "random seed (DL4J rngSeed, 123)"),
    "--train-fraction": ("train_fraction", "share of the 60,000 training images to use (1.0)"),
    "--model": (
        "model",
        "mlp: DL4J's network (default); cnn: a small CNN, with its own recipe as defaults "
        f"(--normalize, --lr {CNN_RECIPE['lr']}, --epochs {CNN_RECIPE['epochs']}, --schedule one-cycle; flags given win)",
    ),
    "--schedule": ("schedule", "learning rate over the run: constant, as DL4J (default), or one-cycle (up, then down)"),
    "--normalize": ("normalize", "standardise pixels with mean/std (off in DL4J; on in --model cnn's recipe)"),
}


def parse_args(argv=None):
    """Parse the command line into (Config, other options); bad values exit with status 2."""
    parser = Parser(prog=PROG, description=__doc__)
    for flag, (field, help) in FLAGS.items():
        spec = RANGES[field]
        kind = {"type": typed(field)} if isinstance(spec[0], type) else {"choices": spec}
        if isinstance(spec[0], bool):  # --normalize and --no-normalize
            kind = {"action": argparse.BooleanOptionalAction}
        parser.add_argument(flag, **kind, default=getattr(Config(), field), help=help)
    parser.add_argument(
        "--quick", action="store_true", help="1 epoch on 10%% of the data: a smoke test (flags given win)"
    )
    parser.add_argument("--save", metavar="PATH", help="write a checkpoint of the trained model there")
    parser.add_argument("--target", type=share, metavar="ACC", help="exit 1 if test accuracy ends below ACC (0-1)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    add_data_flags(parser)
    known = parser.parse_known_args(argv)[0]
    if known.model == "cnn":  # the CNN's recipe becomes the defaults; flags given beside --model still win
        parser.set_defaults(**{k: v for k, v in CNN_RECIPE.items() if k != "model"})
    if known.quick:  # --quick changes two defaults; flags given beside it still win
        parser.set_defaults(epochs=1, train_fraction=0.1)
    args = parser.parse_args(argv)
    try:
        config = Config(**{field: getattr(args, field) for field, _ in FLAGS.values()})
    except ValueError as e:
        parser.error("--" + str(e).removeprefix("Config.").replace("_", "-"))  # "--batch-size = 0 is not allowed..."
    return config, args


def share(text):
    """An argparse `type` for --target: an accuracy as a share of the test set, 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; allowed 0 <= target <= 1, e.g. 0.97") from None
    if not 0 <= value <= 1:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text} is out of range: allowed 0 <= target <= 1, a share such as 0.97")
    return value


def main(argv=None) -> int:
    """Build, train, evaluate and save the network; print DL4J's report. The exit statuses are in this module's docstring."""
    config, args = parse_args(argv)
    sigterms = []  # received: tells a SIGTERM from a Ctrl-C for the exit status

    def sigterm(signum, frame):  # `kill`, a job scheduler: training ends after its step, as on Ctrl-C
        sigterms.append(signum)
        handler = signal.getsignal(signal.SIGINT)  # fit's own while it trains, else Python's KeyboardInterrupt
        if not callable(handler):  # SIGINT ignored, as for a command started in the background
            raise KeyboardInterrupt
        handler(signal.SIGINT, frame)

    previous = signal.signal(signal.SIGTERM, sigterm)
    try:
        status = run(config, args)
    except KeyboardInterrupt:  # outside training (fit ends on its own): while loading, evaluating or saving
        what = "terminated (SIGTERM)" if sigterms else "interrupted (Ctrl-C)"
        kept = f" ({args.save} is as it was)" if args.save else ""
        print(f"{PROG}: {what} before the run finished; nothing was saved{kept}.", file=sys.stderr)
        status = 130
    except UserError as e:  # MNIST missing or damaged
        fail(PROG, str(e))
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 143 if status == 130 and sigterms else status


def run(config, args) -> int:
    """The body of `main`: check --save, load, build, train, evaluate, save."""
    save = None if args.save is None else check_save_path(args.save)  # first: a typo costs no run
    # imported here, so that --help, bad flags and a bad --save answer at once
    from helpers.data import load_mnist
    from helpers.guard import DivergenceGuard
    from helpers.loop import default_device
    from helpers.model import build, count_parameters
    from helpers.runs import train_run

    print(f"Run on: {describe_machine()}")
    print(f"Config: {config}")
    print("Load data....")
    train_set, test_set = load_mnist(args.data_root, normalize=config.normalize, device=default_device())
    print(f"Build model.... {count_parameters(build(config)):,} parameters")
    print(f"Train model.... ({config.train_images:,} images, {config.epochs} epochs)")
    guard = DivergenceGuard(config)
    done = train_run(config, train_set, callbacks=[guard, EpochPrinter(config.epochs)], progress=not args.no_progress)
    if guard.verdict:
        fail(PROG, f"{guard.verdict} Nothing was saved.", status=DIVERGED)
    stopped = done.history.stopped  # only Ctrl-C or SIGTERM stop a run the guard let through
    note = f"Training stopped early: {stopped}." if stopped else guard.hint()  # the hint: the loss nearly blew up
    if note:
        print(note)
    print(f"Trained in {done.seconds:.1f} s")
    print("Evaluate model....")
    report = test_report(done.model, test_set)
    print(report.stats())
    if save:
        metrics = {"accuracy": report.accuracy, "precision": report.precision, "recall": report.recall, "f1": report.f1}
        write(save, done, config, metrics)
    if stopped:
        return 130
    if args.target is not None and report.accuracy < args.target:
        print(f"Accuracy {report.accuracy:.4f} is below the target {args.target:.4f}.")
        return 1
    return 0


def check_save_path(text) -> Path:
    """`--save`'s path if a checkpoint can be written there, else exit 2 with one line that says why."""
    path = Path(text)
    if not text.strip():
        fail(PROG, "--save got an empty path (an unset variable?); give a file name such as checkpoints/model.pt", 2)
    try:
        if path.is_dir():
            fail(PROG, f"--save {path} is a folder; give a file name such as {path / 'model.pt'}", status=2)
        if path.exists():
            from helpers.checkpoint import is_ours  # imports torch: only when there is a file to judge

            if not is_ours(path):
                why = "that file is not a checkpoint of this tutorial, so it is left as it is"
                fail(PROG, f"--save {path}: {why}; give a new file name such as checkpoints/model.pt", status=2)
        try_writing(path)
    except OSError as e:
        fail(PROG, f"--save {path}: cannot write there ({e.strerror or e}); choose a folder you can write to", 2)
    return path


def try_writing(path: Path):
    """Create `path` (a file beside it, if it exists) and its missing folders, then remove them: the filesystem's answer."""
    made = []
    try:
        for folder in reversed(path.absolute().parents):
            if not folder.exists():
                folder.mkdir()
                made.append(folder)
        if path.exists():
            tempfile.NamedTemporaryFile(dir=path.parent).close()
        else:
            path.touch(exist_ok=False)
            path.unlink()
    finally:
        for folder in reversed(made):
            folder.rmdir()


def write(path: Path, done, config, metrics):
    """Save the run at `path`; a stopped run's at PATH.partial.pt, leaving `path` as it was; if writing fails,
    in the system's temporary folder, and exit 1 with one line that says where."""
    from helpers.checkpoint import CheckpointError, save_checkpoint

    stopped = done.history.stopped
    target = path.with_name(f"{path.stem}.partial{path.suffix}") if stopped else path
    options = {"metrics": metrics, "history": done.history, "optimizer": done.optimizer, "partial_ok": bool(stopped)}
    try:
        save_checkpoint(target, done.model, config, **options)
    except CheckpointError as e:  # disk full, over quota, a folder gone: the model is still in memory
        fallback = Path(tempfile.gettempdir()) / f"{target.stem}-{time.strftime('%Y%m%d-%H%M%S')}{target.suffix}"
        try:
            save_checkpoint(fallback, done.model, config, **options)
        except CheckpointError:
            fail(PROG, f"{e} Writing it to {fallback} instead failed too: the model is lost.")
        fail(PROG, f"{e} The model was written to {fallback} instead.")
    if stopped:
        kept = " (the checkpoint there is as it was)" if path.exists() else ""
        print(
            f"The run was stopped, so {path} was not written{kept}; the partial model went to {target}, marked partial."
        )
    else:
        print(f"Saved checkpoint to {target}")


class EpochPrinter:
    """A fit callback that prints one line per epoch: train loss, train accuracy, time."""

    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch(self, history):
        print(
            f"Epoch {history.epochs_done:>2}/{self.epochs}: train loss {history.train_loss[-1]:.4f}, "
            f"train accuracy {history.train_accuracy[-1]:.2%} ({history.epoch_seconds[-1]:.1f} s)",
            flush=True,
        )


if __name__ == "__main__":
    raise SystemExit(main())
