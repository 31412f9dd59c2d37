"""Plain helpers the test files share: running a command line, reading its output, a small training run, bad files."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import torch

from helpers import checkpoint as ckpt
from helpers import runs
from helpers.config import Config
from helpers.model import build, make_optimizer, mlp

ROOT = Path(__file__).resolve().parent.parent
# A small network on all of the images given (the `small` fixture: 2,000 of them, 20 steps per epoch),
# so that each training test takes a second or two.
SMALL = Config(hidden=64, batch_size=100, epochs=1)


# ---------------------------------------------------------------- command lines


def cli_env(root) -> dict:
    """The environment of a command run by a test: MNIST at `root`, this checkout's helpers, unbuffered output."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "MNIST_ROOT": str(root), "PYTHONUNBUFFERED": "1", "PYTHONPATH": path}


def run_cli(module, *args, root, cwd, env=None):
    """Run `python -m module args` with MNIST at `root`, in `cwd` (`env` added); return the CompletedProcess (text)."""
    return subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        capture_output=True,
        text=True,
        env={**cli_env(root), **(env or {})},
        cwd=cwd,
        timeout=1800,
    )


def start_cli(argv, *, root, cwd) -> subprocess.Popen:
    """Start `python argv` (text pipes) with Ctrl-C acting as in a terminal, even where pytest was started ignoring it."""
    return subprocess.Popen(
        [sys.executable, *map(str, argv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(root),
        cwd=cwd,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def printed_accuracy(stdout: str) -> float:
    """The accuracy from DL4J's report block ("Accuracy:        0.9724")."""
    found = re.search(r"^\s*Accuracy:\s+([0-9.]+)\s*$", stdout, re.MULTILINE)
    assert found, f"no Accuracy line in:\n{stdout}"
    return float(found.group(1))


def one_line_error(err: str, prog: str) -> str:
    """Assert stderr is exactly one error line from `prog`, no traceback; return it."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{prog}: error: "), err
    assert "Traceback" not in err
    return lines[0]


def files_under(root) -> list:
    """Every regular file below `root`, as paths relative to it."""
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file())


# ---------------------------------------------------------------- a small training run


def start(config: Config = SMALL):
    """Model, optimizer and batch-order generator as helpers.runs.train_run makes them (train_fraction 1)."""
    model = build(config)
    return model, make_optimizer(model, config), torch.Generator().manual_seed(config.seed)


def small_run(train, val=None, config: Config = SMALL, **changes) -> runs.Run:
    """helpers.runs.train_run with SMALL's settings (or `config`), `changes` applied, on all of `train` (validated on `val`)."""
    return runs.train_run(config.replace(**changes), train, val)


def assert_same_state(model_a, opt_a, model_b, opt_b):
    """Bitwise-equal weights and momentum buffers."""
    for (name, a), b in zip(model_a.state_dict().items(), model_b.state_dict().values()):
        assert torch.equal(a, b), name
    state_a, state_b = opt_a.state_dict()["state"], opt_b.state_dict()["state"]
    assert state_a.keys() == state_b.keys() and state_a
    for i in state_a:
        assert torch.equal(state_a[i]["momentum_buffer"], state_b[i]["momentum_buffer"]), i


# ---------------------------------------------------------------- bad files


def flip(data: bytes, at: int) -> bytes:
    """`data` with the byte at `at` inverted."""
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


class Payload:
    """Unpickling this creates the file `target`: what a malicious 'checkpoint' could do."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


def bad_checkpoint(kind, folder, saved_path):
    """A crafted bad file of this kind in `folder` (from the good checkpoint at `saved_path`), and what the error must say."""
    good = saved_path.read_bytes()
    noise = (
        torch.randint(0, 256, (4096,), generator=torch.Generator().manual_seed(0), dtype=torch.uint8).numpy().tobytes()
    )
    damaged = "is damaged or not a PyTorch file"
    raw = {  # kind -> (bytes, error)
        "truncated": (good[: len(good) // 2], damaged),
        "flipped byte": (flip(good, len(good) // 2), "is damaged: its contents do not match the SHA-256"),
        "random bytes": (noise, damaged),
        "empty": (b"", damaged),
        "text": (b"hello\n", damaged),
    }
    saved_objects = {  # kind -> (what torch.save wrote, error)
        "not ours": ({"weights": [1, 2, 3], "note": "someone else's"}, "is not a checkpoint of this tutorial"),
        "bare state_dict": (mlp(10).state_dict(), "bare state_dict"),
        "other version": ({"format": ckpt.FORMAT, "version": 99}, "checkpoint version 99"),
    }
    path = Path(folder) / f"{kind.replace(' ', '_')}.pt"
    if kind == "missing":
        return path, "no such checkpoint file"
    if kind == "no versions":  # one of ours without one of its fields (and without its SHA-256, which would tell)
        payload = torch.load(saved_path, weights_only=True)
        del payload["versions"], payload["sha256"]
        torch.save(payload, path)
        return path, "has no 'versions' field"
    if kind in raw:
        path.write_bytes(raw[kind][0])
        return path, raw[kind][1]
    torch.save(saved_objects[kind][0], path)
    return path, saved_objects[kind][1]
