"""Print DL4J's evaluation report for a saved model: `python -m helpers.evaluate PATH`."""

import sys

from helpers.cli import Parser, add_data_flags, describe_machine, fail


def main(argv=None) -> int:
    """Load the checkpoint at PATH, predict the 10,000 test images, print the report."""
    parser = Parser(prog="python -m helpers.evaluate", description=__doc__)
    parser.add_argument("path", metavar="PATH", help="a checkpoint written by `python -m helpers.train --save PATH`")
    parser.add_argument("--per-class", action="store_true", help="also print precision, recall and F1 of each digit")
    add_data_flags(parser)
    args = parser.parse_args(argv)
    try:
        return report(args, parser.prog)
    except KeyboardInterrupt:  # Ctrl-C while loading or predicting: nothing to lose, say so without a traceback
        print(f"{parser.prog}: interrupted; nothing was changed.", file=sys.stderr)
        return 130


def report(args, prog) -> int:
    """The body of `main`: load the checkpoint and the test set, print the report."""
    from helpers.checkpoint import CheckpointError, load_checkpoint
    from helpers.data import MnistError, load_mnist
    from helpers.loop import predict
    from helpers.metrics import evaluate

    try:
        checkpoint = load_checkpoint(args.path)
    except CheckpointError as e:
        fail(prog, str(e))
    config = checkpoint["config"]
    try:
        _, test = load_mnist(args.data_root, normalize=config.normalize)
    except MnistError as e:
        fail(prog, str(e))
    print(f"Run on: {describe_machine()}")
    print(f"Checkpoint: {args.path} (saved with torch {checkpoint['versions']['torch']})")
    print(f"Config: {config}")
    report = evaluate(test.labels, predict(checkpoint["model"], test.images))
    print(report.stats())
    if args.per_class:
        print()
        print(report.class_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
