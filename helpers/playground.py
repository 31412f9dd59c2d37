"""The hyperparameter playground: sliders that retrain the network, live curves, every run kept for comparison.

    pg = Playground(fit_set, val_set)          # the training images minus the validation set, and the validation set
    pg                                         # in Jupyter: sliders, buttons, live curves, the table of runs
    pg.run(lr=0.1, epochs=3)                   # scripted: set the sliders, click Train, wait; returns the Run
    Playground(fit_set, val_set, sliders=["lr"], guard=False)   # one slider: a single experiment (notebook 06)

Train starts helpers.runs.train_run in a thread and returns at once: training in the click handler would hold the
kernel's only message loop, so a click on Stop would wait for the end. Stop sets a flag the run checks after every
step; the thread draws the curves into an Image widget as PNGs (the kernel may send widget updates from any thread).
"""

import html
import io
import math
import threading
import time

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure  # not pyplot's figures: the training thread draws it

from helpers import widgets as controls
from helpers.config import Config
from helpers.guard import DivergenceGuard, Watcher, finished_message
from helpers.loop import accuracy
from helpers.plots.compare import PLAYGROUND_SIZE, draw_runs, run_color
from helpers.runs import SLIDERS, Run, train_run


class Playground:
    """Sliders (learning rate, momentum, L2, batch size, epochs, training share), Train/Stop/Reset, live curves, a table of runs.

    `config` gives the sliders' starting values and all they do not move (the seed too: two runs differ only in
    what the sliders changed). `sliders` picks the sliders shown; `guard` stops failing runs; the curves (of the last
    ten runs) are redrawn at most every `refresh` seconds.
    """

    def __init__(self, fit_set, val_set, *, config=None, sliders=SLIDERS, guard=True, refresh=0.4):
        self.config = config if config is not None else Config()
        self.fit_set, self.val_set, self.names = fit_set, val_set, tuple(sliders)
        self.label = self.names[0] if len(self.names) == 1 else "lr"  # the setting that names a run in the legend
        self.guard, self.refresh = guard, refresh
        self.runs = []  # every Run so far, oldest first
        self._thread, self._stop, self._error = None, threading.Event(), None
        self._draw_lock, self._figure = threading.Lock(), Figure(figsize=PLAYGROUND_SIZE, dpi=80)
        FigureCanvasAgg(self._figure)
        self.sliders = {name: s for name, s in controls.playground_sliders(self.config).items() if name in self.names}
        self.train_button, self.stop_button, self.reset_button = controls.playground_buttons()
        self.train_button.on_click(self._on_train)
        self.stop_button.on_click(lambda _: self.stop())
        self.reset_button.on_click(lambda _: self.reset())
        self.status = widgets.HTML(value="Set the sliders and press <b>Train</b>. Every run is kept, to compare.")
        self.plot = widgets.Image(format="png", layout=widgets.Layout(width="880px", max_width="100%"))
        self.table_html = widgets.HTML()
        buttons = (self.train_button, self.stop_button, self.reset_button)
        self.widget = controls.playground_layout(self.sliders, buttons, self.status, self.plot, self.table_html)
        self._redraw()

    def settings(self) -> dict:
        """The sliders' current values, e.g. {'lr': 0.006, 'momentum': 0.9, ...}."""
        return {name: controls.value_of(slider) for name, slider in self.sliders.items()}

    def set(self, **settings):
        """Move sliders to these values; a value between a slider's stops becomes a stop, one Config refuses is refused."""
        unknown = sorted(set(settings) - set(self.sliders))
        if unknown:
            raise ValueError(f"Playground has no slider {', '.join(unknown)}; its sliders: {', '.join(self.sliders)}.")
        self.config.replace(**{**self.settings(), **settings})  # Config's checks and messages first
        for name, value in settings.items():
            controls.place(self.sliders[name], value, percent=name in controls.PERCENT)

    def run(self, *, block=True, **settings) -> Run:
        """Set the sliders (lr=, momentum=, l2=, batch_size=, epochs=, train_fraction=), click Train and, if `block`, wait."""
        self.wait()  # one run at a time
        self.set(**settings)
        before = len(self.runs) and self.runs[-1]
        self.train_button.click()
        if not self.runs or self.runs[-1] is before:
            raise RuntimeError(f"Playground: Train did not start a run ({self.status.value}).")
        return self.wait() if block else self.runs[-1]

    def wait(self):
        """Block until the current run ends; return the latest Run (None before the first). Ctrl-C stops the run."""
        thread = self._thread
        try:
            while thread is not None and thread.is_alive():
                thread.join(0.1)  # short joins: Python delivers Ctrl-C between them
        except KeyboardInterrupt:
            self._stop.set()
            thread.join()
        error, self._error = self._error, None
        if error is not None:
            raise error
        return self.runs[-1] if self.runs else None

    def stop(self):
        """End the current run after the step it is on; the network keeps what it learned."""
        if self.running:
            self._stop.set()
            self.status.value = "Stopping after this step..."

    def reset(self):
        """Put the sliders back to DL4J's values (Config's defaults)."""
        self.set(**{name: getattr(Config(), name) for name in self.sliders})

    @property
    def running(self) -> bool:
        """Whether a run is training right now."""
        return self._thread is not None and self._thread.is_alive()

    def figure(self):
        """A plain matplotlib figure of every run's curves (what the widget shows), e.g. for a saved notebook."""
        import matplotlib.pyplot as plt  # pyplot, so that Jupyter shows the returned figure as a picture

        fig = plt.figure(figsize=PLAYGROUND_SIZE, dpi=90)
        plt.close(fig)  # shown once, as the cell's result
        with self._draw_lock:
            draw_runs(fig, self.runs, label=self.label)
        return fig

    def table(self) -> "RunTable":
        """The runs' settings, final validation accuracy, time and status (HTML in Jupyter, text elsewhere)."""
        return RunTable(list(self.runs))

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)  # the live widget in Jupyter
        bundle["text/plain"] = "Hyperparameter playground: its sliders and live curves need a running Jupyter kernel."
        return bundle

    def _on_train(self, _button):
        if self.running:
            self.status.value = "A run is still training: press <b>Stop</b> first, or wait for it to end."
            return
        clicked = time.perf_counter()
        try:
            config = self.config.replace(**self.settings())
        except ValueError as e:  # e.g. a batch larger than the training share: say so, start nothing
            self.status.value = f"<b>Cannot train with these settings:</b> {html.escape(str(e), quote=False)}"
            return
        self._stop.clear()
        run = Run(config, number=self.runs[-1].number + 1 if self.runs else 1)
        self.runs.append(run)
        self.train_button.disabled, self.stop_button.disabled = True, False
        self.status.value = f"Run #{run.number}: starting..."
        self._thread = threading.Thread(
            target=self._train, args=(run, clicked), name=f"playground-run-{run.number}", daemon=True
        )
        self._thread.start()

    def _train(self, run: Run, clicked: float):
        """Train one run (in the background thread) and record how it ended."""
        guard = DivergenceGuard(run.config, enabled=self.guard)
        watcher = Watcher(
            run, guard, stop=self._stop, val_set=self.val_set, show=self._show, refresh=self.refresh, clicked=clicked
        )
        try:
            train_run(run.config, self.fit_set, self.val_set, callbacks=[watcher], run=run)
            if run.history.epochs_done < run.config.epochs and run.steps:  # ended mid-epoch: where it got to
                run.accuracy_points.append((run.epochs_done, accuracy(run.model, watcher.val_loader)))
            if guard.verdict:
                run.status, run.message = "diverged", guard.verdict
            elif run.status == "stopped":
                run.message = f"Stopped by you after {run.epochs_done:.2f} of {run.config.epochs} epochs; the network keeps what it learned."
            else:
                run.message = finished_message(run, guard)
        except Exception as e:  # shown in the status line; wait() raises it again for scripts and tests
            run.status, run.message, self._error = "error", f"{type(e).__name__}: {e}", e
        finally:
            run.seconds = time.perf_counter() - clicked
            self._redraw(run)
            self.train_button.disabled, self.stop_button.disabled = False, True

    def _show(self, run: Run):
        """Redraw the curves and the status line while `run` trains (called from the training thread)."""
        acc = f", validation accuracy {run.accuracy:.1%}" if not math.isnan(run.accuracy) else ""
        loss = f", loss {run.loss_points[-1][1]:.3f}" if run.loss_points else ""
        self._redraw()
        self.status.value = f"Run #{run.number}: epoch {run.epochs_done:.2f} of {run.config.epochs}{loss}{acc}"

    def _redraw(self, finished: Run = None):
        """The curves as a PNG for the Image widget, the table, and how a finished run ended."""
        with self._draw_lock:
            draw_runs(self._figure, self.runs, label=self.label)
            buffer = io.BytesIO()
            self._figure.savefig(buffer, format="png")
        self.plot.value = buffer.getvalue()
        self.table_html.value = self.table()._repr_html_()
        if finished is not None:
            color = {"done": "#1a7f37", "stopped": "#9a6700"}.get(finished.status, "#cf222e")
            acc = "" if math.isnan(finished.accuracy) else f" · validation accuracy <b>{finished.accuracy:.2%}</b>"
            self.status.value = (
                f"<span style='color:{color}'><b>Run #{finished.number} {finished.status}</b>{acc} · {finished.seconds:.1f} s</span>"
                f"<br>{html.escape(finished.message, quote=False)}"
            )


