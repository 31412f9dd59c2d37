"""Save and load a trained model with its settings and results: atomic writes, safe loads, partial models marked."""

import hashlib
import os
import pickle
import platform
import re
import warnings
from pathlib import Path

import torch

from helpers.config import Config
from helpers.errors import UserError
from helpers.model import build

FORMAT = "mnist-for-beginners checkpoint"  # marks a file as ours; the first value written, so it sits near the start
VERSION = 2  # bumped when the layout below changes (2: the "partial" field; History's per-epoch fields renamed)
FIELDS = ("config", "model", "optimizer", "metrics", "history", "versions", "partial")  # besides marker, version
ROOT = Path(__file__).resolve().parent.parent  # the repository root: commands we suggest are run from there


class CheckpointError(UserError, ValueError):
    """A checkpoint that cannot be written, or a file that is missing, damaged, not one of ours, or not loadable here."""


def save_checkpoint(
    path, model, config: Config, *, metrics=None, history=None, optimizer=None, partial_ok=False
) -> Path:
    """Write model weights, config, metrics, history and versions to `path`; a failed or interrupted write keeps the
    old file. A run that stopped early (`history.stopped`) is refused unless `partial_ok`, which marks it partial."""
    import torchvision

    path = Path(path)
    stopped = history.stopped if history is not None else ""
    if stopped and not partial_ok:
        raise CheckpointError(
            f"Not saved to {path}: the run stopped early ({stopped}), so this is not the model its settings describe. "
            "Train it to the end, or save it anyway, marked partial, with save_checkpoint(..., partial_ok=True)."
        )
    versions = {"torch": str(torch.__version__), "torchvision": str(torchvision.__version__)}
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "config": config.to_dict(),
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "metrics": dict(metrics or {}),
        "history": history.to_dict() if history is not None else None,
        "versions": {**versions, "python": platform.python_version()},
        "partial": stopped,
    }
    payload["sha256"] = _digest(payload)  # lets a load notice a flipped byte anywhere in what it reads
    _write(payload, path)
    return path


