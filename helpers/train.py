"""Train DL4J's MNIST network from the command line, like the example's main(): `python -m helpers.train`."""

import argparse
import os
import sys
from pathlib import Path

from helpers.cli import Parser, add_data_flags, describe_machine, fail, test_report, typed
from helpers.config import CNN_RECIPE, Config

PROG = "python -m helpers.train"
FLAGS = {  # flag -> (Config field, help)
    "--epochs": ("epochs", "passes over the training set (DL4J numEpochs, 15)"),
    "--batch-size": ("batch_size", "images per step (DL4J batchSize, 128)"),
    "--lr": ("lr", "learning rate (DL4J Nesterovs learningRate, 0.006)"),
    "--momentum": ("momentum", "Nesterov momentum (DL4J Nesterovs momentum, 0.9)"),
    "--l2": ("l2", "L2 penalty on weights (DL4J l2, 1e-4)"),
    "--hidden": ("hidden", "units in the hidden layer (DL4J DenseLayer nOut, 1000)"),
    "--seed": ("seed", "random seed (DL4J rngSeed, 123)"),
    "--train-fraction": ("train_fraction", "share of the 60,000 training images to use (1.0)"),
}


def parse_args(argv=None):
    """Parse the command line into (Config, other options); bad values exit with status 2."""
    parser = Parser(prog=PROG, description=__doc__)
    for flag, (field, help) in FLAGS.items():
        parser.add_argument(flag, type=typed(field), default=getattr(Config(), field), help=help)
    parser.add_argument(
        "--l2-rule",
        choices=("dl4j", "pytorch"),
        default=Config().l2_rule,
        help="how --l2 acts: dl4j, DL4J's rule (weights shrink by l2/batch-size per step), or pytorch, torch's weight_decay (default: dl4j)",
    )
    parser.add_argument(
        "--normalize",
        action=argparse.BooleanOptionalAction,
        default=Config().normalize,
        help="standardise pixels with mean/std (off in DL4J; on in --model cnn's recipe)",
    )
    parser.add_argument(
        "--model",
        choices=("mlp", "cnn"),
        default=Config().model,
        help="mlp: DL4J's network (default); cnn: a small CNN, with its own recipe as defaults "
        f"(--normalize, --lr {CNN_RECIPE['lr']}, --epochs {CNN_RECIPE['epochs']}, --schedule one-cycle; flags given win)",
    )
    parser.add_argument(
        "--schedule",
        choices=("constant", "one-cycle"),
        default=Config().schedule,
        help="learning rate over the run: constant, as DL4J (default), or one-cycle (up to --lr, then down)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 epoch on 10%% of the data, a smoke test in seconds (--epochs, --train-fraction given too win)",
    )
    parser.add_argument("--save", metavar="PATH", help="write a checkpoint of the trained model there")
    parser.add_argument(
        "--target", type=share, metavar="ACC", help="exit with status 1 if test accuracy ends below ACC (0-1)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    add_data_flags(parser)
    known = parser.parse_known_args(argv)[0]
    if known.model == "cnn":  # the CNN's recipe becomes the defaults; flags given beside --model still win
        parser.set_defaults(**{k: v for k, v in CNN_RECIPE.items() if k != "model"})
    if known.quick:  # --quick changes two defaults; flags given beside it still win
        parser.set_defaults(epochs=1, train_fraction=0.1)
    args = parser.parse_args(argv)
    values = {field: getattr(args, field) for field, _ in FLAGS.values()}
    try:
        config = Config(
            **values, l2_rule=args.l2_rule, normalize=args.normalize, model=args.model, schedule=args.schedule
        )
    except (TypeError, ValueError) as e:
        parser.error(str(e).replace("Config.", "--").replace("_", "-"))
    return config, args


def share(text):
    """An argparse `type` for --target: an accuracy as a share of the test set, 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; allowed 0 <= target <= 1, e.g. 0.97") from None
    if not 0 <= value <= 1:  # also refuses nan
        raise argparse.ArgumentTypeError(
            f"{text} is out of range: allowed 0 <= target <= 1, a share such as 0.97 (not 97)"
        )
    return value


def main(argv=None) -> int:
    """Build, train and evaluate the network; print DL4J's report. Ctrl-C exits with status 130."""
    config, args = parse_args(argv)
    try:
        return run(config, args)
    except KeyboardInterrupt:  # outside training (fit handles its own): while loading, evaluating or saving
        print(
            f"{PROG}: interrupted outside training; nothing was saved (an earlier checkpoint is unchanged).",
            file=sys.stderr,
        )
        return 130


def run(config, args) -> int:
    """The body of `main`: load, build, train, evaluate, save."""
    # imported after parsing, so that --help and bad flags answer at once
    from helpers.checkpoint import save_checkpoint
    from helpers.data import MnistError, load_mnist
    from helpers.loop import default_device
    from helpers.model import build, count_parameters
    from helpers.runs import train_run

    if args.save:
        check_writable(args.save)  # before training, so a typo does not cost a whole run
    device = default_device()
    print(f"Run on: {describe_machine()}")
    print(f"Config: {config}")
    print("Load data....")
    try:
        train_set, test_set = load_mnist(args.data_root, normalize=config.normalize, device=device)
    except MnistError as e:
        fail(PROG, str(e))
    print(f"Build model.... {count_parameters(build(config)):,} parameters")
    print(f"Train model.... ({config.train_images:,} images, {config.epochs} epochs)")
    run = train_run(config, train_set, callbacks=[EpochPrinter(config.epochs)], progress=not args.no_progress)
    history = run.history
    if history.stopped:
        print(f"Training stopped early: {history.stopped}.")
    print(f"Trained in {run.seconds:.1f} s")
    print("Evaluate model....")
    report = test_report(run.model, test_set)
    print(report.stats())
    if args.save:
        metrics = {"accuracy": report.accuracy, "precision": report.precision, "recall": report.recall, "f1": report.f1}
        try:
            path = save_checkpoint(
                args.save, run.model, config, metrics=metrics, history=history, optimizer=run.optimizer
            )
        except OSError as e:  # disk full, folder removed meanwhile
            fail(PROG, f"could not save the checkpoint to {args.save}: {e}")
        print(f"Saved checkpoint to {path}" + (f" (training {history.stopped})" if history.stopped else ""))
    if history.stopped.startswith("interrupted"):
        return 130
    if args.target is not None and report.accuracy < args.target:
        print(f"Accuracy {report.accuracy:.4f} is below the target {args.target:.4f}.")
        return 1
    return 0


def check_writable(path):
    """Exit with status 2 unless a checkpoint can be written at `path`."""
    path = Path(path)
    if path.is_dir():
        fail(PROG, f"--save {path} is a folder; give a file name such as {path / 'model.pt'}", status=2)
    folder = next((p for p in path.absolute().parents if p.exists()), None)  # the nearest folder that exists
    if folder is None or not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        fail(PROG, f"--save {path}: cannot write into {folder}; choose a folder you can write to", status=2)


class EpochPrinter:
    """Prints one line per epoch: loss, test accuracy, time."""

    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch(self, history):
        """Print one line: the epoch's train loss, test accuracy and seconds."""
        i = history.epochs_done
        print(
            f"Epoch {i:>2}/{self.epochs}: train loss {history.train_loss[-1]:.4f}, "
            f"train accuracy {history.train_accuracy[-1]:.2%} ({history.epoch_seconds[-1]:.1f} s)",
            flush=True,
        )


if __name__ == "__main__":
    raise SystemExit(main())
