"""Training curves: a finished run's history, and live curves while a network trains."""

import matplotlib.pyplot as plt

from helpers.config import DL4J_ACCURACY


def plot_history(history, *, label=None, axes=None, dl4j_accuracy=DL4J_ACCURACY):
    """Train loss and test accuracy per epoch, side by side; pass `axes` to overlay several runs."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    epochs = range(1, len(history.train_loss) + 1)
    loss_ax, acc_ax = axes
    loss_ax.plot(epochs, history.train_loss, marker="o", label=label)
    loss_ax.set(xlabel="epoch", ylabel="train loss (cross-entropy)", title="Loss: lower is better")
    if history.test_accuracy:
        acc_ax.plot(
            epochs[: len(history.test_accuracy)], [100 * a for a in history.test_accuracy], marker="o", label=label
        )
    if dl4j_accuracy and not any(line.get_label() == "DL4J" for line in acc_ax.get_lines()):
        acc_ax.axhline(100 * dl4j_accuracy, color="gray", linestyle="--", linewidth=1, label="DL4J")
    acc_ax.set(xlabel="epoch", ylabel="test accuracy (%)", title="Test accuracy: higher is better")
    for ax in axes:
        ax.grid(alpha=0.3)
    if label is not None or dl4j_accuracy:
        acc_ax.legend()
    return axes


class LiveCurves:
    """A `fit` callback that draws a progress bar and the loss and test-accuracy curves while the network trains.

    The loss is plotted against epochs (fractions of an epoch between test points), averaged over
    the last `every` steps so the curve is readable; test accuracy gets a point per epoch. Above
    them, a progress bar counts the steps (with `epochs` given) and the time elapsed and left.

    Drawing costs time the training could use, and every picture sent to the notebook is a message
    (a run headless under nbval or papermill fails when a cell sends thousands), so redraws are
    spaced out: at most `redraws_per_epoch` during an epoch, at least `min_seconds` apart and at
    least 4 times as long as the last redraw took (drawing then takes at most a fifth of the time,
    even on a slow or busy machine); and always at the end of an epoch, so that the last picture
    holds every point. It updates one output in place: in JupyterLab it moves; in a saved notebook
    (GitHub's viewer, nbval) the last picture remains, saying how far training got. Use it with
    `fit(..., progress=False)`: it replaces the text progress bar.
    """

    def __init__(
        self,
        steps_per_epoch: int,
        *,
        every: int = 50,
        title: str = "",
        dl4j_accuracy: float = DL4J_ACCURACY,
        epochs: int = None,
        min_seconds: float = 1.0,
        redraws_per_epoch: int = 5,
        dpi: int = 80,
    ):
        import time

        from IPython.display import display

        if steps_per_epoch < 1 or every < 1:
            raise ValueError(f"LiveCurves: steps_per_epoch = {steps_per_epoch} and every = {every} must both be >= 1.")
        self._clock = time.perf_counter
        self.steps_per_epoch, self.every, self.epochs, self.min_seconds = steps_per_epoch, every, epochs, min_seconds
        self.total_steps = epochs * steps_per_epoch if epochs else None  # for the progress bar; None: open-ended
        self.dl4j_accuracy, self.title = dl4j_accuracy, title
        self.losses, self.loss_x, self._window = [], [], []
        self.fig, (self.loss_ax, self.acc_ax) = plt.subplots(1, 2, figsize=(10, 3.9), dpi=dpi)
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.74, wspace=0.22)
        self.bar_ax = self.fig.add_axes((0.07, 0.845, 0.91, 0.05))  # the progress bar, across the top
        plt.close(self.fig)  # shown through the display handle below, not again at the end of the cell
        self._started = None  # clock time of the first step
        self._next_draw = float("-inf")  # clock time before which on_step does not redraw
        self._min_steps = max(every, steps_per_epoch // max(1, redraws_per_epoch))  # steps between redraws
        self._drawn_at_step = 0
        self.draw(None)
        self.handle = display(self.fig, display_id=True)

    def on_step(self, history, loss: float):
        """Keep the loss; every `every` steps add a point, and redraw if the last redraw is old enough."""
        if self._started is None:
            self._started = self._clock()
        self._window.append(loss)
        if len(self._window) == self.every:
            self.losses.append(sum(self._window) / self.every)
            self.loss_x.append(history.steps / self.steps_per_epoch)
            self._window.clear()
            if history.steps - self._drawn_at_step >= self._min_steps and self._clock() >= self._next_draw:
                self.update(history)

    def on_epoch(self, history):
        """Redraw with the new test accuracy point."""
        self.update(history)

    def on_end(self, history):
        """Redraw once more if training stopped between epochs, so the picture says where it stopped."""
        if history.stopped or history.steps != self._drawn_at_step:
            self.update(history)

    def update(self, history):
        """Redraw and push the new picture to the notebook."""
        start = self._clock()
        self.draw(history)
        if self.handle is not None:  # None outside IPython: then only the figure is kept up to date
            self.handle.update(self.fig)
        now = self._clock()
        self._next_draw = now + max(self.min_seconds, 4 * (now - start))
        self._drawn_at_step = history.steps

    def progress(self, history) -> str:
        """Where training is, in words, e.g. 'epoch 3/15 done, step 1,407 of 7,035 (20%), 25 s, about 100 s left'."""
        steps, done = (history.steps, history.epochs_done) if history is not None else (0, 0)
        total = self.total_steps
        text = f"epoch {done}/{self.epochs} done" if self.epochs else f"epoch {done} done"
        text += f", step {steps:,} of {total:,} ({steps / total:.0%})" if total else f", step {steps:,}"
        if self._started is not None and steps:
            elapsed = self._clock() - self._started
            text += f", {elapsed:.0f} s"
            if total and steps < total:
                text += f", about {elapsed / steps * (total - steps):.0f} s left"
        if history is not None and history.stopped:
            text += f"; stopped: {history.stopped}"
        return text

    def draw(self, history):
        """Redraw the bar and both panels from what was recorded so far (`history` None: empty axes)."""
        accs = [100 * a for a in history.test_accuracy] if history is not None else []
        xmax = self.epochs or max([1, len(accs), *self.loss_x])
        if self.title:
            self.fig.suptitle(self.title, y=0.985)
        steps = history.steps if history is not None else 0
        self.bar_ax.clear()
        self.bar_ax.set(xlim=(0, 1), ylim=(0, 1), xticks=[], yticks=[])
        if self.total_steps:
            self.bar_ax.barh(0.5, steps / self.total_steps, height=1, color="#a8d5a2")
        self.bar_ax.text(0.5, 0.45, self.progress(history), ha="center", va="center", fontsize=9)
        self.loss_ax.clear()
        self.loss_ax.plot(self.loss_x, self.losses, color="tab:blue", linewidth=1, label=f"mean of {self.every} steps")
        if history is not None and history.train_loss:
            # an epoch's mean loss belongs to its middle, not its end
            self.loss_ax.plot(
                [i - 0.5 for i in range(1, len(history.train_loss) + 1)],
                history.train_loss,
                "o",
                color="tab:blue",
                markersize=4,
                label="mean of each epoch",
            )
        self.loss_ax.set(
            xlabel="epoch", ylabel="train loss (cross-entropy)", title="Loss (lower is better)", xlim=(0, xmax)
        )
        self.acc_ax.clear()
        self.acc_ax.plot(range(1, len(accs) + 1), accs, marker="o", markersize=4, color="tab:orange", label="this run")
        if accs:
            self.acc_ax.annotate(
                f"{accs[-1]:.2f}%",
                (len(accs), accs[-1]),
                textcoords="offset points",
                xytext=(0, -15),
                ha="center",
                fontsize=9,
                color="tab:orange",
            )
        if self.dl4j_accuracy:
            self.acc_ax.axhline(
                100 * self.dl4j_accuracy,
                color="gray",
                linestyle="--",
                linewidth=1,
                label=f"DL4J {100 * self.dl4j_accuracy:.1f}%",
            )
        self.acc_ax.set(
            xlabel="epoch", ylabel="test accuracy (%)", title="Test accuracy (higher is better)", xlim=(0, xmax + 0.5)
        )
        for ax in (self.loss_ax, self.acc_ax):
            ax.grid(alpha=0.3)
            if any(not line.get_label().startswith("_") for line in ax.get_lines()):
                ax.legend(loc="upper right" if ax is self.loss_ax else "lower right", fontsize=8)
