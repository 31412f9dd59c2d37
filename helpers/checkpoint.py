"""Save and load a trained model with its settings and results: atomic writes, safe loads."""

import hashlib
import os
import pickle
import platform
import re
import tempfile
import warnings
from pathlib import Path

import torch

from helpers.config import Config
from helpers.errors import UserError
from helpers.model import build

FORMAT = "mnist-for-beginners checkpoint"  # marks a file as ours
VERSION = 1  # bumped when the layout below changes


class CheckpointError(UserError, ValueError):
    """A file that is missing, damaged, not one of ours, or for another architecture."""


def save_checkpoint(path, model, config: Config, *, metrics=None, history=None, optimizer=None) -> Path:
    """Write model weights, config, metrics and versions to `path`; a crash mid-write keeps the old file."""
    import torchvision

    path = Path(path)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "config": config.to_dict(),
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "metrics": dict(metrics or {}),
        "history": history.to_dict() if history is not None else None,
        "versions": {
            "torch": str(torch.__version__),
            "torchvision": str(torchvision.__version__),
            "python": platform.python_version(),
        },
    }
    payload["sha256"] = _digest(payload)  # lets a load notice a flipped byte anywhere in what it reads
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write a temporary file in the same folder, flush it to disk, then rename it over the target:
    # the rename is atomic, so readers see either the old checkpoint or the complete new one.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it owner-only; give it a normal file's permissions
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def write_command(path) -> str:
    """The command that writes a checkpoint at `path`, with --model cnn or --normalize when its name says so."""
    name = Path(path).name
    flags = " --model cnn" if "cnn" in name else " --normalize" if "normaliz" in name else ""
    return f"python -m helpers.train{flags} --save {path}"


def _save_again(path) -> str:
    """What a valid checkpoint is and which command writes one (for the 'damaged' messages)."""
    return (
        "A checkpoint of this tutorial is a file written by `python -m helpers.train --save PATH` or by "
        f"notebook 04 (checkpoints/04_reference.pt); write this one again with `{write_command(path)}`."
    )


def load_checkpoint(path, model=None, *, device="cpu") -> dict:
    """Read a checkpoint safely (no code runs); return its dict with "model" a ready nn.Module and "config" a Config."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"{path}: no such checkpoint file. Write it with `{write_command(path)}` (add the flags of the run "
            "you want, such as --epochs), or run notebook 04, which writes checkpoints/04_reference.pt."
        )
    payload = _read(path, device)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        hint = ""
        if isinstance(payload, dict) and payload and all(isinstance(v, torch.Tensor) for v in payload.values()):
            hint = " It looks like a bare state_dict: load it with model.load_state_dict(torch.load(path, weights_only=True))."
        raise CheckpointError(f"{path} is not a checkpoint of this tutorial (no '{FORMAT}' marker); refused.{hint}")
    if payload.get("version") != VERSION:
        raise CheckpointError(
            f"{path} has checkpoint version {payload.get('version')}; this code reads version {VERSION}."
        )
    if "sha256" in payload and payload["sha256"] != _digest({k: v for k, v in payload.items() if k != "sha256"}):
        raise CheckpointError(
            f"{path} is damaged: its contents do not match the SHA-256 saved with them. {_save_again(path)}"
        )
    try:
        config = Config(**payload["config"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path} holds no valid config ({e}). {_save_again(path)}") from e
    if model is None:
        model = build(config)
    expected = model.state_dict()
    saved = payload.get("model")
    if not isinstance(saved, dict) or not all(isinstance(v, torch.Tensor) for v in saved.values()):
        raise CheckpointError(f"{path} holds no model weights; save it again.")
    if set(saved) != set(expected):
        raise CheckpointError(
            f"{path} is for another architecture: it has tensors {sorted(saved)}, the model has {sorted(expected)}."
        )
    for name, tensor in saved.items():
        if tensor.shape != expected[name].shape:
            raise CheckpointError(
                f"{path} is for another architecture: {name} is {list(tensor.shape)} in the checkpoint "
                f"but {list(expected[name].shape)} in the model (hidden={config.hidden} when saved)."
            )
    model.load_state_dict(saved)
    return {**payload, "model": model.to(device), "config": config}


def describe(checkpoint: dict, path) -> str:
    """Where a loaded model came from, in words: 'the MLP from PATH (test accuracy 97.24%)'."""
    config, metrics = checkpoint["config"], checkpoint.get("metrics") or {}
    accuracy = f" (test accuracy {metrics['accuracy']:.2%})" if "accuracy" in metrics else ""
    return f"the {config.model.upper()} from {Path(path).as_posix()}{accuracy}"


def _digest(payload) -> str:
    """SHA-256 of a checkpoint's contents: every tensor's dtype, shape and bytes, every other value's repr."""
    sha = hashlib.sha256()

    def feed(value):
        if isinstance(value, torch.Tensor):
            tensor = value.detach().cpu().contiguous()
            sha.update(f"tensor {tensor.dtype} {list(tensor.shape)}:".encode())
            sha.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
        elif isinstance(value, dict):
            sha.update(b"{")
            for key in sorted(value, key=repr):
                sha.update(repr(key).encode() + b":")
                feed(value[key])
            sha.update(b"}")
        elif isinstance(value, (list, tuple)):
            sha.update(b"[")
            for item in value:
                feed(item)
            sha.update(b"]")
        else:  # numbers, strings, None: repr is exact (floats round-trip)
            sha.update(repr(value).encode() + b";")

    feed(payload)
    return sha.hexdigest()


