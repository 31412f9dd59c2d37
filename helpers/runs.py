"""The one recipe for a training run (seed, share of the data, network, optimizer, fit), and a model to examine."""

import time
from dataclasses import dataclass
from pathlib import Path

import torch

from helpers.config import Config
from helpers.data import Digits, load_mnist, subset
from helpers.loop import History, fit
from helpers.model import network, sgd


@dataclass
class Trained:
    """What one run of the recipe leaves: its settings, the network, its optimizer, what was measured, its time."""

    config: Config
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    history: History
    seconds: float  # wall time of fit, in seconds


def build(config: Config, *, device="cpu") -> torch.nn.Module:
    """The network config.model names, with the start weights config.seed gives (torch.manual_seed, then build)."""
    torch.manual_seed(config.seed)  # the start weights: the same for every run with this seed
    return network(config).to(device)


def optimizer_for(model: torch.nn.Module, config: Config) -> torch.optim.Optimizer:
    """helpers.model.sgd with config's learning rate, momentum, l2, batch size and l2 rule."""
    return sgd(
        model,
        lr=config.lr,
        momentum=config.momentum,
        l2=config.l2,
        batch_size=config.batch_size,
        l2_rule=config.l2_rule,
    )


def train_run(
    config: Config,
    train: Digits,
    test: Digits = None,
    *,
    model=None,
    callbacks=(),
    progress=False,
    history: History = None,
) -> Trained:
    """Train a fresh network with `config` on config.train_fraction of `train`; the same config gives the same run.

    Everything random comes from config.seed: which images the share keeps and the batch order (one
    generator), and the start weights (torch.manual_seed(config.seed) right before the network is
    built, see `build`). Pass `model` to train a network built by the caller instead (one from `build`,
    kept by a callback that watches it, say).
    """
    shuffle = torch.Generator().manual_seed(config.seed)  # the share of the images, then the batch order
    data = subset(train, config.train_fraction, generator=shuffle)
    model = build(config, device=train.images.device) if model is None else model
    optimizer = optimizer_for(model, config)
    if config.schedule == "one-cycle":
        callbacks = [OneCycle(optimizer, config, steps_per_epoch=-(-len(data) // config.batch_size)), *callbacks]
    start = time.perf_counter()
    history = fit(
        model,
        optimizer,
        data,
        test,
        epochs=config.epochs,
        batch_size=config.batch_size,
        generator=shuffle,
        callbacks=callbacks,
        progress=progress,
        history=history,
    )
    return Trained(config, model, optimizer, history, time.perf_counter() - start)


class OneCycle:
    """A fit callback moving the learning rate along torch's OneCycleLR: up to config.lr, then down to nearly 0."""

    def __init__(self, optimizer, config: Config, *, steps_per_epoch: int):
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=config.lr,
            total_steps=config.epochs * steps_per_epoch,
            cycle_momentum=False,  # momentum stays config.momentum; only the learning rate moves
        )

    def on_step(self, history, loss: float):
        if history.steps < self.scheduler.total_steps:  # the last step needs no next learning rate
            self.scheduler.step()


def load_or_train(checkpoint_path, config: Config, *, data_root=None, written_by="notebook 04"):
    """The model saved at `checkpoint_path` and its Config; trained here with `config` when the file is missing.

    Prints which of the two it did, so a reader knows where the numbers that follow come from;
    `written_by` names what writes the file (a notebook or a command).
    """
    from helpers.checkpoint import load_checkpoint  # checkpoint imports torchvision; only needed here

    path = Path(checkpoint_path)
    if path.exists():
        checkpoint = load_checkpoint(path)
        if checkpoint["config"].model != config.model:  # e.g. `--save checkpoints/cnn.pt` without `--model cnn`
            raise ValueError(
                f"{path.as_posix()} holds the {checkpoint['config'].model.upper()}, not the {config.model.upper()} "
                f"expected here: write it again with {written_by}, or point to the right file."
            )
        print(f"Loaded the model from {path.as_posix()} (written by {written_by}).")
        return checkpoint["model"], checkpoint["config"]
    print(
        f"Note: {path.as_posix()} does not exist (run {written_by} to create it), so the {config.model.upper()} is "
        f"trained here: {config.epochs} epoch(s) on {config.train_fraction:.0%} of the training images."
    )
    train, test = load_mnist(data_root, normalize=config.normalize)
    return train_run(config, train, test).model, config
