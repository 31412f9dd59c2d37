"""Print DL4J's evaluation report for a saved model: `python -m helpers.evaluate PATH`.

Exit status: 0 done; 1 the checkpoint or MNIST could not be read; 2 a bad flag; 130 Ctrl-C.
"""

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
    try:
        report(args)
    except KeyboardInterrupt:  # Ctrl-C while loading or predicting: nothing to lose, say so without a traceback
        print(f"{parser.prog}: interrupted; nothing was changed.", file=sys.stderr)
        return 130
    except UserError as e:  # a missing, damaged or foreign checkpoint; MNIST missing
        fail(parser.prog, str(e))
    return 0


def report(args):
    """The body of `main`: load the checkpoint and the test set, print the report."""
    from helpers.checkpoint import describe, load_checkpoint
    from helpers.data import load_mnist

    checkpoint = load_checkpoint(args.path)
    config = checkpoint["config"]
    _, test_set = load_mnist(args.data_root, normalize=config.normalize)
    versions = ", ".join(f"{name} {version}" for name, version in checkpoint["versions"].items())
    print(f"Run on: {describe_machine()}")
    print(f"Checkpoint: {describe(checkpoint, args.path)}; saved with {versions}")
    print(f"Config: {config}")
    evaluation = test_report(checkpoint["model"], test_set)
    print(evaluation.stats())
    if args.per_class:
        print()
        print(evaluation.class_table())


if __name__ == "__main__":
    raise SystemExit(main())
