"""The one recipe for a training run (seed, share of the data, network, optimizer, fit), a model to examine, and the record of a run.

Run is what the playground, the slider experiments and quick_run all hand back; RunTable shows runs as a table.
"""

import html
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from helpers.config import Config
from helpers.data import Digits, load_mnist, subset
from helpers.loop import History, fit
from helpers.model import network, sgd

# the Config fields the playground's sliders move: what a Run's `settings` and the run table show
SLIDERS = ("lr", "momentum", "l2", "batch_size", "epochs", "train_fraction")


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
) -> "Run":
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
    seconds = time.perf_counter() - start
    return Run(
        config,
        model,
        history,
        optimizer=optimizer,
        status="stopped" if history.stopped else "done",
        message=history.stopped or "",
        accuracy=history.test_accuracy[-1] if history.test_accuracy else math.nan,
        seconds=seconds,
        steps=history.steps,
    )


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
        """Move the learning rate one step along the cycle."""
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


@dataclass
class Run:
    """One training run: its settings, what was measured while it trained, how it ended, and the trained network.

    train_run returns one; the playground makes one per click of Train and fills in its curves' points
    and its status as it trains; quick_run makes one that keeps every step's loss and weight norm.
    """

    config: Config  # every setting of the run (Config validated them)
    model: torch.nn.Module = None  # the network as the run left it
    history: History = None  # what fit recorded
    optimizer: torch.optim.Optimizer = None  # its state (momentum) as the run left it: what a checkpoint saves
    number: int = 0  # the playground's 1, 2, ... in the order of the clicks; 0 for a run made outside it
    status: str = "running"  # running, done, stopped (by you), diverged (the guard stopped it) or error
    message: str = ""  # how it ended, in words, with what to try when it went wrong
    accuracy: float = math.nan  # on all 10,000 test images when the run ended, 0-1
    seconds: float = 0.0  # wall time; in the playground from the click to the end of the run
    first_point_seconds: float = math.nan  # from the click to the first point on the playground's curves
    steps: int = 0  # gradient steps done
    losses: list = field(default_factory=list)  # train loss of each step (one batch each)
    weight_norms: list = field(default_factory=list)  # the weights' size after each step, where it was recorded
    loss_points: list = field(default_factory=list)  # (epoch, mean train loss of the steps since the last point)
    accuracy_points: list = field(default_factory=list)  # (epoch, test accuracy 0-1)

    @property
    def steps_per_epoch(self) -> int:
        """Gradient steps in one pass over the run's training images (the last batch may be smaller)."""
        return -(-self.config.train_images // self.config.batch_size)

    @property
    def settings(self) -> dict:
        """The slider settings of this run, e.g. {'lr': 0.006, 'momentum': 0.9, ...}."""
        return {name: getattr(self.config, name) for name in SLIDERS}

    @property
    def epochs_done(self) -> float:
        """How far the run got, in epochs (2.5 = two and a half passes over its training images)."""
        return self.steps / self.steps_per_epoch

    @property
    def final_loss(self) -> float:
        """Mean train loss of the last finished epoch (nan before the first one ends)."""
        return self.history.train_loss[-1] if self.history is not None and self.history.train_loss else math.nan

    def __str__(self):
        c = self.config
        head = (
            f"Run{f' #{self.number}' if self.number else ''}: lr {c.lr:g}, momentum {c.momentum:g}, L2 {c.l2:g}, batch {c.batch_size}, "
            f"{c.epochs} epoch{'s' if c.epochs > 1 else ''} on {c.train_fraction:.0%} of the training set ({c.train_images:,} images)"
        )
        if self.status == "running":
            return f"{head}: running, {self.epochs_done:.2f} epochs so far"
        acc = "no test accuracy" if math.isnan(self.accuracy) else f"test accuracy {self.accuracy:.2%}"
        ending = f"{head}\n  {self.status}: {acc} after {self.epochs_done:.2f} epochs, {self.seconds:.1f} s"
        return f"{ending}\n  {self.message}" if self.message else ending

    __repr__ = __str__


class RunTable:
    """Runs as a table: HTML in Jupyter, aligned text anywhere else."""

    COLUMNS = (
        "run",
        "learning rate",
        "momentum",
        "L2",
        "batch",
        "epochs",
        "training share",
        "test accuracy",
        "time",
        "status",
    )

    def __init__(self, runs):
        self.runs = runs

    def rows(self) -> list:
        """One tuple of strings per run, in COLUMNS order."""
        rows = []
        for r in self.runs:
            c = r.config
            rows.append(
                (
                    f"#{r.number}",
                    f"{c.lr:g}",
                    f"{c.momentum:g}",
                    f"{c.l2:g}",
                    f"{c.batch_size}",
                    f"{c.epochs}" if r.status == "done" else f"{r.epochs_done:.2f} of {c.epochs}",
                    f"{c.train_fraction:.0%} ({c.train_images:,})",
                    "-" if math.isnan(r.accuracy) else f"{r.accuracy:.2%}",
                    f"{r.seconds:.1f} s" if r.status != "running" else "...",
                    r.status,
                )
            )
        return rows

    def __str__(self):
        rows = [self.COLUMNS, *self.rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(self.COLUMNS))]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)

    __repr__ = __str__

    def _repr_html_(self):
        if not self.runs:
            return "<p><i>No runs yet.</i></p>"
        head = "".join(f"<th style='padding:2px 8px;text-align:left'>{h}</th>" for h in self.COLUMNS)
        body = []
        for run, row in zip(self.runs, self.rows()):
            swatch = f"<span style='color:{run_color(run.number)}'>&#9632;</span> "
            cells = [swatch + row[0], *row[1:]]
            body.append(
                "<tr title='"
                + html.escape(run.message, quote=False).replace("'", "&#39;")
                + "'>"
                + "".join(f"<td style='padding:2px 8px'>{x}</td>" for x in cells)
                + "</tr>"
            )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def run_color(number: int) -> str:
    """Run n's colour, the same in the curves and the table: matplotlib's default colour cycle (C0, C1, ...)."""
    import matplotlib.colors  # here: the command-line training needs no matplotlib

    return matplotlib.colors.to_hex(f"C{(number - 1) % 10}")