class RunTable:
    """Runs as a table: HTML in Jupyter (hover a row for its message), aligned text anywhere else."""

    COLUMNS = (
        "run",
        "learning rate",
        "momentum",
        "L2",
        "batch",
        "epochs",
        "training images",
        "validation accuracy",
        "time",
        "status",
    )

    def __init__(self, runs):
        self.runs = runs

    def rows(self) -> list:
        """One tuple of strings per run, in COLUMNS order."""
        return [
            (
                f"#{r.number}",
                f"{r.config.lr:g}",
                f"{r.config.momentum:g}",
                f"{r.config.l2:g}",
                f"{r.config.batch_size}",
                f"{r.config.epochs}" if r.status == "done" else f"{r.epochs_done:.2f} of {r.config.epochs}",
                f"{r.config.train_fraction:.0%} ({r.images or r.config.train_images:,})",
                "-" if math.isnan(r.accuracy) else f"{r.accuracy:.2%}",
                f"{r.seconds:.1f} s" if r.status != "running" else "...",
                r.status,
            )
            for r in self.runs
        ]

    def __str__(self):
        rows = [self.COLUMNS, *self.rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(self.COLUMNS))]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)

    __repr__ = __str__

    def _repr_html_(self):
        if not self.runs:
            return "<p><i>No runs yet.</i></p>"
        cell = "padding:2px 8px;white-space:nowrap"  # a row per run, each on one line
        head = "".join(f"<th style='{cell};text-align:left'>{h}</th>" for h in self.COLUMNS)
        body = "".join(
            f"<tr title='{html.escape(run.message)}'>"
            + f"<td style='{cell}'><span style='color:{run_color(run.number)}'>&#9632;</span> {row[0]}</td>"
            + "".join(f"<td style='{cell}'>{value}</td>" for value in row[1:])
            + "</tr>"
            for run, row in zip(self.runs, self.rows())
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
