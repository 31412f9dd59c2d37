"""Pictures the notebooks share: digit grids and training curves (matplotlib)."""

import matplotlib.pyplot as plt
import torch


def show_digits(images, titles=None, *, ncols=10, size=1.1, cmap="gray_r"):
    """Draw images ([N, 784] or [N, 28, 28]) in a grid, each with an optional title; return the figure."""
    images = torch.as_tensor(images).detach().cpu().reshape(-1, 28, 28)
    n = len(images)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.15), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=9)
    fig.tight_layout()
    return fig


def plot_history(history, *, label=None, axes=None, dl4j_accuracy=0.971):
    """Train loss and test accuracy per epoch, side by side; pass `axes` to overlay several runs."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    epochs = range(1, len(history.train_loss) + 1)
    loss_ax, acc_ax = axes
    loss_ax.plot(epochs, history.train_loss, marker="o", label=label)
    loss_ax.set(xlabel="epoch", ylabel="train loss (cross-entropy)", title="Loss: lower is better")
    if history.test_accuracy:
        acc_ax.plot(epochs[: len(history.test_accuracy)], [100 * a for a in history.test_accuracy], marker="o", label=label)
    if dl4j_accuracy and not any(line.get_label() == "DL4J" for line in acc_ax.get_lines()):
        acc_ax.axhline(100 * dl4j_accuracy, color="gray", linestyle="--", linewidth=1, label="DL4J")
    acc_ax.set(xlabel="epoch", ylabel="test accuracy (%)", title="Test accuracy: higher is better")
    for ax in axes:
        ax.grid(alpha=0.3)
    if label is not None or dl4j_accuracy:
        acc_ax.legend()
    return axes


class LiveCurves:
    """A `fit` callback that redraws loss and test-accuracy curves while the network trains.

    The loss is plotted against epochs (fractions of an epoch between test points), averaged over
    the last `every` steps so the curve is readable; test accuracy gets a point per epoch.
    """

    def __init__(self, steps_per_epoch: int, *, every: int = 50, title: str = "", dl4j_accuracy: float = 0.971):
        from IPython.display import display

        self.steps_per_epoch, self.every = steps_per_epoch, every
        self.losses, self.loss_x, self._window = [], [], []
        self.fig, (self.loss_ax, self.acc_ax) = plt.subplots(1, 2, figsize=(10, 3.5))
        self.fig.suptitle(title)
        self.dl4j_accuracy = dl4j_accuracy
        plt.close(self.fig)  # shown through the display handle below, not again at the end of the cell
        self.handle = display(self.fig, display_id=True)

    def on_step(self, history, loss: float):
        """Keep the loss; redraw every `every` steps."""
        self._window.append(loss)
        if len(self._window) == self.every:
            self.losses.append(sum(self._window) / self.every)
            self.loss_x.append(history.steps / self.steps_per_epoch)
            self._window.clear()
            self.draw(history)

    def on_epoch(self, history):
        """Redraw with the new test accuracy point."""
        self.draw(history)

    def draw(self, history):
        """Redraw both panels from what was recorded so far."""
        self.loss_ax.clear()
        self.loss_ax.plot(self.loss_x, self.losses, color="tab:blue")
        self.loss_ax.set(xlabel="epoch", ylabel="train loss", title="Loss (lower is better)")
        self.acc_ax.clear()
        accs = [100 * a for a in history.test_accuracy]
        self.acc_ax.plot(range(1, len(accs) + 1), accs, marker="o", color="tab:orange", label="this run")
        if self.dl4j_accuracy:
            self.acc_ax.axhline(100 * self.dl4j_accuracy, color="gray", linestyle="--", linewidth=1, label="DL4J 97.1%")
        self.acc_ax.set(xlabel="epoch", ylabel="test accuracy (%)", title="Test accuracy (higher is better)")
        self.acc_ax.legend(loc="lower right")
        for ax in (self.loss_ax, self.acc_ax):
            ax.grid(alpha=0.3)
        self.handle.update(self.fig)
