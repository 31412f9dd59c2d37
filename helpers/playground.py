"""The hyperparameter playground: sliders that retrain the network, live curves, every run kept for comparison.

    pg = Playground(train, test)     # load the data once, pass it in
    pg                               # in Jupyter: sliders, buttons, live curves, the table of runs
    pg.run(lr=0.1, epochs=3)         # scripted: set sliders, click Train, wait; returns the Run
    pg.figure(), pg.table()          # plain picture and table of all runs (for headless runs)

Why a background thread: a widget's click handler runs in the kernel's only message loop. If it
trained right there, the loop could not take the next message, so a click on Stop would wait in line
until training ended. So Train starts `fit` in a thread (torch releases the GIL while it computes)
and returns at once; Stop sets a flag that the run checks after every batch. The thread draws the
curves into an Image widget as PNG pictures; widget updates are messages the kernel sends from any
thread. Scripts and tests use the same click, then `wait()` for the finished run.
"""

import html
import math
import re
import threading
import time

import torch

from helpers import widgets as controls  # not `widgets`: that is ipywidgets in this module
from helpers.config import TRAIN_SIZE, Config
from helpers.data import Digits
from helpers.guard import DivergenceGuard, Watcher, finished_message
from helpers.loop import accuracy
from helpers.plots.compare import PLAYGROUND_SIZE, draw_runs
from helpers.runs import SLIDERS, Run, RunTable, build, train_run
from helpers.widgets import BATCH_CHOICES, L2_CHOICES, LR_CHOICES, MAX_EPOCHS, SHARE_CHOICES

# what notebooks, tests and scripts import from here (the slider stops and the run record moved out)
__all__ = ["Playground", "Run", "RunTable", "DivergenceGuard", "SLIDERS", "MAX_EPOCHS"]
__all__ += ["LR_CHOICES", "L2_CHOICES", "BATCH_CHOICES", "SHARE_CHOICES"]


