"""Shared pieces of the command lines `python -m helpers.train` and `python -m helpers.evaluate`."""

import argparse
import platform
import re
import sys
from pathlib import Path

from helpers.config import RANGES, allowed


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump, no traceback) and exit with status 2."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "-1e-4", "-.5", "-inf" are values, not flags (argparse knows only "-1" and "-0.5"): `--l2 -1e-4` gets an
        # error that names the bad value, not a missing one
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^-inf$", re.IGNORECASE)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def typed(name):
    """An argparse `type` for Config field `name` that names the field and its range when the text is not a number."""
    kind = RANGES[name][0]

    def parse(text):
        try:
            return kind(text)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            flag_style = allowed(name).replace("_", "-")  # "1 <= batch-size <= 60,000", as the other messages say
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}; allowed {flag_style}") from None

    parse.__name__ = kind.__name__  # what argparse shows in its own messages
    return parse


def add_data_flags(parser):
    """--data-root, shared by both commands."""
    parser.add_argument(
        "--data-root", metavar="PATH", help="folder holding MNIST/raw/ (default: $MNIST_ROOT, else data/)"
    )


def describe_machine() -> str:
    """One line: what a result was measured on."""
    import torch

    cpu = f"CPU {_cpu_name()}, {torch.get_num_threads()} threads"
    device = f"GPU {torch.cuda.get_device_name()}" if torch.cuda.is_available() else cpu
    return f"{device}; torch {torch.__version__}, Python {platform.python_version()}, {platform.system()}"


def _cpu_name() -> str:
    """The CPU's model name where Linux tells it (e.g. 'AMD EPYC'), else the architecture."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.is_file() else []  # Linux only
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor() or platform.machine()


def fail(prog, message, status=1):
    """Print `message` as one error line and exit with `status`."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise SystemExit(status)


def test_report(model, test_set):
    """DL4J's evaluation of `model` on the test set: helpers.metrics.Evaluation (its .stats() is the report)."""
    import torch

    from helpers.metrics import evaluate

    images, labels = test_set.tensors
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(batch).argmax(dim=1) for batch in images.split(1000)])
    return evaluate(labels, predicted)
