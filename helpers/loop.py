"""The training loop: `fit` a model for some epochs, `predict` and measure `accuracy`."""

import signal
import threading
import time
from dataclasses import dataclass, field

import torch

from helpers.data import Digits, batches
from helpers.model import loss_fn


class StopTraining(Exception):
    """Raised by a callback to end `fit` early; the message says why (kept in `History.stopped`)."""


@dataclass
class History:
    """What `fit` measured, one entry per finished epoch, plus where it stopped."""

    train_loss: list = field(default_factory=list)  # mean cross-entropy over the epoch's batches
    test_accuracy: list = field(default_factory=list)  # share of test images classified right, 0-1
    epoch_seconds: list = field(default_factory=list)  # wall time of each epoch's training steps
    steps: int = 0  # gradient steps finished in all
    epochs_done: int = 0  # full epochs finished
    stopped: str = ""  # why training ended early ("" when it ran all epochs)

    def to_dict(self) -> dict:
        """Plain lists and numbers, e.g. for a checkpoint."""
        return dict(self.__dict__)


def default_device() -> torch.device:
    """The GPU when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@torch.inference_mode()
def predict(model, images: torch.Tensor, *, batch_size: int = 1_000) -> torch.Tensor:
    """The predicted digit for each image: the index of the highest of the 10 scores; the model's mode is kept.

    In batches of `batch_size` images: a CNN's first layer holds 50 KB of activations per image, 500 MB for 10,000.
    """
    was_training = model.training
    model.eval()  # no difference for our layers, but the habit matters once dropout or batch norm come in
    try:
        return torch.cat([model(images[i : i + batch_size]).argmax(dim=1) for i in range(0, len(images), batch_size)])
    finally:
        model.train(was_training)


def accuracy(model, data: Digits) -> float:
    """Share of `data`'s images whose predicted digit equals the label, 0-1."""
    return (predict(model, data.images) == data.labels).float().mean().item()


def fit(
    model,
    optimizer,
    train: Digits,
    test: Digits = None,
    *,
    epochs: int,
    batch_size: int,
    generator: torch.Generator = None,
    callbacks=(),
    progress: bool = True,
    history: History = None,
) -> History:
    """Train `model` for `epochs` passes over `train`, testing after each; return the History.

    Each callback may define `on_step(history, loss)` (called after every step with the batch's loss
    as a float), `on_epoch(history)` (after each epoch) and `on_end(history)` (once, when training
    ends or stops), and may raise StopTraining from the first two to end the run.
    A KeyboardInterrupt (the notebook's stop button) also ends it: model, optimizer and history
    then hold the last finished step, and `history.stopped` says how far it got.
    """
    from tqdm.auto import tqdm  # a notebook bar in Jupyter, a text bar in a terminal

    history = history if history is not None else History()
    step_hooks = [cb.on_step for cb in callbacks if hasattr(cb, "on_step")]
    epoch_hooks = [cb.on_epoch for cb in callbacks if hasattr(cb, "on_epoch")]
    end_hooks = [cb.on_end for cb in callbacks if hasattr(cb, "on_end")]
    steps_per_epoch = -(-len(train) // batch_size)  # ceiling division: the last batch may be smaller
    bar = tqdm(total=epochs * steps_per_epoch, disable=not progress, unit="batch", desc="training")
    model.train()
    ctrl_c = _HoldCtrlC()  # Ctrl-C lands between steps, never inside one
    try:
        ctrl_c.hold()
        for epoch in range(epochs):
            start = time.perf_counter()
            mean_loss = _one_epoch(model, optimizer, train, batch_size, generator, history, step_hooks, bar, ctrl_c)
            history.epoch_seconds.append(time.perf_counter() - start)
            history.train_loss.append(mean_loss)
            if test is not None:
                history.test_accuracy.append(accuracy(model, test))
            history.epochs_done = epoch + 1
            bar.set_postfix(
                loss=f"{history.train_loss[-1]:.4f}",
                test_acc=f"{history.test_accuracy[-1]:.2%}" if test is not None else "-",
            )
            for hook in epoch_hooks:
                hook(history)
            ctrl_c.check()
    except StopTraining as e:
        history.stopped = str(e) or "stopped by a callback"
    except KeyboardInterrupt:
        done = history.epochs_done
        history.stopped = f"interrupted after {done} full epoch{'' if done == 1 else 's'} ({history.steps} steps)"
    finally:
        ctrl_c.release()
        bar.close()
    for hook in end_hooks:  # not reached when an error other than a stop escapes: it propagates as it is
        hook(history)
    return history


def _one_epoch(model, optimizer, train, batch_size, generator, history, step_hooks, bar, ctrl_c) -> float:
    """One pass over `train`, a step per batch (the loop notebook 04 writes out); return the mean batch loss."""
    steps = 0
    total_loss = torch.zeros((), device=train.labels.device)  # summed on the device: no sync per step
    for images, labels in batches(train, batch_size, generator=generator):
        loss = loss_fn(model(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        history.steps += 1
        steps += 1
        total_loss += loss.detach()
        bar.update()
        for hook in step_hooks:
            hook(history, loss.item())
        ctrl_c.check()
    return total_loss.item() / steps


class _HoldCtrlC:
    """Holds a Ctrl-C (SIGINT) until `check()`, so that each step and each epoch is recorded whole.

    Only in the main thread and where Python's default handler is in place (a terminal, a Jupyter
    cell); a second Ctrl-C before the next check interrupts at once.
    """

    def __init__(self):
        self.pressed, self.previous = False, None

    def hold(self):
        """Start holding Ctrl-C."""
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self.previous = signal.signal(signal.SIGINT, self._press)

    def _press(self, signum, frame):
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True

    def check(self):
        """Raise the held KeyboardInterrupt, if Ctrl-C was pressed."""
        if self.pressed:
            raise KeyboardInterrupt

    def release(self):
        """Give Ctrl-C back to the handler that was there before."""
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            self.previous = None
