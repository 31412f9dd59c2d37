"""One configured training run, from a Config to a trained network: `train_run` (the recipe behind the command line,
the playground and the notebooks after 04), its record `Run`, and `load_or_train`."""

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.optim.lr_scheduler import OneCycleLR

from helpers.config import Config
from helpers.data import batch_loader, load_mnist, share_of
from helpers.loop import History, fit
from helpers.model import build, make_optimizer

SLIDERS = ("lr", "momentum", "l2", "batch_size", "epochs", "train_fraction")  # what a Run's `settings` holds


@dataclass
class Run:
    """One training run: its settings, how it went, and the trained network."""

    config: Config  # every setting of the run
    model: torch.nn.Module = None  # the network as the run left it
    optimizer: torch.optim.Optimizer = None  # its state (momentum) as the run left it
    history: History = None  # what fit recorded
    number: int = 0  # the playground's 1, 2, ... in the order of the clicks; 0 outside it
    status: str = "running"  # running, done, stopped (Stop, Ctrl-C or a callback), diverged (the guard) or error
    message: str = ""  # how it ended, in words, with what to try when it went wrong
    seconds: float = 0.0  # wall time of the run
    images: int = 0  # training images it learns from (train_run sets it; its share of the set it was given)
    losses: list = field(default_factory=list)  # the loss of every step, in order
    loss_points: list = field(default_factory=list)  # the playground's curve: (epochs done, mean loss since the last)
    accuracy_points: list = field(default_factory=list)  # (epochs done, validation accuracy 0-1)
    first_point_seconds: float = math.nan  # from the click to the first point on the playground's curves

    @property
    def accuracy(self) -> float:
        """Validation accuracy where the run ended (nan without a validation set or before the first point)."""
        return self.accuracy_points[-1][1] if self.accuracy_points else math.nan

    @property
    def steps(self) -> int:
        """Steps finished."""
        return len(self.losses)

    @property
    def steps_per_epoch(self) -> int:
        """Steps in one pass over the run's training images (the last batch may be smaller)."""
        return -(-(self.images or self.config.train_images) // self.config.batch_size)

    @property
    def epochs_done(self) -> float:
        """How far the run got, in epochs (2.5: two and a half passes)."""
        return self.steps / self.steps_per_epoch

    @property
    def settings(self) -> dict:
        """The values of the playground's sliders for this run."""
        return {name: getattr(self.config, name) for name in SLIDERS}

    def __str__(self):
        c = self.config
        head = (
            f"Run{f' #{self.number}' if self.number else ''}: lr {c.lr:g}, momentum {c.momentum:g}, L2 {c.l2:g}, "
            f"batch {c.batch_size}, {c.epochs} epoch{'s' if c.epochs > 1 else ''} on {self.images or c.train_images:,} training images"
        )
        if self.status == "running":
            return f"{head}: running, {self.epochs_done:.2f} epochs so far"
        acc = "no validation accuracy" if math.isnan(self.accuracy) else f"validation accuracy {self.accuracy:.2%}"
        text = f"{head}\n  {self.status}: {acc} after {self.epochs_done:.2f} epochs, {self.seconds:.1f} s"
        return f"{text}\n  {self.message}" if self.message else text

    __repr__ = __str__

    def on_step(self, history, loss: float):
        """As train_run's own callback: keep every step's loss."""
        self.losses.append(loss)

    def on_epoch(self, history):
        """As train_run's own callback: keep every epoch's validation accuracy."""
        if history.val_accuracy:
            self.accuracy_points.append((history.epochs_done, history.val_accuracy[-1]))


def train_run(config: Config, train_set, val_set=None, *, callbacks=(), progress=False, run: Run = None) -> Run:
    """Train a fresh network as `config` says on config.train_fraction of `train_set`; the same config gives the same run.

    Everything random comes from config.seed: the start weights, which images the share keeps, the batch order. With
    `val_set`, validation accuracy after every epoch; `run`: a record to fill in that the caller already shows.
    """
    run = run or Run(config)
    generator = torch.Generator().manual_seed(config.seed)  # the share of the images, then the batch order
    data = share_of(train_set, config.train_fraction, generator=generator)
    run.images = len(data)
    run.model = build(config, device=train_set.tensors[0].device)
    run.optimizer = make_optimizer(run.model, config)
    steps = config.epochs * run.steps_per_epoch
    schedule = [OneCycle(run.optimizer, config, steps=steps)] if config.schedule == "one-cycle" else []
    start = time.perf_counter()
    run.history = fit(
        run.model,
        run.optimizer,
        batch_loader(data, config.batch_size, generator=generator),
        None if val_set is None else batch_loader(val_set, 1000, shuffle=False),
        epochs=config.epochs,
        l2=config.l2 if config.l2_rule == "dl4j" else 0.0,  # PyTorch's rule is the optimizer's weight_decay
        callbacks=[run, *schedule, *callbacks],
        progress=progress,
    )
    run.seconds = time.perf_counter() - start
    run.status, run.message = ("stopped", run.history.stopped) if run.history.stopped else ("done", "")
    return run


class OneCycle:
    """A fit callback moving the learning rate along torch's OneCycleLR: up to config.lr, then down to nearly 0."""

    def __init__(self, optimizer, config: Config, *, steps: int):
        # cycle_momentum=False: momentum stays config.momentum
        self.scheduler = OneCycleLR(optimizer, max_lr=config.lr, total_steps=steps, cycle_momentum=False)

    def on_step(self, history, loss: float):
        """Move the learning rate one step along the cycle."""
        if history.steps < self.scheduler.total_steps:  # the last step needs no next learning rate
            self.scheduler.step()


def load_or_train(checkpoint_path, config: Config, *, data_root=None, written_by="notebook 04", say=print):
    """The model saved at `checkpoint_path` and its Config; trained here with `config` when the file is missing.
    Says which (`say`: print, or where the app shows it), so that a reader knows where the numbers that follow come
    from; `written_by` writes the file."""
    from helpers.checkpoint import CheckpointError, describe, load_checkpoint

    path = Path(checkpoint_path)
    if path.exists():
        checkpoint = load_checkpoint(path)
        if checkpoint["config"].model != config.model:  # e.g. `--save checkpoints/cnn.pt` without `--model cnn`
            raise CheckpointError(
                f"{path.as_posix()} holds the {checkpoint['config'].model.upper()}, not the {config.model.upper()} "
                f"expected here: write it again with {written_by}, or point to the right file."
            )
        say(f"Loaded {describe(checkpoint, path)} (written by {written_by}).")
        if checkpoint["partial"]:
            say(f"Note: a partial model falls short of a finished run; {written_by} writes the finished one.")
        return checkpoint["model"], checkpoint["config"]
    say(
        f"Note: {path.as_posix()} does not exist (run {written_by} to create it), so the {config.model.upper()} is "
        f"trained here: {config.epochs} epoch(s) on {config.train_fraction:.0%} of the training images."
    )
    train_set, _ = load_mnist(data_root, normalize=config.normalize)
    return train_run(config, train_set).model, config
