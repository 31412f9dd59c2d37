"""The training loop of notebook 04: `train_epoch` and `accuracy`, the notebook's code line for line, and `fit`,
which runs them with what a long run needs: a progress bar, callbacks, and a Ctrl-C that ends the run cleanly."""

import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F


def train_epoch(model, loader, optimizer, l2=0.0):
    """One pass over `loader`, one step per batch; returns the mean loss of the steps."""
    model.train()
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]  # DL4J's l2 spares biases
    total, steps = 0.0, 0
    for images, labels in loader:  # [B, 784] pixels, [B] digits
        loss = F.cross_entropy(model(images), labels)  # softmax + negative log-likelihood, averaged over the batch
        optimizer.zero_grad()  # backward() adds to .grad: clear the last step's
        loss.backward()  # d loss / d parameter, for every parameter
        with torch.no_grad():  # DL4J's l2: every weight shrinks by l2 / B of itself, outside lr and momentum
            for weight in weights:
                weight.mul_(1 - l2 / len(labels))
        optimizer.step()  # every parameter moves against its gradient (Nesterov momentum)
        total, steps = total + loss.item(), steps + 1
    return total / steps


@torch.no_grad()
def accuracy(model, loader):
    """The share of the loader's images whose highest score is at their label, 0-1."""
    model.eval()
    right, seen = 0, 0
    for images, labels in loader:
        right += (model(images).argmax(dim=1) == labels).sum().item()
        seen += len(labels)
    return right / seen


class StopTraining(Exception):
    """Raised by a callback to end `fit` early; the message says why (kept in History.stopped)."""


@dataclass
class History:
    """What `fit` measured, one entry per finished epoch, and where it stopped."""

    train_loss: list = field(default_factory=list)  # mean cross-entropy of the epoch's steps
    train_accuracy: list = field(default_factory=list)  # share of the epoch's batches read right as they trained, 0-1
    val_accuracy: list = field(default_factory=list)  # on the validation loader after each epoch, 0-1, if given
    epoch_seconds: list = field(default_factory=list)  # wall time of each epoch's steps
    steps: int = 0  # steps finished in all
    epochs_done: int = 0  # epochs finished
    stopped: str = ""  # why training ended early ("" when it ran every epoch)

    def to_dict(self) -> dict:
        """Plain lists and numbers, e.g. for a checkpoint."""
        return dict(self.__dict__)


def fit(model, optimizer, train_loader, val_loader=None, *, epochs, l2=0.0, callbacks=(), progress=True) -> History:
    """Run `train_epoch` `epochs` times, with `accuracy` on `val_loader` after each; return the History.

    A callback may define `on_step(history, loss)`, `on_epoch(history)` and `on_end(history)`, and raise StopTraining
    from the first two. Ctrl-C (or the notebook's stop button) ends the run after the step it lands in, keeping every
    finished step; `history.stopped` says how far it got.
    """
    from tqdm.auto import tqdm  # a notebook bar in Jupyter, a text bar in a terminal

    history = History()
    bar = tqdm(total=epochs * len(train_loader), disable=not progress, unit="step", desc="training")
    watch = _Watch(model, history, callbacks, bar)
    try:
        with ctrl_c_between_steps(watch.pressed):
            for _ in range(epochs):
                start = time.perf_counter()
                history.train_loss.append(train_epoch(model, watch.steps(train_loader), optimizer, l2))
                history.epoch_seconds.append(time.perf_counter() - start)
                # the share of the epoch's images the model read right at the step that learned from them
                history.train_accuracy.append(watch.right / watch.seen)
                if val_loader is not None:
                    history.val_accuracy.append(accuracy(model, val_loader))
                history.epochs_done += 1
                val = f", validation {history.val_accuracy[-1]:.2%}" if history.val_accuracy else ""
                bar.set_postfix_str(f"loss {history.train_loss[-1]:.4f}{val}")
                watch.tell("on_epoch")
    except StopTraining as e:
        history.stopped = str(e) or "stopped by a callback"
    except KeyboardInterrupt:
        done = history.epochs_done
        history.stopped = f"interrupted after {done} full epoch{'' if done == 1 else 's'} ({history.steps} steps)"
    finally:
        watch.hook.remove()
        bar.close()
    for callback in callbacks:  # not reached when another error escapes: that one propagates as it is
        if hasattr(callback, "on_end"):
            callback.on_end(history)
    return history


class _Watch:
    """fit's eyes on train_epoch: it hands over the batches and, after each step, counts it, reads its loss (from the
    scores a forward hook kept: train_epoch's own number, without changing a line of it) and calls the callbacks."""

    def __init__(self, model, history, callbacks, bar):
        self.history, self.callbacks, self.bar = history, callbacks, bar
        self.pressed = threading.Event()  # Ctrl-C, held until the step ends
        self.scores, self.right, self.seen = None, 0, 0
        self.hook = model.register_forward_hook(self._keep)

    def _keep(self, module, inputs, output):
        if self.scores is None:  # the step's forward pass; not a callback's evaluation after it
            self.scores = output.detach()

    def steps(self, loader):
        """The loader's batches; after each one's step: the bookkeeping, then the callbacks (which may stop the run)."""
        self.right, self.seen = 0, 0
        for images, labels in loader:
            self.scores = None
            yield images, labels  # what follows runs when train_epoch asks for the next batch, or finds there is none
            self.history.steps += 1
            self.bar.update()
            self.right += (self.scores.argmax(dim=1) == labels).sum().item()
            self.seen += len(labels)
            self.tell("on_step", F.cross_entropy(self.scores, labels).item())

    def tell(self, event: str, *args):
        """Call `event` (on_step, on_epoch) of every callback that has it; then a Ctrl-C held meanwhile ends the run."""
        for callback in self.callbacks:
            if hasattr(callback, event):
                getattr(callback, event)(self.history, *args)
        if self.pressed.is_set():
            raise KeyboardInterrupt


@contextmanager
def ctrl_c_between_steps(pressed: threading.Event):
    """Within it, a first Ctrl-C only sets `pressed` (fit ends after that step); a second interrupts at once.
    Only where Python's own handler is in place, in the main thread; elsewhere (the playground's training thread)
    Ctrl-C acts as usual."""

    def press(signum, frame):
        if pressed.is_set():
            raise KeyboardInterrupt
        pressed.set()

    ours = threading.current_thread() is threading.main_thread()
    if not ours or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    previous = signal.signal(signal.SIGINT, press)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def default_device() -> torch.device:
    """The GPU when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
