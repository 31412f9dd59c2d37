"""Print DL4J's evaluation report for a saved model: `python -m helpers.evaluate PATH`.
Exit status: 0 done; 1 the checkpoint or MNIST could not be read; 2 a bad flag; 130 Ctrl-C."""

import sys

from helpers.cli import Parser, add_data_flags, describe_machine, fail, test_report
from helpers.errors import UserError


def main(argv=None) -> int:
    """Load the checkpoint at PATH, predict the 10,000 test images, print the report."""
    parser = Parser(prog="python -m helpers.evaluate", description=__doc__)
    parser.add_argument("path", metavar="PATH", help="a checkpoint written by `python -m helpers.train --save PATH`")
    parser.add_argument("--per-class", action="store_true", help="also print precision, recall and F1 of each digit")
    add_data_flags(parser)
    args = parser.parse_args(argv)
    from helpers.checkpoint import describe, load_checkpoint  # imported here: --help and bad flags answer at once
    from helpers.data import load_mnist

    try:
        checkpoint = load_checkpoint(args.path)
        _, test_set = load_mnist(args.data_root, normalize=checkpoint["config"].normalize)
        evaluation = test_report(checkpoint["model"], test_set)
    except KeyboardInterrupt:  # Ctrl-C while loading or predicting: nothing to lose, say so without a traceback
        print(f"{parser.prog}: interrupted; nothing was changed.", file=sys.stderr)
        return 130
    except UserError as e:  # a missing, damaged or foreign checkpoint; MNIST missing
        fail(parser.prog, str(e))
    versions = ", ".join(f"{name} {version}" for name, version in checkpoint["versions"].items())
    print(f"Run on: {describe_machine()}")
    print(f"Checkpoint: {describe(checkpoint, args.path)}; saved with {versions}")
    print(f"Config: {checkpoint['config']}")
    print(evaluation.stats())
    if args.per_class:
        print(f"\n{evaluation.class_table()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