def _read(path: Path, device):
    """torch.load with weights_only=True, every failure turned into one CheckpointError line."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as e:  # no permission, a folder, a broken disk
        raise CheckpointError(f"{path} cannot be read ({e.strerror or e}). Check its permissions.") from e
    if not (head.startswith(b"PK") or head.startswith(b"\x80")):  # neither torch.save's zip nor a pickle
        what = "it is empty" if not head else "it does not start like one"
        raise CheckpointError(f"{path} is damaged or not a PyTorch file ({what}). {_save_again(path)}")
    try:
        with warnings.catch_warnings():
            # a plain pickle (not torch.save's zip) makes torch warn about its protocol; we refuse it below anyway
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            # weights_only=True: only tensors and plain containers are unpickled, so a crafted file cannot run code
            return torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"GLOBAL ([\w.]+)", str(e))
        asks = found.group(1) if found else _pickle_asks_for(path)
        if asks is None:  # no object asked for: the data is garbled, not crafted
            raise CheckpointError(
                f"{path} is damaged or not a PyTorch file (its data breaks off or holds instructions no checkpoint has). "
                f"{_save_again(path)}"
            ) from e
        raise CheckpointError(
            f"{path} was refused: it holds Python objects other than tensors and plain data (it asks for "
            f"{asks}), which could run code when loaded, so it is not a checkpoint of this tutorial. "
            "Only load such files from people you trust."
        ) from e
    except Exception as e:  # noqa: BLE001 - torch.load on a damaged file raises many kinds (RuntimeError, EOFError, KeyError...)
        why = str(e).splitlines()[0].split(". ")[0][:200] if str(e) else ""  # its first sentence
        if len(why) < 12:  # e.g. a bare "105" from the zip reader helps nobody
            why = f"torch.load failed with {type(e).__name__}" + (f": {why}" if why else "")
        raise CheckpointError(f"{path} is damaged or not a PyTorch file ({why}). {_save_again(path)}") from e


def _pickle_asks_for(path: Path):
    """The first object a plain pickle file imports (e.g. 'builtins.open'), read without running anything; None if none or garbled."""
    import pickletools

    strings = []  # pickle protocol 4 names an object with two strings, then STACK_GLOBAL
    try:
        with open(path, "rb") as f:
            for opcode, arg, _ in pickletools.genops(f):  # only decodes the instructions, never executes them
                if opcode.name in ("GLOBAL", "INST"):
                    return arg.replace(" ", ".")
                if opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                    return f"{strings[-2]}.{strings[-1]}"
                if isinstance(arg, str):
                    strings.append(arg)
    except Exception:  # noqa: BLE001 - a garbled pickle makes genops raise many kinds; garbled is the answer
        return None
    return None
