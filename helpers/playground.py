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
import io
import math
import threading
import time
from dataclasses import dataclass, field

import matplotlib.colors
import torch

from helpers.config import DL4J_ACCURACY, TRAIN_SIZE, Config
from helpers.data import Digits
from helpers.loop import History, StopTraining, accuracy
from helpers.runs import build, train_run

SLIDERS = ("lr", "momentum", "l2", "batch_size", "epochs", "train_fraction")  # the Config fields the playground moves
# The learning rate and L2 sliders move through log-spaced stops (1, 2, 3, 6 per power of ten for the
# learning rate, from 0.0001 to Config's limit 10; 1, 3 for L2, plus 0 = off). Stops, not a continuous
# log slider: a browser snaps a log slider to its grid (0.006 became 0.0063), stops keep DL4J's values
# exact and every run's numbers readable. A script may ask for a value between stops: it gets a stop.
# The training share has stops too, shown in percent (a typed "25" would have meant 2,500%); the batch
# size doubles from stop to stop, DL4J's 128 in the middle.
LR_CHOICES = tuple(round(m * 10.0**e, 6) for e in range(-4, 1) for m in (1, 2, 3, 6)) + (10.0,)
L2_CHOICES = (0.0, 1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)
BATCH_CHOICES = (16, 32, 64, 128, 256, 512, 1024)
SHARE_CHOICES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1.0)  # 600 to 60,000 images
MAX_EPOCHS = 50

CHANCE = 0.12  # accuracy this low is guessing: 10 digits, and the commonest, 1, is 11.35% of the test set
BLIND_LOSS = math.log(10)  # 2.30: the loss of a network that spreads its bets evenly over the 10 digits
EXPLODED = 50.0  # a loss above this (20 x a blind guess) means the weights have blown up
WARMUP_STEPS = 100  # the chance check waits this many steps (12,800 images) before it judges a run
ACCURACY_TICKS = (0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.98, 0.99)


@dataclass
class Run:
    """One click of Train: its settings, what the curves showed, how it ended, and the trained model."""

    number: int  # 1, 2, ... in the order of the clicks
    config: Config  # every setting of the run (Config validated them)
    steps_per_epoch: int
    status: str = "running"  # running, done, stopped (by you), diverged (the guard stopped it) or error
    message: str = ""  # how it ended, in words, with what to try when it went wrong
    accuracy: float = math.nan  # on all 10,000 test images when the run ended, 0-1
    seconds: float = 0.0  # from the click to the end of the run
    first_point_seconds: float = math.nan  # from the click to the first point on the curves
    steps: int = 0  # gradient steps done
    loss_points: list = field(default_factory=list)  # (epoch, mean train loss of the steps since the last point)
    accuracy_points: list = field(default_factory=list)  # (epoch, test accuracy 0-1)
    history: History = None  # what fit recorded
    model: torch.nn.Module = None  # the network as the run left it

    @property
    def settings(self) -> dict:
        """The slider settings of this run, e.g. {'lr': 0.006, 'momentum': 0.9, ...}."""
        return {name: getattr(self.config, name) for name in SLIDERS}

    @property
    def epochs_done(self) -> float:
        """How far the run got, in epochs (2.5 = two and a half passes over its training images)."""
        return self.steps / self.steps_per_epoch

    def __str__(self):
        c = self.config
        head = (
            f"Run #{self.number}: lr {c.lr:g}, momentum {c.momentum:g}, L2 {c.l2:g}, batch {c.batch_size}, {c.epochs} epoch{'s' if c.epochs > 1 else ''} "
            f"on {c.train_fraction:.0%} of the training set ({c.train_images:,} images)"
        )
        if self.status == "running":
            return f"{head}: running, {self.epochs_done:.2f} epochs so far"
        acc = "no test accuracy" if math.isnan(self.accuracy) else f"test accuracy {self.accuracy:.2%}"
        return f"{head}\n  {self.status}: {acc} after {self.epochs_done:.2f} epochs, {self.seconds:.1f} s\n  {self.message}"

    __repr__ = __str__


