"""Save and load a trained model with its settings and results: atomic writes, safe loads."""

import os
import pickle
import platform
import tempfile
import zipfile
from pathlib import Path

import torch

from helpers.config import Config
from helpers.model import mlp

FORMAT = "mnist-for-beginners checkpoint"  # marks a file as ours
VERSION = 1  # bumped when the layout below changes


class CheckpointError(ValueError):
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
        "versions": {"torch": str(torch.__version__), "torchvision": str(torchvision.__version__), "python": platform.python_version()},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write a temporary file in the same folder, flush it to disk, then rename it over the target:
    # the rename is atomic, so readers see either the old checkpoint or the complete new one.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def load_checkpoint(path, model=None, *, device="cpu") -> dict:
    """Read a checkpoint safely (no code runs); return its dict with "model" a ready nn.Module and "config" a Config."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file. Save one with `python -m helpers.train --save {path}`.")
    try:
        # weights_only=True: only tensors and plain containers are unpickled, so a crafted file cannot run code
        payload = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as e:
        raise CheckpointError(
            f"{path} was refused: it holds Python objects other than tensors and plain data, which could run code "
            f"when loaded, so it is not a checkpoint of this tutorial. ({str(e).splitlines()[0]})"
        ) from e
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as e:
        raise CheckpointError(f"{path} is damaged or not a PyTorch file ({str(e).splitlines()[0]}). Save it again.") from e
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a checkpoint of this tutorial (no '{FORMAT}' marker); refused.")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{path} has checkpoint version {payload.get('version')}; this code reads version {VERSION}.")
    try:
        config = Config(**payload["config"])
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{path} holds an invalid config: {e}") from e
    if model is None:
        model = mlp(config.num_inputs, config.hidden, config.output_num)
    expected = model.state_dict()
    saved = payload["model"]
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
