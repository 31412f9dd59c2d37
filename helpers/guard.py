"""Watching a playground run while it trains: the divergence guard, and the watcher that asks it.

DivergenceGuard stops a failing run (its loss blew up, or its accuracy is stuck at chance) and says
in plain words what went wrong and what to try. It is a plain `fit` callback, usable without the playground:

    guard = DivergenceGuard(config)      # fit(..., callbacks=[guard]); then guard.verdict says why it stopped

Watcher is the playground's callback for each run: it honours Stop, asks the guard, records the
points of the curves and has them redrawn, with all it needs handed to it.
"""

import math
import time

from helpers.config import DL4J_ACCURACY, Config
from helpers.loop import StopTraining, accuracy

CHANCE = 0.12  # accuracy this low is guessing: 10 digits, and the commonest, 1, is 11.35% of the test set
BLIND_LOSS = math.log(10)  # 2.30: the loss of a network that spreads its bets evenly over the 10 digits
EXPLODED = 50.0  # a loss above this (20 x a blind guess) means the weights have blown up
WARMUP_STEPS = 100  # the chance check waits this many steps (12,800 images) before it judges a run


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


def finished_message(run, guard: DivergenceGuard) -> str:
    """How a run that ran all its epochs did, with a warning when it ended at chance or its loss jumped."""
    if run.accuracy <= CHANCE:
        return f"It ended at chance ({run.accuracy:.1%}): the network only guesses. " + at_chance_advice(run.config)
    words = f"Finished: {run.accuracy:.2%} of the test images right (DL4J's full run: {DL4J_ACCURACY:.1%})."
    return f"{words} {guard.hint()}".strip()


class Watcher:
    """The playground's `fit` callback: honours Stop, runs the guard, records points and has the curves redrawn.

    It gets what it needs from the playground explicitly: `stop` (set by the Stop button), `sample`
    (the test images for points between epochs), `show` (called with the run to redraw the curves)
    and `refresh` (the shortest gap between redraws, in seconds).
    """

    def __init__(self, run, guard: DivergenceGuard, *, stop, sample, show, refresh: float, clicked: float):
        self.run, self.guard, self.stop, self.sample, self.show = run, guard, stop, sample, show
        self.refresh, self.clicked = refresh, clicked
        self.window = []  # batch losses since the last point
        self.last_draw = -math.inf
        self.gap = refresh  # seconds between redraws
        self.point_every = max(1, run.steps_per_epoch // 10)  # steps between loss points: >= 10 per epoch

    def on_step(self, history, loss: float):
        """Record the step's loss; now and then a curve point, a sample accuracy and a redraw; stop when told or guarded."""
        run = self.run
        run.steps = history.steps
        run.losses.append(loss)  # every step's, as it came (nan and all): the slider experiment's figure shows them
        if self.stop.is_set():
            raise StopTraining(f"stopped by you after {run.epochs_done:.2f} epochs ({history.steps} steps)")
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
                acc = accuracy(run.model, self.sample)
                run.accuracy_points.append((run.epochs_done, acc))
                verdict = self.guard.check_accuracy(history.steps, acc)
            self.draw()
            if history.steps > 1:  # the first point pays one-off start-up costs: not a fair measure
                # a point (test sample + picture) costs time the training could use: keep that under ~20%
                self.gap = min(max(self.refresh, 4 * (time.perf_counter() - started)), 2.0)
        if verdict:
            raise StopTraining(verdict)

    def on_epoch(self, history):
        """Record the epoch's accuracy on all 10,000 test images; stop when it is still at chance."""
        self.add_loss_point()
        self.run.accuracy_points.append((self.run.epochs_done, history.test_accuracy[-1]))  # all 10,000 images
        verdict = self.guard.check_accuracy(history.steps, history.test_accuracy[-1])
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
