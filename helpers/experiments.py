"""Quick training runs for the hyperparameter lesson (notebook 02), and a slider that reruns them."""

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import torch

from helpers.config import Config
from helpers.data import Digits
from helpers.loop import History
from helpers.runs import build, train_run


@dataclass
class Run:
    """One quick training run: its settings, the trained model, and what was measured at every step."""

    config: Config
    model: torch.nn.Module
    history: History
    losses: list = field(default_factory=list)  # train loss of each step (one batch each)
    weight_norms: list = field(default_factory=list)  # weight_norm(model) after each step
    seconds: float = 0.0  # wall time of the run

    @property
    def accuracy(self) -> float:
        """Test accuracy after the last epoch, 0-1."""
        return self.history.test_accuracy[-1]

    @property
    def final_loss(self) -> float:
        """Mean train loss of the last epoch."""
        return self.history.train_loss[-1]


def weight_norm(model: torch.nn.Module) -> float:
    """Length of all the weights taken as one long vector, sqrt(sum of w^2); biases left out, as L2 leaves them."""
    squares = sum(p.detach().pow(2).sum() for name, p in model.named_parameters() if name.endswith("weight"))
    return float(squares) ** 0.5


class _Recorder:
    """A fit callback keeping each step's loss and the weights' size after it."""

    def __init__(self, run: Run):
        self.run = run

    def on_step(self, history, loss: float):
        self.run.losses.append(loss)
        self.run.weight_norms.append(weight_norm(self.run.model))


def quick_run(config: Config, train: Digits, test: Digits) -> Run:
    """Train a fresh network with `config` on config.train_fraction of `train`; the same config gives the same run.

    Everything random comes from config.seed: which images are in the subset, the start weights
    (torch.manual_seed(config.seed) right before the network is built) and the order of the batches.
    """
    run = Run(config, build(config), History())
    run.seconds = train_run(
        config, train, test, model=run.model, callbacks=[_Recorder(run)], history=run.history
    ).seconds
    return run


def plot_runs(runs, *, label="lr", right="accuracy", title=""):
    """Loss at every step of each run (left) and its test accuracy or weight norm (right); return the figure.

    `label` is the Config field that tells the runs apart; `right` is "accuracy" or "weight norm".
    The figure is closed in pyplot at once, so it appears only where it is displayed (safe in a widget's callback).
    """
    if right not in ("accuracy", "weight norm"):
        raise ValueError(f"right={right!r}; allowed: 'accuracy' or 'weight norm'")
    fig, (loss_ax, right_ax) = plt.subplots(1, 2, figsize=(10, 3.4), dpi=90, layout="constrained")
    plt.close(fig)  # shown by display() or as a cell's value, not again at the end of the cell
    names = [f"{label} = {getattr(r.config, label):g}" for r in runs]
    colors = [f"C{i % 10}" for i in range(len(runs))]
    for run, name, color in zip(runs, names, colors):
        loss_ax.plot(range(1, len(run.losses) + 1), run.losses, color=color, label=name)
    # a log scale when a loss blew up (or became nan), so that huge losses and small ones both stay visible
    exploded = any(not max(r.losses) <= 10 * r.losses[0] for r in runs)
    loss_ax.set(
        xlabel="step (one batch each)",
        ylabel="train loss" + (" (log scale)" if exploded else ""),
        yscale="log" if exploded else "linear",
        title="Loss: lower is better",
    )
    loss_ax.legend(fontsize=8)
    if right == "accuracy":
        accuracies = [100 * r.accuracy for r in runs]
        bars = right_ax.barh(range(len(runs)), accuracies, color=colors)
        right_ax.bar_label(bars, labels=[f"{a:.1f}%" for a in accuracies], padding=3, fontsize=8)
        right_ax.set_yticks(range(len(runs)), names, fontsize=8)
        right_ax.invert_yaxis()  # first run on top, like the legend
        right_ax.set(xlim=(0, 112), xlabel="test accuracy after the run (%)", title="Accuracy: higher is better")
        right_ax.axvline(10, color="gray", linestyle="--", linewidth=1, label="blind guessing: 10%")
        right_ax.legend(fontsize=8, loc="lower right")
    else:
        for run, name, color in zip(runs, names, colors):
            right_ax.plot(range(1, len(run.weight_norms) + 1), run.weight_norms, color=color, label=name)
        right_ax.set(xlabel="step (one batch each)", ylabel="weight norm", title="Size of all the weights")
        right_ax.legend(fontsize=8)
    for ax in (loss_ax, right_ax):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


class SliderExperiment:
    """A slider for one Config field and a Run button: each press trains a quick run and redraws every run so far.

    Displayed, it shows the figure of the runs it starts with (a plain image, visible even where
    widgets are not, e.g. on GitHub or in a headless run), then the slider, the button and an area
    where the new figure appears after each press.
    """

    def __init__(
        self,
        name: str,
        slider,
        base: Config,
        train: Digits,
        test: Digits,
        *,
        runs=(),
        right="accuracy",
        title="",
        keep=6,
    ):
        import ipywidgets as widgets

        base.replace(**{name: slider.value})  # fails early, naming the field, if it is not a Config field
        self.name, self.slider, self.base, self.train, self.test = name, slider, base, train, test
        self.right, self.title, self.keep = right, title, keep
        self.runs = list(runs)  # the runs shown when the cell ran
        self.mine = []  # the reader's runs, newest last (at most `keep`)
        self.button = widgets.Button(
            description="Run",
            icon="play",
            button_style="primary",
            tooltip=f"train {base.epochs} epoch(s) on {base.train_images:,} images",
        )
        self.status = widgets.HTML(
            f"Pick a value and press <b>Run</b>: {base.epochs} epoch(s) on {base.train_images:,} training images, a few seconds."
        )
        self.out = widgets.Output()
        self.button.on_click(self._clicked)

    def run(self, value) -> Run:
        """Train a quick run with this field set to `value`, keep it, and return it."""
        config = self.base.replace(**{self.name: value})
        run = quick_run(config, self.train, self.test)
        self.mine = (self.mine + [run])[-self.keep :]
        return run

    def figure(self):
        """The figure of the starting runs and the reader's runs."""
        return plot_runs(self.runs + self.mine, label=self.name, right=self.right, title=self.title)

    def _clicked(self, _button):
        from IPython.display import display

        self.button.disabled = True
        self.status.value = f"Training with {self.name} = {self.slider.value:g} ..."
        try:
            run = self.run(self.slider.value)
            self.status.value = (
                f"{self.name} = {self.slider.value:g}: test accuracy {run.accuracy:.1%}, "
                f"mean train loss {run.final_loss:.3f} ({run.seconds:.1f} s). Press Run again to add another."
            )
            with self.out:
                self.out.clear_output(wait=True)
                display(self.figure())
        except (TypeError, ValueError) as e:  # a value Config refuses: say why in the widget
            self.status.value = f"Not run: {e}"
        finally:
            self.button.disabled = False

    def _ipython_display_(self):
        import ipywidgets as widgets
        from IPython.display import display

        display(self.figure())
        controls = widgets.VBox([widgets.HBox([self.slider, self.button]), self.status, self.out])
        bundle = controls._repr_mimebundle_()  # the live widget in Jupyter
        bundle["text/plain"] = f"[a slider for {self.name} and a Run button: they work in a running Jupyter notebook]"
        display(bundle, raw=True)