class DivergenceGuard:
    """A `fit` callback that stops a failing run and says in plain words what went wrong and what to try.

    It stops a run whose loss becomes NaN or infinite or explodes past EXPLODED, and one whose test
    accuracy is still at chance (<= CHANCE) after WARMUP_STEPS steps; `verdict` then holds the words.
    """

    def __init__(self, config: Config, *, enabled: bool = True):
        self.config, self.enabled = config, enabled
        self.verdict = ""  # why it stopped the run ("" while all is well)
        self.first_loss = None
        self.peak_loss = 0.0  # the highest batch loss seen, for the hint at the end of a run

    def on_step(self, history, loss: float):
        """Stop at once when the loss is not a finite number or has exploded."""
        message = self.check_loss(history.steps, loss)
        if message:
            raise StopTraining(message)

    def on_epoch(self, history):
        """Stop when the epoch's test accuracy is still at chance."""
        if history.test_accuracy:
            message = self.check_accuracy(history.steps, history.test_accuracy[-1])
            if message:
                raise StopTraining(message)

    def check_loss(self, step: int, loss: float) -> str:
        """The verdict if this batch's loss shows divergence, else ''."""
        if self.first_loss is None:
            self.first_loss = loss
        if math.isfinite(loss):
            self.peak_loss = max(self.peak_loss, loss)
        if not self.enabled or (math.isfinite(loss) and loss <= EXPLODED):
            return ""
        what = (
            "became NaN (not a number)"
            if math.isnan(loss)
            else "became infinite"
            if math.isinf(loss)
            else f"shot up to {loss:,.0f}"
        )
        c = self.config
        self.verdict = (
            f"Diverged: at step {step} the loss {what}, where a blind guess scores {BLIND_LOSS:.1f}. "
            f"Each update overshot and the weights blew up: the learning rate {c.lr:g} is too high"
            f"{' (momentum ' + format(c.momentum, 'g') + ' makes the steps even longer)' if c.momentum >= 0.5 else ''}. "
            f"Try a learning rate 10 times smaller, {c.lr / 10:.2g}, or DL4J's 0.006."
        )
        return self.verdict

    def check_accuracy(self, step: int, accuracy: float) -> str:
        """The verdict if, after the warm-up, test accuracy (0-1) is still at chance, else ''."""
        if not self.enabled or step < WARMUP_STEPS or accuracy > CHANCE:
            return ""
        self.verdict = (
            f"Stuck at chance: after {step} steps the network gets only {accuracy:.1%} of the test images right, no better than guessing. "
            + at_chance_advice(self.config)
        )
        return self.verdict

    def hint(self) -> str:
        """After a finished run: a warning when the loss jumped far above its start, else ''."""
        if self.first_loss is None or self.peak_loss <= 3 * self.first_loss:
            return ""
        return (
            f"Note: the loss jumped to {self.peak_loss:.1f} (it started at {self.first_loss:.1f}) before it came down: "
            f"the learning rate {self.config.lr:g} is at the edge of too high; a smaller one will likely do better."
        )


