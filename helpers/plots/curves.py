"""Live training curves: a progress bar, the loss and the accuracy while a network trains."""

import time

import matplotlib.pyplot as plt


def _accuracies(history) -> tuple:
    """(name, values in %) of the accuracy a history has: validation when it was measured, else training."""
    if history is not None and history.val_accuracy:
        return "validation accuracy", [100 * a for a in history.val_accuracy]
    return "training accuracy", [100 * a for a in history.train_accuracy] if history is not None else []


class LiveCurves:
    """A `fit` callback drawing a progress bar, the loss (the mean of every `every` steps) and the accuracy (a point per
    epoch: validation when measured, else training) in one output updated in place; use with `fit(progress=False)`.

    Each picture is a message to the notebook and costs training time: at most `redraws_per_epoch` within an epoch,
    at least `min_seconds` and 4 times the last redraw's time apart, and always at the end of an epoch.
    """

    def __init__(self, steps_per_epoch: int, *, epochs: int, title="", every=50, min_seconds=1.0, redraws_per_epoch=5):
        from IPython.display import display

        self.steps_per_epoch, self.epochs, self.every, self.min_seconds = steps_per_epoch, epochs, every, min_seconds
        self.min_steps = max(every, steps_per_epoch // redraws_per_epoch)  # steps between redraws
        self.losses, self.loss_x, self.window = [], [], []
        self.fig, (self.loss_ax, self.acc_ax) = plt.subplots(1, 2, figsize=(10, 3.9), dpi=80)
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.74, wspace=0.22)
        self.bar_ax = self.fig.add_axes((0.07, 0.845, 0.91, 0.05))  # the progress bar, across the top
        if title:
            self.fig.suptitle(title, y=0.985)
        plt.close(self.fig)  # shown through the display handle, not again at the end of the cell
        self.started, self.next_draw, self.drawn_at = None, float("-inf"), 0
        self.draw(None)
        self.handle = display(self.fig, display_id=True)

    def on_step(self, history, loss: float):
        """Keep the loss; every `every` steps add a point, and redraw if the last redraw is old enough."""
        self.started = self.started or time.perf_counter()
        self.window.append(loss)
        if len(self.window) == self.every:
            self.losses.append(sum(self.window) / self.every)
            self.loss_x.append(history.steps / self.steps_per_epoch)
            self.window.clear()
            if history.steps - self.drawn_at >= self.min_steps and time.perf_counter() >= self.next_draw:
                self.update(history)

    def on_epoch(self, history):
        """Redraw with the epoch's accuracy point."""
        self.update(history)

    def on_end(self, history):
        """Redraw once more if training stopped between redraws, so the picture says where it stopped."""
        if history.stopped or history.steps != self.drawn_at:
            self.update(history)

    def update(self, history):
        """Redraw and push the new picture to the notebook."""
        start = time.perf_counter()
        self.draw(history)
        if self.handle is not None:  # None outside IPython: then only the figure is kept up to date
            self.handle.update(self.fig)
        self.next_draw = time.perf_counter() + max(self.min_seconds, 4 * (time.perf_counter() - start))
        self.drawn_at = history.steps

    def progress(self, history) -> str:
        """Where training is, e.g. 'epoch 3/15 done, step 1,407 of 7,035 (20%), 25 s, about 100 s left'."""
        steps, done = (history.steps, history.epochs_done) if history else (0, 0)
        total = self.epochs * self.steps_per_epoch
        text = f"epoch {done}/{self.epochs} done, step {steps:,} of {total:,} ({steps / total:.0%})"
        if self.started is not None and steps:
            elapsed = time.perf_counter() - self.started
            left = f", about {elapsed / steps * (total - steps):.0f} s left" if steps < total else ""
            text += f", {elapsed:.0f} s{left}"
        return text + (f"; stopped: {history.stopped}" if history is not None and history.stopped else "")

    def draw(self, history):
        """Redraw the bar and both panels from what was recorded so far (`history` None: empty axes)."""
        name, accs = _accuracies(history)
        done = (history.steps if history else 0) / (self.epochs * self.steps_per_epoch)
        bar, loss, acc = self.bar_ax, self.loss_ax, self.acc_ax
        for ax in (bar, loss, acc):
            ax.clear()
        bar.set(xlim=(0, 1), ylim=(0, 1), xticks=[], yticks=[])
        bar.barh(0.5, done, height=1, color="#a8d5a2")
        bar.text(0.5, 0.45, self.progress(history), ha="center", va="center", fontsize=9)
        loss.plot(self.loss_x, self.losses, color="tab:blue", linewidth=1, label=f"mean of {self.every} steps")
        if history is not None and history.train_loss:  # an epoch's mean loss belongs to its middle
            middles = [i + 0.5 for i in range(len(history.train_loss))]
            loss.plot(middles, history.train_loss, "o", color="tab:blue", markersize=4, label="mean of each epoch")
        loss.set(ylabel="training loss (cross-entropy)", title="Loss (lower is better)", xlim=(0, self.epochs))
        acc.plot(range(1, len(accs) + 1), accs, marker="o", markersize=4, color="tab:orange")
        if accs:
            last = (len(accs), accs[-1])
            acc.annotate(f"{accs[-1]:.2f}%", last, textcoords="offset points", xytext=(0, -15), ha="center", fontsize=9)
        acc.set(ylabel=f"{name} (%)", title=f"{name.capitalize()} (higher is better)", xlim=(0, self.epochs + 0.5))
        for ax in (loss, acc):
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
        loss.legend(loc="upper right", fontsize=8)