class Playground:
    """Sliders for lr, momentum, L2, batch size, epochs and the share of training images; Train, Stop, Reset; live curves of every run.

    `config` gives the sliders' starting values and the settings they do not move (hidden units,
    L2 rule, seed): every run starts from the same weights (seed) and sees batches in the same
    order, so two runs differ only by what the sliders changed. Curves are redrawn at most every
    `refresh` seconds (less often when a redraw costs more than a fifth of that); between epochs the
    test accuracy is measured on a fixed sample of `sample_size` test images (cheaper), at the end of
    each epoch on all of them. `guard` stops failing runs (see DivergenceGuard). The curves show the
    last `max_curves` runs; `keep` (None: all) is how many runs, with their networks, stay in `runs`.

    A variant (helpers.experiments.SliderExperiment's one-slider playground) overrides the methods
    under "what a variant changes" below, and keeps the training thread, the checks and the run record.
    """

    FIGSIZE = PLAYGROUND_SIZE  # inches, of the curves' figure
    PNG_DPI = 80  # the live picture's resolution
    WHOLE_TRAINING_SET = True  # the train-share slider picks the subset, so train must be all 60,000 images

    def __init__(
        self,
        train: Digits,
        test: Digits,
        *,
        config: Config = None,
        refresh: float = 0.4,
        sample_size: int = 2000,
        guard: bool = True,
        max_curves: int = 10,
        keep: int = None,
    ):
        import ipywidgets as widgets  # imported here: `import helpers` stays light

        self.config = _checked_setup(config, train, test, refresh, sample_size, self.WHOLE_TRAINING_SET)
        self.train, self.test = train, test
        self.refresh, self.guard, self.max_curves, self.keep = refresh, guard, max_curves, keep
        self.sample = _sample_of(test, sample_size)  # the same images for every point of every run
        self.runs = []  # every Run so far (the last `keep` of them), oldest first
        self._thread = None
        self._stop = threading.Event()
        self._error = None  # an exception from the training thread, raised again by wait()
        self._draw_lock = threading.Lock()
        self._figure = None
        self.sliders = self._make_sliders(self.config)
        self.train_button, self.stop_button, self.reset_button = controls.playground_buttons()
        self.train_button.on_click(self._on_train)
        self.stop_button.on_click(self._on_stop)
        self.reset_button.on_click(self._on_reset)
        self.status = widgets.HTML(
            value="Set the sliders and press <b>Train</b>. Every run is kept below, so you can compare."
        )
        self.plot = widgets.Image(format="png", layout=widgets.Layout(width="880px", max_width="100%"))
        self.table_html = widgets.HTML()
        self.set(**{name: getattr(self.config, name) for name in self.sliders})  # refuses a value a slider cannot show
        self.widget = self._layout()
        self._redraw()

    # --- what scripts, tests and instructors call -------------------------------------------------

    def settings(self) -> dict:
        """The sliders' current values, e.g. {'lr': 0.006, 'momentum': 0.9, 'l2': 0.0001, 'batch_size': 128, 'epochs': 15, 'train_fraction': 1.0}."""
        return {name: controls.value_of(slider) for name, slider in self.sliders.items()}

    def set(self, **settings):
        """Move sliders to these values (names from SLIDERS); a value no slider can show is refused with the range."""
        unknown = sorted(set(settings) - set(self.sliders))
        if unknown:
            raise TypeError(
                f"Playground has no slider {', '.join(unknown)}; the sliders are: {', '.join(self.sliders)}."
            )
        self.config.replace(**{**self.settings(), **settings})  # Config's checks and messages first
        for name, value in settings.items():  # a slider without stops: its ends are the limits
            ends = controls.limits(self.sliders[name])
            if ends is not None and not ends[0] <= value <= ends[1]:
                raise ValueError(
                    f"Playground: {name} = {value!r} is beyond its slider ({ends[0]:g} to {ends[1]:g}); use helpers.loop.fit for that run."
                )
        for name, value in settings.items():  # all checked: now move them (a value between stops gets a stop)
            controls.place(self.sliders[name], value, percent=name in controls.PERCENT)

    def run(self, *, block: bool = True, **settings) -> Run:
        """Set the sliders (lr=, momentum=, l2=, batch_size=, epochs=, train_fraction=), click Train and, if `block`, wait for the end."""
        self.wait()  # one run at a time: a run already going finishes first
        self.set(**settings)
        latest = self.runs[-1] if self.runs else None
        self.train_button.click()
        if not self.runs or self.runs[-1] is latest:
            raise RuntimeError(f"Playground: Train did not start a run ({_plain(self.status.value)}).")
        return self.wait() if block else self.runs[-1]

    def wait(self, timeout: float = None):
        """Block until the current run ends (at most `timeout` seconds); return the latest Run (None if none).

        Interrupting (the notebook's stop button, Ctrl-C) stops the run, which keeps what it learned.
        """
        thread = self._thread
        if thread is not None:
            deadline = None if timeout is None else time.perf_counter() + timeout
            try:
                while thread.is_alive() and (deadline is None or time.perf_counter() < deadline):
                    thread.join(0.1)  # short joins: Python delivers KeyboardInterrupt between them
            except KeyboardInterrupt:
                self._stop.set()
                thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self.runs[-1] if self.runs else None

    def stop(self):
        """Click Stop: end the current run after the batch it is on."""
        self.stop_button.click()

    def reset(self):
        """Click Reset: put the sliders back to DL4J's values (Config's defaults)."""
        self.reset_button.click()

    @property
    def running(self) -> bool:
        """Whether a run is training right now."""
        return self._thread is not None and self._thread.is_alive()

    def figure(self, *, dpi: int = 90):
        """A plain matplotlib figure of every run's curves (what the widget shows), e.g. for a headless notebook."""
        import matplotlib.pyplot as plt  # pyplot, so that Jupyter shows the returned figure as a picture

        fig = plt.figure(figsize=self.FIGSIZE, dpi=dpi)
        plt.close(fig)  # shown once, as the cell's result, not again at the end of the cell
        with self._draw_lock:
            self._draw(fig)
        return fig

    def table(self) -> RunTable:
        """The table of runs: settings, final test accuracy, time, status (HTML in Jupyter, text elsewhere)."""
        return RunTable(list(self.runs))

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)  # the live widget in Jupyter
        bundle["text/plain"] = (
            "Hyperparameter playground: its sliders, buttons and live curves need a running Jupyter kernel; "
            "a static copy of the notebook shows its runs as plain pictures and tables instead."
        )
        return bundle

    # --- what a variant changes (helpers.experiments' one-slider playground): its sliders, layout, figure, words ---

    def _make_sliders(self, config: Config) -> dict:
        """The sliders by Config field, at config's values."""
        return controls.playground_sliders(config)

    def _layout(self):
        """The widget the notebook shows."""
        buttons = (self.train_button, self.stop_button, self.reset_button)
        return controls.playground_layout(self.sliders, buttons, self.status, self.plot, self.table_html)

    def _draw(self, fig):
        """Draw the runs into `fig` (a pyplot figure or a plain one: this may run in the training thread)."""
        draw_runs(fig, self.runs, max_curves=self.max_curves)

    def _callbacks(self, run: Run, guard: DivergenceGuard, clicked: float) -> list:
        """The `fit` callbacks of a run."""
        show = self._show_progress
        return [
            Watcher(run, guard, stop=self._stop, sample=self.sample, show=show, refresh=self.refresh, clicked=clicked)
        ]

    def _started_text(self, run: Run) -> str:
        return f"Run #{run.number}: starting..."

    def _refused_text(self, error: Exception) -> str:
        return f"<b>Cannot train with these settings:</b> {html.escape(str(error), quote=False)}"

    def _finished_text(self, run: Run) -> str:
        color = {"done": "#1a7f37", "stopped": "#9a6700", "diverged": "#cf222e", "error": "#cf222e"}[run.status]
        acc = "" if math.isnan(run.accuracy) else f" · test accuracy <b>{run.accuracy:.2%}</b>"
        return (
            f"<span style='color:{color}'><b>Run #{run.number} {run.status}</b>{acc} · {run.seconds:.1f} s</span>"
            f"<br>{html.escape(run.message, quote=False)}"
        )

    def _show_progress(self, run: Run):
        """Redraw the curves and the status line while `run` trains (called from the training thread)."""
        acc = f", test accuracy {run.accuracy_points[-1][1]:.1%}" if run.accuracy_points else ""
        loss = f", loss {run.loss_points[-1][1]:.3f}" if run.loss_points else ""
        self._redraw()
        self.status.value = f"Run #{run.number}: epoch {run.epochs_done:.2f} of {run.config.epochs}{loss}{acc}"

    # --- the buttons -------------------------------------------------------------------------------

    def _on_train(self, _button):
        if self.running:
            self.status.value = "A run is still training: press <b>Stop</b> first, or wait for it to end."
            return
        clicked = time.perf_counter()
        try:
            config = self.config.replace(**self.settings())
        except (TypeError, ValueError) as e:  # e.g. a batch larger than the training share: say so, start nothing
            self.status.value = self._refused_text(e)
            return
        self._stop.clear()
        self._error = None
        with torch.random.fork_rng(devices=[]):  # the run's seed, without moving the notebook's random numbers
            model = build(config, device=self.train.images.device)  # the start weights config.seed gives
        run = Run(config, model, number=self.runs[-1].number + 1 if self.runs else 1)
        self.runs.append(run)
        self.train_button.disabled, self.stop_button.disabled = True, False
        self.status.value = self._started_text(run)
        self.table_html.value = self.table()._repr_html_()
        self._thread = threading.Thread(
            target=self._train, args=(run, clicked), name=f"playground-run-{run.number}", daemon=True
        )
        self._thread.start()

    def _on_stop(self, _button):
        if self.running:
            self._stop.set()
            self.status.value = "Stopping after this batch..."

    def _on_reset(self, _button):
        self.set(**{name: getattr(Config(), name) for name in self.sliders})

    # --- the training thread -------------------------------------------------------------------------

    def _train(self, run: Run, clicked: float):
        """Train one run with helpers.runs.train_run (in the background thread) and record how it ended."""
        guard = DivergenceGuard(run.config, enabled=self.guard)
        try:
            callbacks = self._callbacks(run, guard, clicked)
            run.history = train_run(run.config, self.train, self.test, model=run.model, callbacks=callbacks).history
            self._record_ending(run, guard)
        except Exception as e:  # shown in the status line; wait() raises it again for scripts and tests
            run.status, run.message = "error", f"{type(e).__name__}: {e}"
            self._error = e
        finally:
            run.seconds = time.perf_counter() - clicked
            if self.keep:
                del self.runs[: -self.keep]  # the oldest runs go, and their networks with them
            self._redraw(run)
            self.train_button.disabled, self.stop_button.disabled = False, True

    def _record_ending(self, run: Run, guard: DivergenceGuard):
        """The run's final test accuracy, status and message, once fit has returned."""
        c = run.config
        run.steps = run.history.steps
        if run.history.epochs_done == c.epochs:
            run.accuracy = run.history.test_accuracy[-1]
        else:  # ended mid-epoch: measure what it learned so far on all test images
            run.accuracy = accuracy(run.model, self.test)
            if run.steps:
                run.accuracy_points.append((run.epochs_done, run.accuracy))
        if guard.verdict:
            run.status, run.message = "diverged", guard.verdict
        elif run.history.stopped:
            run.status = "stopped"
            run.message = f"Stopped by you after {run.epochs_done:.2f} of {c.epochs} epochs ({run.steps} steps); the network keeps what it learned."
        else:
            run.status = "done"
            run.message = finished_message(run, guard)

    # --- drawing ---------------------------------------------------------------------------------

    def _redraw(self, finished: Run = None):
        """Redraw the curves and the table; with a finished run, show how it ended."""
        self._draw_png()
        self.table_html.value = self.table()._repr_html_()
        if finished is not None:
            self.status.value = self._finished_text(finished)

    def _draw_png(self):
        import io

        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure  # not pyplot: this may run in the training thread

        with self._draw_lock:
            if self._figure is None:
                self._figure = Figure(figsize=self.FIGSIZE, dpi=self.PNG_DPI)
                FigureCanvasAgg(self._figure)
            self._draw(self._figure)
            buffer = io.BytesIO()
            self._figure.savefig(buffer, format="png")
        self.plot.value = buffer.getvalue()


def _checked_setup(config, train: Digits, test: Digits, refresh: float, sample_size: int, whole: bool) -> Config:
    """The playground's Config (Config() when None), after checking it and the other arguments, with what to do instead."""
    config = config if config is not None else Config()
    if not isinstance(config, Config):
        raise TypeError(
            f"Playground: config must be a helpers.config.Config, got {type(config).__name__}; e.g. Config(epochs=3)."
        )
    if not 0 < refresh <= 60:
        raise ValueError(f"Playground: refresh = {refresh!r} seconds is out of range: allowed 0 < refresh <= 60.")
    if not 1 <= sample_size <= len(test):
        raise ValueError(
            f"Playground: sample_size = {sample_size!r} is out of range: allowed 1 to {len(test)} (the test images)."
        )
    if whole and len(train) != TRAIN_SIZE:
        raise ValueError(
            f"Playground: train has {len(train):,} images; pass the full training set ({TRAIN_SIZE:,}): the train-share slider picks the subset."
        )
    return config


def _sample_of(test: Digits, size: int) -> Digits:
    """`size` test images drawn with a fixed seed: the same ones whatever the notebook's random state."""
    keep = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))[:size].to(test.labels.device)
    return Digits(test.images[keep], test.labels[keep])


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)