def at_chance_advice(config: Config) -> str:
    """What most likely keeps a network at chance with these settings, and what to try."""
    c = config
    shrink = (
        c.l2 / c.batch_size if c.l2_rule == "dl4j" else c.lr * c.l2 / (1 - c.momentum)
    )  # share of each weight L2 removes per step
    if shrink >= 3e-3:
        return (
            f"The L2 penalty {c.l2:g} is so strong (it removes {shrink:.1%} of every weight at each step) that it pulls the weights back to zero faster than learning "
            "moves them, so the network answers the same digit for every image. "
            "Try an L2 ten times smaller or less (DL4J uses 1e-4), or 0 to turn it off."
        )
    if c.lr / (1 - c.momentum) < 0.01:  # the step length momentum builds up to
        return (
            f"The steps are too small to get anywhere: learning rate {c.lr:g} with momentum {c.momentum:g} "
            f"hardly moves the weights. Try a learning rate 10 times larger, {c.lr * 10:.2g}, "
            "or more momentum (DL4J: learning rate 0.006, momentum 0.9)."
        )
    return (
        f"The learning rate {c.lr:g} is too high: the first steps threw the weights so far that the hidden "
        "units switched off for every image (dead ReLUs), and the network now answers the same digit every time. "
        f"Try a learning rate 10 times smaller, {c.lr / 10:.2g}, or DL4J's 0.006."
    )


