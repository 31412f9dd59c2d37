"""DL4J's reference run over 10 seeds: the spread that any comparison with DL4J's 97.1% must be read against.

    python benchmarks/reference_seeds.py            # seeds 123 (DL4J's) and 1-9: about 6 minutes on 2 CPU cores
    python benchmarks/reference_seeds.py --seeds 123 1 2

Each seed trains `Config(seed=s)` (all else DL4J's) on the 60,000 training images and scores the 10,000
test images once, as `python -m helpers.train --seed s` does. Prints every seed's test accuracy, then the
mean, the standard deviation and the range, and the machine they were measured on.
"""

import argparse
import statistics
import time

from helpers.cli import describe_machine, test_report
from helpers.config import DL4J_ACCURACY, Config
from helpers.data import load_mnist
from helpers.runs import train_run


def main(argv=None):
    """Train the reference once per seed and print the spread of its test accuracy."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[123, *range(1, 10)], help="at least two")
    args = parser.parse_args(argv)
    print(f"Run on: {describe_machine()}")
    train_set, test_set = load_mnist()
    accuracies = []
    for seed in args.seeds:
        start = time.perf_counter()
        run = train_run(Config(seed=seed), train_set)
        accuracies.append(test_report(run.model, test_set).accuracy)
        print(f"seed {seed:>3}: test accuracy {accuracies[-1]:.2%} ({time.perf_counter() - start:.0f} s)", flush=True)
    mean, spread = statistics.mean(accuracies), statistics.stdev(accuracies)
    print(
        f"{len(accuracies)} seeds: mean {mean:.2%}, standard deviation {100 * spread:.3f} points, "
        f"range {min(accuracies):.2%} to {max(accuracies):.2%}. DL4J's reported {DL4J_ACCURACY:.1%} is "
        f"{(mean - DL4J_ACCURACY) / spread:+.1f} standard deviations from this mean, "
        f"{'inside' if min(accuracies) <= DL4J_ACCURACY <= max(accuracies) else 'outside'} the range."
    )


if __name__ == "__main__":
    main()
