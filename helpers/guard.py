"""Watching a run while it trains: DivergenceGuard, a `fit` callback that stops a failing run and says in plain
words what went wrong and what to try, and the playground's Watcher, which asks it."""

import math
import time

from helpers.config import DL4J_ACCURACY, Config
from helpers.data import batch_loader
from helpers.loop import StopTraining, accuracy

CHANCE = 0.12  # accuracy this low is guessing: 10 digits, the commonest (1) about 11% of them
BLIND_LOSS = math.log(10)  # 2.30: the loss of a network that spreads its bets evenly over the 10 digits
EXPLODED = 50.0  # a loss above this (20 x a blind guess) means the weights have blown up
WARMUP_STEPS = 100  # the chance check waits this many steps (12,800 images) before it judges a run


class DivergenceGuard:
    """A `fit` callback that stops a run whose loss is NaN, infinite or above EXPLODED; `verdict` then says why, in
    words. The playground's Watcher also asks it whether validation accuracy is still at chance (<= CHANCE)."""

    def __init__(self, config: Config, *, enabled: bool = True):
        self.config, self.enabled = config, enabled
        self.verdict = ""  # why it stopped the run ("" while all is well)
        self.first_loss, self.peak_loss = None, 0.0  # for the warning at the end of a run that nearly blew up

    def on_step(self, history, loss: float):
        """Stop at once when the loss is not a finite number or has exploded."""
        if self.check_loss(history.steps, loss):
            raise StopTraining(self.verdict)

    def check_loss(self, step: int, loss: float) -> str:
        """The verdict if this step's loss shows divergence, else ''."""
        if self.first_loss is None:
            self.first_loss = loss
        if math.isfinite(loss):
            self.peak_loss = max(self.peak_loss, loss)
        if not self.enabled or (math.isfinite(loss) and loss <= EXPLODED):
            return ""
        what = f"shot up to {loss:,.0f}"
        if not math.isfinite(loss):
            what = "became NaN (not a number)" if math.isnan(loss) else "became infinite"
        c = self.config
        longer = f" (momentum {c.momentum:g} makes the steps even longer)" if c.momentum >= 0.5 else ""
        self.verdict = (
            f"Diverged: at step {step} the loss {what}, where a blind guess scores {BLIND_LOSS:.1f}. Each update "
            f"overshot and the weights blew up: the learning rate {c.lr:g} is too high{longer}. "
            f"Try a learning rate 10 times smaller, {c.lr / 10:.2g}, or DL4J's 0.006."
        )
        return self.verdict

    def check_accuracy(self, step: int, accuracy: float) -> str:
        """The verdict if, after the warm-up, validation accuracy (0-1) is still at chance, else ''."""
        if not self.enabled or step < WARMUP_STEPS or accuracy > CHANCE:
            return ""
        self.verdict = (
            f"Stuck at chance: after {step} steps the network reads only {accuracy:.1%} of the validation images "
            f"right, no better than guessing. {at_chance_advice(self.config)}"
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
    shrink = c.l2 / c.batch_size if c.l2_rule == "dl4j" else c.lr * c.l2 / (1 - c.momentum)  # of each weight, per step
    if shrink >= 3e-3:
        return (
            f"The L2 pull {c.l2:g} is so strong (it removes {shrink:.1%} of every weight at each step) that the weights "
            "shrink back towards zero faster than learning moves them. Try an L2 ten times smaller or less "
            "(DL4J: 1e-4), or 0 to turn it off."
        )
    if c.lr / (1 - c.momentum) < 0.01:  # the step length momentum builds up to
        return (
            f"The steps are too small to get anywhere: learning rate {c.lr:g} with momentum {c.momentum:g}. "
            f"Try a learning rate 10 times larger, {c.lr * 10:.2g}, or more momentum (DL4J: 0.006 and 0.9)."
        )
    return (
        f"The learning rate {c.lr:g} is too high: the first steps threw the weights so far that the hidden units "
        "switched off for every image (dead ReLUs), and the network answers the same digit every time. "
        f"Try a learning rate 10 times smaller, {c.lr / 10:.2g}, or DL4J's 0.006."
    )


def finished_message(run, guard: DivergenceGuard) -> str:
    """How a run that ran all its epochs did, with a warning when it ended at chance or its loss jumped."""
    if run.accuracy <= CHANCE:
        return f"It ended at chance ({run.accuracy:.1%}): the network only guesses. {at_chance_advice(run.config)}"
    words = f"Finished: {run.accuracy:.2%} of the validation images right (DL4J's full run: {DL4J_ACCURACY:.1%} of the test images)."
    return f"{words} {guard.hint()}".strip()


class Watcher:
    """The playground's `fit` callback: it honours Stop (the flag `stop`), asks the guard, records the curves' points
    (accuracy on `val_set`) and has `show` redraw them at most every `refresh` seconds (`clicked`: Train's time)."""

    def __init__(self, run, guard: DivergenceGuard, *, stop, val_set, show, refresh: float, clicked: float):
        self.run, self.guard, self.stop, self.show = run, guard, stop, show
        self.val_loader = batch_loader(val_set, 1000, shuffle=False)
        self.refresh, self.clicked, self.gap = refresh, clicked, refresh
        self.window, self.last_draw = [], -math.inf  # losses since the last point; when it last drew

    def on_step(self, history, loss: float):
        """Record the loss; now and then a curve point, an accuracy point and a redraw; stop when told or guarded."""
        run = self.run
        if self.stop.is_set():
            raise StopTraining(f"stopped by you after {run.epochs_done:.2f} epochs ({history.steps} steps)")
        if math.isfinite(loss):
            self.window.append(loss)
        verdict = self.guard.check_loss(history.steps, loss)
        if history.steps == 1 or history.steps % max(1, run.steps_per_epoch // 10) == 0:  # >= 10 points an epoch
            self.add_loss_point()
        if verdict or history.steps == 1 or time.perf_counter() - self.last_draw >= self.gap:
            started = time.perf_counter()
            self.add_loss_point()
            if not verdict:
                run.accuracy_points.append((run.epochs_done, accuracy(run.model, self.val_loader)))
                run.model.train()  # accuracy() left it in eval mode, mid-epoch
                verdict = self.guard.check_accuracy(history.steps, run.accuracy)
            self.draw()
            if history.steps > 1:  # a point costs time training could use: keep it under ~20% (the first pays start-up)
                self.gap = min(max(self.refresh, 4 * (time.perf_counter() - started)), 2.0)
        if verdict:
            raise StopTraining(verdict)

    def on_epoch(self, history):
        """A loss point; the guard's look at the epoch's validation accuracy (train_run recorded it)."""
        self.add_loss_point()
        verdict = self.guard.check_accuracy(history.steps, history.val_accuracy[-1])
        if verdict or time.perf_counter() - self.last_draw >= self.gap:
            self.draw()
        if verdict:
            raise StopTraining(verdict)

    def add_loss_point(self):
        """Turn the losses since the last point into one point of the curve (their mean)."""
        if self.window:
            self.run.loss_points.append((self.run.epochs_done, sum(self.window) / len(self.window)))
            self.window.clear()

    def draw(self):
        """Show the run as it stands (and time the first picture, which the latency benchmark reports)."""
        self.show(self.run)
        if math.isnan(self.run.first_point_seconds):
            self.run.first_point_seconds = time.perf_counter() - self.clicked
        self.last_draw = time.perf_counter()