class _Watcher:
    """The playground's `fit` callback: honours Stop, runs the guard, records points and redraws the curves."""

    def __init__(self, playground, run: Run, model, guard: DivergenceGuard, clicked: float):
        self.pg, self.run, self.model, self.guard, self.clicked = playground, run, model, guard, clicked
        self.window = []  # batch losses since the last point
        self.last_draw = -math.inf
        self.gap = playground.refresh  # seconds between redraws
        self.point_every = max(1, run.steps_per_epoch // 10)  # steps between loss points: >= 10 per epoch

    def on_step(self, history, loss: float):
        self.run.steps = history.steps
        if self.pg._stop.is_set():
            raise StopTraining(f"stopped by you after {self.run.epochs_done:.2f} epochs ({history.steps} steps)")
        if math.isfinite(loss):
            self.window.append(loss)
        verdict = self.guard.check_loss(history.steps, loss)
        # a loss point every tenth of an epoch (and at the first step), however fast the run: even a
        # one-second run draws a curve, not two dots
        if history.steps == 1 or history.steps % self.point_every == 0:
            self.add_loss_point()
        due = history.steps == 1 or time.perf_counter() - self.last_draw >= self.gap
        if verdict or due:
            started = time.perf_counter()
            self.add_loss_point()
            if not verdict:  # between epochs: test accuracy on a fixed sample of the test set (cheaper)
                acc = accuracy(self.model, self.pg.sample)
                self.run.accuracy_points.append((self.run.epochs_done, acc))
                verdict = self.guard.check_accuracy(history.steps, acc)
            self.draw()
            if history.steps > 1:  # the first point pays one-off start-up costs: not a fair measure
                # a point (test sample + picture) costs time the training could use: keep that under ~20%
                self.gap = min(max(self.pg.refresh, 4 * (time.perf_counter() - started)), 2.0)
        if verdict:
            raise StopTraining(verdict)

    def on_epoch(self, history):
        self.add_loss_point()
        self.run.accuracy_points.append((self.run.epochs_done, history.test_accuracy[-1]))  # all 10,000 images
        verdict = self.guard.check_accuracy(history.steps, history.test_accuracy[-1])
        if verdict or time.perf_counter() - self.last_draw >= self.gap:
            self.draw()
        if verdict:
            raise StopTraining(verdict)

    def add_loss_point(self):
        if self.window:
            self.run.loss_points.append((self.run.epochs_done, sum(self.window) / len(self.window)))
            self.window.clear()

    def draw(self):
        self.pg._show_progress(self.run)
        if math.isnan(self.run.first_point_seconds):
            self.run.first_point_seconds = time.perf_counter() - self.clicked
        self.last_draw = time.perf_counter()


class Playground:
    """Sliders for lr, momentum, L2, batch size, epochs and the share of training images; Train, Stop, Reset; live curves of every run.

    `config` gives the sliders' starting values and the settings they do not move (hidden units,
    L2 rule, seed): every run starts from the same weights (seed) and sees batches in the same
    order, so two runs differ only by what the sliders changed. Curves are redrawn at most every
    `refresh` seconds (less often when a redraw costs more than a fifth of that); between epochs the
    test accuracy is measured on a fixed sample of `sample_size` test images (cheaper), at the end of
    each epoch on all of them. `guard` stops failing runs (see DivergenceGuard).
    """

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
    ):
        import ipywidgets as widgets  # imported here: `import helpers` stays light

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
        if len(train) != TRAIN_SIZE:
            raise ValueError(
                f"Playground: train has {len(train):,} images; pass the full training set ({TRAIN_SIZE:,}): the train-share slider picks the subset."
            )
        self.train, self.test, self.config = train, test, config
        self.refresh, self.guard, self.max_curves = refresh, guard, max_curves
        keep = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))[:sample_size].to(
            test.labels.device
        )
        self.sample = Digits(test.images[keep], test.labels[keep])  # the same images for every point of every run
        self.runs = []  # every Run so far, oldest first
        self._thread = None
        self._stop = threading.Event()
        self._error = None  # an exception from the training thread, raised again by wait()
        self._draw_lock = threading.Lock()
        self._figure = None

        style = {"description_width": "110px"}
        layout = widgets.Layout(width="420px")
        self.sliders = {
            "lr": widgets.SelectionSlider(
                options=_stops(LR_CHOICES + (config.lr,)),
                value=config.lr,
                description="learning rate",
                tooltip="Step size of each update. DL4J: 0.006",
                style=style,
                layout=layout,
            ),
            "momentum": widgets.FloatSlider(
                value=config.momentum,
                min=0.0,
                max=0.99,
                step=0.01,
                readout_format=".2f",
                description="momentum",
                tooltip="Share of the last update carried into the next (Nesterov). DL4J: 0.9",
                style=style,
                layout=layout,
            ),
            "l2": widgets.SelectionSlider(
                options=_stops(L2_CHOICES + (config.l2,)),
                value=config.l2,
                description="L2",
                tooltip="Pull towards zero: DL4J's rule shrinks every weight by L2 / batch size per step; 0 turns it off. DL4J: 1e-4",
                style=style,
                layout=layout,
            ),
            "batch_size": widgets.SelectionSlider(
                options=_stops(BATCH_CHOICES + (config.batch_size,)),
                value=config.batch_size,
                description="batch size",
                tooltip="Images per step: fewer gives more, noisier steps per epoch. DL4J: 128",
                style=style,
                layout=layout,
            ),
            "epochs": widgets.IntSlider(
                value=config.epochs,
                min=1,
                max=MAX_EPOCHS,
                description="epochs",
                tooltip="Passes over the training images. DL4J: 15",
                style=style,
                layout=layout,
            ),
            "train_fraction": widgets.SelectionSlider(
                options=_stops(SHARE_CHOICES + (config.train_fraction,), percent=True),
                value=config.train_fraction,
                description="training share",
                tooltip="Share of the 60,000 training images used. DL4J: 100%",
                style=style,
                layout=layout,
            ),
        }
        self.train_button = widgets.Button(
            description="Train",
            button_style="success",
            icon="play",
            tooltip="Train a fresh network with these settings",
        )
        self.stop_button = widgets.Button(
            description="Stop",
            button_style="danger",
            icon="stop",
            disabled=True,
            tooltip="End the run after this batch; it keeps what it learned",
        )
        self.reset_button = widgets.Button(
            description="Reset to DL4J", icon="undo", tooltip="Put the sliders back to DL4J's values"
        )
        self.train_button.on_click(self._on_train)
        self.stop_button.on_click(self._on_stop)
        self.reset_button.on_click(self._on_reset)
        self.status = widgets.HTML(
            value="Set the sliders and press <b>Train</b>. Every run is kept below, so you can compare."
        )
        self.plot = widgets.Image(format="png", layout=widgets.Layout(width="880px", max_width="100%"))
        self.table_html = widgets.HTML()
        self.set(**{name: getattr(config, name) for name in SLIDERS})  # refuses a start value a slider cannot show
        s = self.sliders
        self.widget = widgets.VBox(
            [
                widgets.HBox(
                    [
                        widgets.VBox([s["lr"], s["momentum"], s["l2"]]),
                        widgets.VBox(
                            [
                                s["batch_size"],
                                s["epochs"],
                                s["train_fraction"],
                                widgets.HBox([self.train_button, self.stop_button, self.reset_button]),
                            ]
                        ),
                    ]
                ),
                self.status,
                self.plot,
                self.table_html,
            ]
        )
        self._redraw()

    # --- what scripts, tests and instructors call -------------------------------------------------

    def settings(self) -> dict:
        """The sliders' current values, e.g. {'lr': 0.006, 'momentum': 0.9, 'l2': 0.0001, 'batch_size': 128, 'epochs': 15, 'train_fraction': 1.0}."""
        values = {name: slider.value for name, slider in self.sliders.items()}
        values["momentum"] = round(values["momentum"], 10)  # a browser's slider may send 0.9000000000000001 for 0.9
        return values

    def set(self, **settings):
        """Move sliders to these values (names from SLIDERS); a value no slider can show is refused with the range."""
        unknown = sorted(set(settings) - set(SLIDERS))
        if unknown:
            raise TypeError(f"Playground has no slider {', '.join(unknown)}; the sliders are: {', '.join(SLIDERS)}.")
        self.config.replace(**{**self.settings(), **settings})  # Config's checks and messages first
        for name in ("momentum", "epochs"):  # the sliders without stops: their ends are the limits
            slider = self.sliders[name]
            if name in settings and not slider.min <= settings[name] <= slider.max:
                raise ValueError(
                    f"Playground: {name} = {settings[name]!r} is beyond its slider ({slider.min:g} to {slider.max:g}); use helpers.loop.fit for that run."
                )
        for name, value in settings.items():  # all checked: now move them
            slider = self.sliders[name]
            if name in ("lr", "l2", "batch_size", "train_fraction"):
                stops = [v for _, v in slider.options]
                if value not in stops:  # a value from a script: give the slider a stop there
                    slider.options = _stops(stops + [value], percent=name == "train_fraction")
            slider.value = value

    def run(self, *, block: bool = True, **settings) -> Run:
        """Set the sliders (lr=, momentum=, l2=, batch_size=, epochs=, train_fraction=), click Train and, if `block`, wait for the end."""
        self.wait()  # one run at a time: a run already going finishes first
        self.set(**settings)
        count = len(self.runs)
        self.train_button.click()
        if len(self.runs) == count:
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

        fig = plt.figure(figsize=(11, 3.6), dpi=dpi)
        plt.close(fig)  # shown once, as the cell's result, not again at the end of the cell
        with self._draw_lock:
            draw_runs(fig, self.runs, max_curves=self.max_curves)
        return fig

    def table(self) -> "RunTable":
        """The table of runs: settings, final test accuracy, time, status (HTML in Jupyter, text elsewhere)."""
        return RunTable(list(self.runs))

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)  # the live widget in Jupyter
        bundle["text/plain"] = (
            "Hyperparameter playground: its sliders, buttons and live curves need a running Jupyter kernel; "
            "a static copy of the notebook shows its runs as plain pictures and tables instead."
        )
        return bundle

    # --- the buttons -------------------------------------------------------------------------------

    def _on_train(self, _button):
        if self.running:
            self.status.value = "A run is still training: press <b>Stop</b> first, or wait for it to end."
            return
        clicked = time.perf_counter()
        try:
            config = self.config.replace(**self.settings())
        except (TypeError, ValueError) as e:  # e.g. a batch larger than the training share: say so, start nothing
            self.status.value = f"<b>Cannot train with these settings:</b> {html.escape(str(e), quote=False)}"
            return
        self._stop.clear()
        self._error = None
        with torch.random.fork_rng(devices=[]):  # the run's seed, without moving the notebook's random numbers
            model = build(config, device=self.train.images.device)  # the start weights config.seed gives
        steps_per_epoch = -(-config.train_images // config.batch_size)
        run = Run(number=len(self.runs) + 1, config=config, steps_per_epoch=steps_per_epoch, model=model)
        self.runs.append(run)
        self.train_button.disabled, self.stop_button.disabled = True, False
        self.status.value = f"Run #{run.number}: starting..."
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
        self.set(**{name: getattr(Config(), name) for name in SLIDERS})

    # --- the training thread -------------------------------------------------------------------------

    def _train(self, run: Run, clicked: float):
        """Train one run with helpers.loop.fit (in the background thread) and record how it ended."""
        c = run.config
        guard = DivergenceGuard(c, enabled=self.guard)
        try:
            watcher = _Watcher(self, run, run.model, guard, clicked)
            run.history = train_run(c, self.train, self.test, model=run.model, callbacks=[watcher]).history
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
                run.message = _finished_message(run, guard)
        except Exception as e:  # shown in the status line; wait() raises it again for scripts and tests
            run.status, run.message = "error", f"{type(e).__name__}: {e}"
            self._error = e
        finally:
            run.seconds = time.perf_counter() - clicked
            self._redraw(run)
            self.train_button.disabled, self.stop_button.disabled = False, True

    # --- drawing ---------------------------------------------------------------------------------

    def _show_progress(self, run: Run):
        """Redraw the curves and the status line while `run` trains (called from the training thread)."""
        acc = f", test accuracy {run.accuracy_points[-1][1]:.1%}" if run.accuracy_points else ""
        loss = f", loss {run.loss_points[-1][1]:.3f}" if run.loss_points else ""
        self._redraw()
        self.status.value = f"Run #{run.number}: epoch {run.epochs_done:.2f} of {run.config.epochs}{loss}{acc}"

    def _redraw(self, finished: Run = None):
        """Redraw the curves and the table; with a finished run, show how it ended."""
        self._draw_png()
        self.table_html.value = self.table()._repr_html_()
        if finished is not None:
            color = {"done": "#1a7f37", "stopped": "#9a6700", "diverged": "#cf222e", "error": "#cf222e"}[
                finished.status
            ]
            acc = "" if math.isnan(finished.accuracy) else f" · test accuracy <b>{finished.accuracy:.2%}</b>"
            self.status.value = (
                f"<span style='color:{color}'><b>Run #{finished.number} {finished.status}</b>{acc} · {finished.seconds:.1f} s</span>"
                f"<br>{html.escape(finished.message, quote=False)}"
            )

    def _draw_png(self):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure  # not pyplot: this may run in the training thread

        with self._draw_lock:
            if self._figure is None:
                self._figure = Figure(figsize=(11, 3.6), dpi=80)
                FigureCanvasAgg(self._figure)
            draw_runs(self._figure, self.runs, max_curves=self.max_curves)
            buffer = io.BytesIO()
            self._figure.savefig(buffer, format="png")
        self.plot.value = buffer.getvalue()


def draw_runs(fig, runs, *, max_curves: int = 10):
    """Draw the loss and test-accuracy curves of the last `max_curves` runs into `fig`; the latest run bold."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator

    fig.clear()
    loss_ax, acc_ax = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.06, right=0.80, bottom=0.15, top=0.88, wspace=0.22)
    shown = runs[-max_curves:]
    for run in shown:
        latest = run is runs[-1]
        style = dict(color=_color(run.number), linewidth=2.2 if latest else 1.2, alpha=1.0 if latest else 0.6)
        label = f"#{run.number} lr {run.config.lr:g}" + (
            "" if run.status in ("done", "running") else f" ({run.status})"
        )
        if run.loss_points:
            x, y = zip(*run.loss_points)
            loss_ax.plot(x, y, **style)
        if run.accuracy_points:
            x, y = zip(*run.accuracy_points)
            acc_ax.plot(x, [min(max(a, 0.06), 0.995) for a in y], marker="o", markersize=3, label=label, **style)
        if run.status == "diverged" and run.loss_points:  # often a single point at the very start: mark it plainly
            point = run.loss_points[-1]
            loss_ax.plot(*point, marker="X", markersize=12, color=style["color"], markeredgecolor="black")
            loss_ax.annotate(
                f"#{run.number} diverged",
                xy=point,
                xytext=(12, -4),
                textcoords="offset points",
                fontsize=8,
                color=style["color"],
                fontweight="bold",
            )
    loss_ax.set(xlabel="epoch", ylabel="train loss (log scale)", title="Loss (lower is better)")
    if any(run.loss_points for run in shown):
        loss_ax.set_yscale("log")
        # plain numbers (0.1, 0.2, 0.5, 1, 2, 5, ...) instead of 2x10^0
        loss_ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        loss_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        loss_ax.yaxis.set_minor_locator(NullLocator())
    acc_ax.axhline(DL4J_ACCURACY, color="gray", linestyle="--", linewidth=1, label=f"DL4J {DL4J_ACCURACY:.1%}")
    acc_ax.axhline(0.1, color="gray", linestyle=":", linewidth=1, label="chance 10%")
    # logit scale: stretched near 100%, so that 95% and 98% look as different as they are (2.5x fewer
    # errors), while the climb from chance (10%) still fits
    acc_ax.set_yscale("logit")
    acc_ax.set_ylim(0.06, 0.995)
    acc_ax.yaxis.set_major_locator(FixedLocator(ACCURACY_TICKS))
    acc_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:g}"))
    acc_ax.yaxis.set_minor_locator(NullLocator())
    acc_ax.set(xlabel="epoch", ylabel="test accuracy (%, stretched near 100)", title="Test accuracy (higher is better)")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.set_xlim(left=0)
    if not runs:
        loss_ax.text(
            0.5,
            0.5,
            "Press Train:\nthe curves appear here",
            ha="center",
            va="center",
            transform=loss_ax.transAxes,
            color="gray",
        )
    acc_ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8, frameon=False)
    return fig


class RunTable:
    """The runs as a table: HTML in Jupyter, aligned text anywhere else."""

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
            swatch = f"<span style='color:{_color(run.number)}'>&#9632;</span> "
            cells = [swatch + row[0], *row[1:]]
            body.append(
                "<tr title='"
                + html.escape(run.message, quote=False).replace("'", "&#39;")
                + "'>"
                + "".join(f"<td style='padding:2px 8px'>{x}</td>" for x in cells)
                + "</tr>"
            )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _stops(values, *, percent: bool = False) -> list:
    """A selection slider's stops as (label, value), in order; 0 (L2's) is labelled 'off'."""
    return [("0 (off)" if v == 0 else f"{100 * v:g}%" if percent else f"{v:g}", v) for v in sorted(set(values))]


def _finished_message(run: Run, guard: DivergenceGuard) -> str:
    """How a run that ran all its epochs did, with a warning when it ended at chance or its loss jumped."""
    if run.accuracy <= CHANCE:
        return f"It ended at chance ({run.accuracy:.1%}): the network only guesses. " + at_chance_advice(run.config)
    words = f"Finished: {run.accuracy:.2%} of the test images right (DL4J's full run: {DL4J_ACCURACY:.1%})."
    return f"{words} {guard.hint()}".strip()


def _color(number: int) -> str:
    """Run n's colour, the same in the curves and the table: matplotlib's default colour cycle (C0, C1, ...)."""
    return matplotlib.colors.to_hex(f"C{(number - 1) % 10}")


def _plain(html: str) -> str:
    import re

    return re.sub(r"<[^>]+>", "", html)
