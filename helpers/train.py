"""Train DL4J's MNIST network from the command line, like the example's main(): `python -m helpers.train`."""

import time

from helpers.cli import Parser, add_data_flags, describe_machine, fail, typed
from helpers.config import Config

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
    parser = Parser(prog="python -m helpers.train", description=__doc__)
    for flag, (field, help) in FLAGS.items():
        parser.add_argument(flag, type=typed(field), default=getattr(Config(), field), help=help)
    parser.add_argument("--normalize", action="store_true", help="standardise pixels with mean/std (off in DL4J)")
    parser.add_argument("--quick", action="store_true", help="1 epoch on 10%% of the data: a smoke test in seconds")
    parser.add_argument("--save", metavar="PATH", help="write a checkpoint of the trained model there")
    parser.add_argument("--target", type=float, metavar="ACC", help="exit with status 1 if test accuracy ends below ACC (0-1)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    add_data_flags(parser)
    args = parser.parse_args(argv)
    values = {field: getattr(args, field) for field, _ in FLAGS.values()}
    if args.quick:
        values.update(epochs=1, train_fraction=0.1)
    try:
        config = Config(**values, normalize=args.normalize)
    except (TypeError, ValueError) as e:
        parser.error(str(e).replace("Config.", "--").replace("_", "-"))
    return config, args


def main(argv=None) -> int:
    """Build, train and evaluate the network; print DL4J's report."""
    config, args = parse_args(argv)
    import torch  # imported after parsing, so that --help and bad flags answer at once

    from helpers.checkpoint import save_checkpoint
    from helpers.data import MnistError, load_mnist, subset
    from helpers.metrics import evaluate
    from helpers.model import count_parameters, mlp, sgd
    from helpers.training import default_device, fit, predict

    prog = "python -m helpers.train"
    device = default_device()
    print(f"Run on: {describe_machine()}")
    print(f"Config: {config}")
    print("Load data....")
    try:
        train, test = load_mnist(args.data_root, normalize=config.normalize, device=device)
    except MnistError as e:
        fail(prog, str(e))
    torch.manual_seed(config.seed)  # weight init
    shuffle = torch.Generator().manual_seed(config.seed)  # batch order, and which images a fraction keeps
    train = subset(train, config.train_fraction, generator=shuffle)
    print("Build model....")
    model = mlp(config.num_inputs, config.hidden, config.output_num).to(device)
    optimizer = sgd(model, lr=config.lr, momentum=config.momentum, l2=config.l2)
    print(f"  {count_parameters(model):,} parameters")
    print(f"Train model.... ({len(train):,} images, {config.epochs} epochs)")
    start = time.perf_counter()
    history = fit(
        model, optimizer, train, test, epochs=config.epochs, batch_size=config.batch_size, generator=shuffle,
        callbacks=[EpochPrinter(config.epochs)], progress=not args.no_progress,
    )
    seconds = time.perf_counter() - start
    if history.stopped:
        print(f"Training stopped early: {history.stopped}.")
    print(f"Trained in {seconds:.1f} s")
    print("Evaluate model....")
    report = evaluate(test.labels, predict(model, test.images))
    print(report.stats())
    if args.save:
        metrics = {"accuracy": report.accuracy, "precision": report.precision, "recall": report.recall, "f1": report.f1}
        path = save_checkpoint(args.save, model, config, metrics=metrics, history=history, optimizer=optimizer)
        print(f"Saved checkpoint to {path}")
    if history.stopped.startswith("interrupted"):
        return 130
    if args.target is not None and report.accuracy < args.target:
        print(f"Accuracy {report.accuracy:.4f} is below the target {args.target:.4f}.")
        return 1
    return 0


class EpochPrinter:
    """Prints one line per epoch: loss, test accuracy, time."""

    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch(self, history):
        i = history.epochs_done
        print(
            f"Epoch {i:>2}/{self.epochs}: train loss {history.train_loss[-1]:.4f}, "
            f"test accuracy {history.test_accuracy[-1]:.2%} ({history.epoch_seconds[-1]:.1f} s)",
            flush=True,
        )


if __name__ == "__main__":
    raise SystemExit(main())
