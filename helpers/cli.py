"""Shared pieces of the command lines `python -m helpers.train` and `python -m helpers.evaluate`."""

import argparse
import platform
import re
import sys
from pathlib import Path

from helpers.config import RANGES, allowed

# "-1e-4", "-.5", "-inf": a negative number, which argparse before Python 3.13 mistakes for a flag
NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^-inf$", re.IGNORECASE)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump, no traceback) and exit with status 2."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.takes_value = set()  # the flags that take a value, e.g. --l2

    def add_argument(self, *args, **kwargs):
        """argparse's add_argument; remembers the flags that take a value (not store_true's)."""
        action = super().add_argument(*args, **kwargs)
        if action.nargs != 0:
            self.takes_value.update(action.option_strings)
        return action

    def parse_known_args(self, args=None, namespace=None):
        """Read `--l2 -1e-4` as `--l2=-1e-4`, so that the error names the bad value, not a missing one."""
        joined = []
        for token in sys.argv[1:] if args is None else args:
            if joined and joined[-1] in self.takes_value and NEGATIVE_NUMBER.match(token):
                joined[-1] = f"{joined[-1]}={token}"
            else:
                joined.append(token)
        return super().parse_known_args(joined, namespace)

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

    if torch.cuda.is_available():
        device = f"GPU {torch.cuda.get_device_name()}"
    else:
        device = f"CPU {_cpu_name()}, {torch.get_num_threads()} threads"
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
