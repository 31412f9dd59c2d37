"""How long the small CNN takes beside DL4J's MLP, both trained in this process with their own recipes.

    MNIST_ROOT=/path/to/data python benchmarks/cnn_vs_mlp.py [--quick]

Trains the reference MLP (`Config()`: 15 epochs) and the CNN (`CNN_RECIPE`: 8 epochs, one-cycle) one after
the other with `helpers.runs.train_run`, and prints for each: the median seconds per epoch (medians, since
shared machines have stall episodes), the whole run's training time and its test accuracy. The last line
is: mlp_epoch_s=<a> cnn_epoch_s=<b> epoch_ratio=<b/a> mlp_total_s=<c> cnn_total_s=<d> total_ratio=<d/c>.
`--quick` trains 1 epoch on 10% of the images each: a smoke test in seconds, not a measurement.
"""

import argparse
import statistics

from helpers.cli import describe_machine, test_report
from helpers.config import CNN_RECIPE, Config
from helpers.data import load_mnist
from helpers.runs import train_run


def measure(config: Config) -> dict:
    """Train `config` from its seed; its median epoch time, total training time and test accuracy (scored once)."""
    train_set, test_set = load_mnist(normalize=config.normalize)
    run = train_run(config, train_set)
    return {
        "epoch_s": statistics.median(run.history.epoch_seconds),
        "total_s": run.seconds,
        "accuracy": test_report(run.model, test_set).accuracy,
    }


def main(argv=None) -> int:
    """Measure both recipes and print the comparison; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 epoch on 10%% of the images each (a smoke test)")
    args = parser.parse_args(argv)
    quick = {"epochs": 1, "train_fraction": 0.1} if args.quick else {}
    configs = {"mlp": Config(**quick), "cnn": Config(**{**CNN_RECIPE, **quick})}
    print(f"Run on: {describe_machine()}")
    results = {}
    for name, config in configs.items():
        results[name] = r = measure(config)
        print(
            f"{name}: {config.epochs} epochs, {r['epoch_s']:.2f} s per epoch (median), "
            f"{r['total_s']:.1f} s of training, test accuracy {r['accuracy']:.2%}",
            flush=True,
        )
    mlp, cnn = results["mlp"], results["cnn"]
    print(
        f"mlp_epoch_s={mlp['epoch_s']:.2f} cnn_epoch_s={cnn['epoch_s']:.2f} epoch_ratio={cnn['epoch_s'] / mlp['epoch_s']:.1f} "
        f"mlp_total_s={mlp['total_s']:.1f} cnn_total_s={cnn['total_s']:.1f} total_ratio={cnn['total_s'] / mlp['total_s']:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
