"""Quick training runs for the hyperparameter lesson (notebook 02), and a slider that reruns them.

    run = quick_run(config, train, test)          # a Run that keeps every step's loss and weight norm
    SliderExperiment("lr", slider, config, train, test, runs=[run, ...])   # in Jupyter: the figure, then a slider and Run

A SliderExperiment is the playground (helpers.playground) cut down to one slider: the playground's
training thread, run record and checks, with this lesson's figure (helpers.plots.plot_runs) and words.
"""

import html

import torch

from helpers import widgets as controls
from helpers.config import Config
from helpers.data import Digits
from helpers.loop import History
from helpers.playground import Playground
from helpers.plots.compare import EXPERIMENT_SIZE, plot_runs
from helpers.runs import Run, build, train_run

FINISHED = ("done", "stopped")  # the runs the figure shows: not one still training, nor one that failed


def weight_norm(model: torch.nn.Module) -> float:
    """Length of all the weights taken as one long vector, sqrt(sum of w^2); biases left out, as L2 leaves them."""
    squares = sum(p.detach().pow(2).sum() for name, p in model.named_parameters() if name.endswith("weight"))
    return float(squares) ** 0.5


class _Recorder:
    """A fit callback keeping the weights' size after each step, and each step's loss unless `losses` is False."""

    def __init__(self, run: Run, *, losses: bool = True):
        self.run, self.losses = run, losses

    def on_step(self, history, loss: float):
        """Keep the step's loss (unless the watcher does) and the weights' size after it."""
        if self.losses:
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
    run.steps, run.accuracy, run.status = run.history.steps, run.history.test_accuracy[-1], "done"
    return run


class SliderExperiment:
    """A slider for one Config field and a Run button: each press trains a quick run and redraws every run so far.

    Displayed, it shows the figure of the runs it starts with (a plain image, visible even where
    widgets are not, e.g. on GitHub or in a headless run), then the slider, the button and the
    status line; the new figure appears under them after each press. `mine` holds the reader's
    runs (the newest `keep`), `runs` the ones it started with.
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
        config = base.replace(**{name: slider.value})  # fails early, naming the field, if it is not a Config field
        self.name, self.slider, self.base, self.train, self.test = name, slider, base, train, test
        self.right, self.title, self.keep = right, title, keep
        self.runs = list(runs)  # the runs shown when the cell ran
        self.playground = _OneSlider(self, config)
        self.button, self.status, self.plot = self.playground.train_button, self.playground.status, self.playground.plot

    @property
    def mine(self) -> list:
        """The reader's finished runs, newest last (at most `keep`)."""
        return [run for run in self.playground.runs if run.status in FINISHED]

    def run(self, value) -> Run:
        """Move the slider to `value`, train a quick run with it, keep it, and return it."""
        return self.playground.run(**{self.name: value})

    def wait(self) -> Run:
        """Block until the run a click started has ended; return it."""
        return self.playground.wait()

    def figure(self):
        """The figure of the starting runs and the reader's runs."""
        return self.playground.figure(dpi=90)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.figure())
        bundle = self.playground.widget._repr_mimebundle_()  # the live widget in Jupyter
        bundle["text/plain"] = f"[a slider for {self.name} and a Run button: they work in a running Jupyter notebook]"
        display(bundle, raw=True)


class _OneSlider(Playground):
    """The playground as a SliderExperiment shows it: its one slider and a Run button, its figure and its words.

    No guard: a learning rate that blows the loss up is one of the lesson's runs, kept to the end.
    """

    FIGSIZE = EXPERIMENT_SIZE
    PNG_DPI = 90
    WHOLE_TRAINING_SET = False  # no share slider here: the experiment trains on the data it is given

    def __init__(self, experiment: SliderExperiment, config: Config):
        self.experiment = experiment  # set first: the playground's first drawing reads its runs
        self.exact = None  # a value run(value) asked for that the slider cannot show (between stops, past an end)
        e = experiment
        super().__init__(e.train, e.test, config=config, guard=False, keep=e.keep, sample_size=min(2000, len(e.test)))

    def set(self, **settings):
        """Move the slider to the value; one it cannot show exactly is still the one the next run trains with."""
        (name, value), *_ = settings.items()
        self.config.replace(**{name: value})  # any value Config accepts, as quick_run would train it
        controls.place(self.sliders[name], value, percent=name in controls.PERCENT)
        self.exact = None if controls.value_of(self.sliders[name]) == value else value

    def settings(self) -> dict:
        """The slider's value, or the exact one run(value) asked for."""
        name = self.experiment.name
        return {name: self.exact if self.exact is not None else controls.value_of(self.sliders[name])}

    def _on_train(self, button):
        super()._on_train(button)
        self.exact = None  # used by this run: a click after it reads the slider again

    def _make_sliders(self, config: Config) -> dict:
        return {self.experiment.name: self.experiment.slider}

    def _layout(self):
        import ipywidgets as widgets

        c = self.config
        button = self.train_button
        button.description, button.button_style = "Run", "primary"
        button.tooltip = f"train {c.epochs} epoch(s) on {c.train_images:,} images"
        self.status.value = f"Pick a value and press <b>Run</b>: {c.epochs} epoch(s) on {c.train_images:,} training images, a few seconds."
        self.plot.layout = widgets.Layout(display="none")  # until the first run: the figure above shows the start
        return widgets.VBox([widgets.HBox([self.experiment.slider, button]), self.status, self.plot])

    def _draw(self, fig):
        e = self.experiment
        plot_runs(e.runs + e.mine, label=e.name, right=e.right, title=e.title, fig=fig)

    def _callbacks(self, run: Run, guard, clicked: float) -> list:
        return [_Recorder(run, losses=False), *super()._callbacks(run, guard, clicked)]  # the watcher keeps the losses

    def _started_text(self, run: Run) -> str:
        return f"Training with {self.experiment.name} = {getattr(run.config, self.experiment.name):g} ..."

    def _refused_text(self, error: Exception) -> str:
        return f"Not run: {html.escape(str(error), quote=False)}"

    def _finished_text(self, run: Run) -> str:
        if run.status != "done":
            return super()._finished_text(run)
        return (
            f"{self.experiment.name} = {getattr(run.config, self.experiment.name):g}: test accuracy {run.accuracy:.1%}, "
            f"mean train loss {run.final_loss:.3f} ({run.seconds:.1f} s). Press Run again to add another."
        )

    def _show_progress(self, run: Run):
        """Nothing while it trains: the run takes seconds, and its figure comes at the end."""

    def _redraw(self, finished: Run = None):
        if finished is None:
            return  # the start: the figure above the slider shows the starting runs
        super()._redraw(finished)
        if finished.status in FINISHED:
            self.plot.layout.display = None  # the figure with this run, under the slider
