"""How responsive is the playground? Time from a click on Train to the first point of the curves, and to the end.

    MNIST_ROOT=/path/to/data python benchmarks/playground_latency.py [--rounds 5]

Drives helpers.playground.Playground the way a script does (set sliders, Train's .click(), wait),
with DL4J's settings for one epoch on the 55,000 training images it holds (the 5,000 validation images
held out), and measures per round:
  (a) first_point_s: click -> first point drawn (validation accuracy measured, picture rendered, widget set);
  (b) one_epoch_s: click -> end of the one-epoch run (validation and last redraw included);
  (c) fit_s: the same epoch with plain `helpers.runs.train_run` (no playground), also in a background
      thread, to show what the live curves cost (on a loaded 2-core machine, torch in the main thread
      was seen 5-15x slower than in a background thread: its 2 OpenMP threads spin-wait);
  (d) stop_s: click on Stop during a run -> the run has ended, and how many steps it took after the click.
Rounds are interleaved and summarised by medians: shared machines have stall episodes.
The last line is: first_point_s=<a> one_epoch_s=<b> fit_s=<c> overhead=<b/c - 1> stop_s=<d>
"""

import argparse
import os
import statistics
import threading
import time

from helpers.cli import describe_machine
from helpers.config import Config
from helpers.data import load_mnist, split_validation
from helpers.playground import Playground
from helpers.runs import train_run


def plain_fit_seconds(fit_set, val_set, config: Config) -> float:
    """The same run with plain `train_run` (fit with validation after each epoch), in a background thread too."""
    seconds = []

    def work():
        start = time.perf_counter()
        train_run(config, fit_set, val_set)
        seconds.append(time.perf_counter() - start)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return seconds[0]


def stop_latency(pg: Playground) -> tuple:
    """Seconds from a click on Stop to the end of the run, and the steps the run took after the click."""
    run = pg.run(epochs=50, block=False)
    while run.steps < 30:  # let it get going
        time.sleep(0.005)
    steps, start = run.steps, time.perf_counter()
    pg.stop_button.click()
    while pg.running:
        time.sleep(0.001)
    return time.perf_counter() - start, run.steps - steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved measurement rounds (default 5)")
    parser.add_argument("--train-fraction", type=float, default=1.0, help="share of the training set (default 1.0)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds {args.rounds}: allowed 1 or more")

    print(f"Measured on: {describe_machine()}; {os.cpu_count()} logical CPUs")
    fit_set, val_set = split_validation(load_mnist()[0])
    config = Config(epochs=1, train_fraction=args.train_fraction)
    pg = Playground(fit_set, val_set)
    pg.run(epochs=1, train_fraction=0.01)  # warm-up: first imports, first picture
    first, end, plain, stop_s, stop_steps = [], [], [], [], []
    for i in range(args.rounds):
        run = pg.run(
            lr=config.lr, momentum=config.momentum, l2=config.l2, epochs=1, train_fraction=config.train_fraction
        )
        assert run.status == "done", run.message
        first.append(run.first_point_seconds)
        end.append(run.seconds)
        plain.append(plain_fit_seconds(fit_set, val_set, config))
        s, n = stop_latency(pg)
        stop_s.append(s)
        stop_steps.append(n)
        load = os.getloadavg()[0]
        print(
            f"round {i + 1}: first point {first[-1]:.3f} s, one epoch {end[-1]:.2f} s"
            + f", plain fit {plain[-1]:.2f} s"
            + f", stop {s:.3f} s ({n} steps after the click), {run.steps} steps, {len(run.accuracy_points)} accuracy points;"
            f" load average {load:.1f}",
            flush=True,
        )
    med = statistics.median
    fit_s = med(plain)
    print(
        f"first_point_s={med(first):.3f} one_epoch_s={med(end):.2f} fit_s={fit_s:.2f} "
        f"overhead={med(end) / fit_s - 1:+.0%} stop_s={med(stop_s):.3f} stop_steps={max(stop_steps)}"
    )


if __name__ == "__main__":
    main()