def _write(payload, path: Path):
    """torch.save into a temporary file beside `path`, flushed to disk, then renamed over it (atomic: readers see
    the old file or the whole new one). Any failure removes the temporary file and says why in a CheckpointError."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name[:64]}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        if tmp:
            tmp.unlink(missing_ok=True)
        cause = e  # torch.save reports an OSError or a Ctrl-C inside its writes as RuntimeError "unexpected pos"
        while cause.__context__ is not None and not isinstance(cause, (OSError, KeyboardInterrupt)):
            cause = cause.__context__
        if isinstance(cause, KeyboardInterrupt):
            raise cause from None
        if not isinstance(e, (OSError, RuntimeError)):
            raise
        why = cause.strerror if isinstance(cause, OSError) and cause.strerror else " ".join(str(e).split())
        raise CheckpointError(
            f"Could not write the checkpoint {path}: {why}. Nothing was written there (a file already there is as it was)."
        ) from e


def is_ours(path) -> bool:
    """Whether the file at `path` was written by save_checkpoint (even if damaged since): its marker is near the start."""
    with open(path, "rb") as f:
        return FORMAT.encode() in f.read(4096)


def write_command(path) -> str:
    """The command, run from the repository root, that writes a checkpoint at `path` (--model cnn if its name says so)."""
    where = Path(path).resolve()
    where = where.relative_to(ROOT) if where.is_relative_to(ROOT) else where
    flags = " --model cnn" if "cnn" in where.name else " --normalize" if "normaliz" in where.name else ""
    return f"`python -m helpers.train{flags} --save {where.as_posix()}` (from the repository root)"


def _save_again(path) -> str:
    """What a valid checkpoint is and which command writes one (for the 'damaged' messages)."""
    return (
        "A checkpoint of this tutorial is a file written by `python -m helpers.train --save PATH` or by "
        f"notebook 04 (checkpoints/04_reference.pt); write this one again with {write_command(path)}."
    )


def load_checkpoint(path, *, device="cpu") -> dict:
    """Read a checkpoint safely (no code runs): a dict of FIELDS, "model" a ready nn.Module on `device`, "config" a
    Config, "partial" why its run stopped early (or "")."""
    path = Path(path)
    try:  # a device this machine does not have: torch.load would fail as if the file were damaged
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError) as e:  # AssertionError: "Torch not compiled with CUDA enabled"
        cuda = str(device).startswith("cuda") and not torch.cuda.is_available()
        why = "CUDA is not available on this machine" if cuda else str(e).splitlines()[0]
        raise CheckpointError(f"Cannot load {path} onto device {device!r}: {why}. Load it with device='cpu'.") from e
    payload = _read(path, device)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        hint = ""
        if isinstance(payload, dict) and payload and all(isinstance(v, torch.Tensor) for v in payload.values()):
            hint = " It looks like a bare state_dict: load it with model.load_state_dict(torch.load(path, weights_only=True))."
        raise CheckpointError(f"{path} is not a checkpoint of this tutorial (no '{FORMAT}' marker); refused.{hint}")
    if payload.get("version") != VERSION:
        raise CheckpointError(
            f"{path} has checkpoint version {payload.get('version')}; this code reads version {VERSION}. "
            f"Write it again with {write_command(path)}."
        )
    if "sha256" in payload and payload["sha256"] != _digest({k: v for k, v in payload.items() if k != "sha256"}):
        raise CheckpointError(
            f"{path} is damaged: its contents do not match the SHA-256 saved with them. {_save_again(path)}"
        )
    for key in FIELDS:
        if key not in payload:
            raise CheckpointError(f"{path} has no '{key}' field, which every checkpoint has. {_save_again(path)}")
    try:
        config = Config(**payload["config"])
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{path} holds no valid config ({e}). {_save_again(path)}") from e
    model = build(config)
    try:
        model.load_state_dict(payload["model"])
    except RuntimeError as e:  # names, shapes or kinds that are not those of the network its config describes
        why = " ".join(str(e).split())
        raise CheckpointError(
            f"{path} holds weights that do not fit the {config.model.upper()} its config describes: {why}"
        ) from e
    return {**payload, "model": model.to(device), "config": config}


def describe(checkpoint: dict, path) -> str:
    """Where a loaded model came from, in words: 'the MLP from PATH (test accuracy 97.24%)', and whether it is partial."""
    config, metrics = checkpoint["config"], checkpoint["metrics"]
    accuracy = f" (test accuracy {metrics['accuracy']:.2%})" if "accuracy" in metrics else ""
    partial = f", from a run stopped early: {checkpoint['partial']}" if checkpoint["partial"] else ""
    return f"the {config.model.upper()} from {Path(path).as_posix()}{accuracy}{partial}"


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
    except FileNotFoundError:
        raise CheckpointError(
            f"{path}: no such checkpoint file. Write it with {write_command(path)}, adding the flags of the run "
            "you want (such as --epochs), or run notebook 04, which writes checkpoints/04_reference.pt."
        ) from None
    except OSError as e:  # no permission, a folder, a name too long, a broken disk
        raise CheckpointError(f"{path} cannot be read ({e.strerror or e}).") from e
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
    """The first object a plain pickle imports (e.g. 'builtins.open'), read without running anything; None if none."""
    import pickletools

    strings = []  # pickle protocol 4 names an object with two strings, then STACK_GLOBAL
    try:
        for opcode, arg, _ in pickletools.genops(path.read_bytes()):  # decodes the instructions, never runs them
            if opcode.name in ("GLOBAL", "INST"):
                return arg.replace(" ", ".")
            if opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                return f"{strings[-2]}.{strings[-1]}"
            if isinstance(arg, str):
                strings.append(arg)
    except Exception:  # noqa: BLE001 - a garbled pickle makes genops raise many kinds; garbled is the answer
        return None
    return None
