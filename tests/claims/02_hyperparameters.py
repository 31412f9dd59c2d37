"""What notebook 02_hyperparameters claims, asserted in its own kernel after its last cell (tests/nbrun.py)."""


def _fresh(start):
    return torch.tensor(start, requires_grad=True)


# The variables table is Config's defaults (DL4J's example)
assert (config.batch_size, config.epochs, config.seed) == (128, 15, 123)
assert (config.lr, config.momentum, config.l2, config.l2_rule) == (0.006, 0.9, 1e-4, "dl4j")
# 469 steps per epoch, the last batch smaller; 7,035 steps in DL4J's run
assert steps_per_epoch == 469 and config.train_images - 468 * 128 == 96 and run == 7_035

# SGD by hand: at w = 2 the gradient of (w - 5)^2 is -6, one step of lr 0.1 lands on 2.6
_w = _fresh([2.0])
_path = descend(_w, torch.optim.SGD([_w], lr=0.1), bowl, steps=1)
assert _w.grad.item() == -6.0 and abs(_path[1].item() - 2.6) < 1e-6


def _after_20(lr):
    w = _fresh([2.0])
    return descend(w, torch.optim.SGD([w], lr=lr), bowl, steps=20)[:, 0]


assert abs(_after_20(0.01)[-1] - 5) > 1.5  # "with 0.01 the weight crawls": still most of the way from 5
assert abs(_after_20(0.1)[-1] - 5) < 0.1  # "with 0.1 it nearly arrives"
assert (_after_20(0.9) > 5).any()  # "too long a step overshoots"

# Momentum: on a steady slope (a gradient of 1 every step) Nesterov 0.9's step grows to ten times lr
_w = _fresh([0.0])
_opt = torch.optim.SGD([_w], lr=0.006, momentum=0.9, nesterov=True)
_steps = descend(_w, _opt, lambda w: w.sum(), steps=200)[:, 0].diff().abs()
assert abs(_steps[-1] / 0.006 - 10) < 0.01 and _steps[0] < 2 * 0.006  # ten times, built up from under two
# The valley: plain SGD settles the steep y at once, then creeps along x; Nesterov overshoots, swings back, ends closer
_plain, _nesterov = paths["plain SGD"], paths["Nesterov, 0.9"]
assert _plain[10:, 1].abs().max() < 0.02 and _plain[-1, 0] < -3
assert _nesterov[:, 0].max() > 1 and _nesterov[-1, 0] < _nesterov[:, 0].max() / 2
assert _nesterov[-1].norm() < _plain[-1].norm() / 5
# "brakes sooner": Nesterov overshoots less than classical momentum from the same start
_w = _fresh([-8.0, 2.0])
_classic = descend(_w, torch.optim.SGD([_w], lr=0.02, momentum=0.9), valley, 40)
assert _nesterov[:, 0].max() < _classic[:, 0].max()

# L2 on a weight with no gradient: DL4J's pull does not depend on the learning rate
_w = _fresh([1.0])
descend(_w, torch.optim.SGD([_w], lr=0.6, momentum=0.9, nesterov=True), no_gradient, steps=run, l2=1e-4)
assert abs(_w.item() - w_dl4j.item()) < 1e-4  # a hundred times the learning rate, the same pull
# "smaller batches pull harder (more per step, and more steps per epoch)": over one epoch, batch 16 vs 128
assert (1 - 1e-4 / 16) ** (60_000 / 16) < (1 - 1e-4 / 128) ** (60_000 / 128)
# 02.2's solution: "ten times 0.02 without momentum blows up along y, where Nesterov at 0.02 settled"
_w = _fresh([-8.0, 2.0])
assert descend(_w, torch.optim.SGD([_w], lr=0.2), valley, 40)[-1, 1].abs() > 1e3 > 1e-3 > _nesterov[-1, 1].abs()
# 02.3's solution: about 1.3e-5, nearly eight times smaller than 1e-4, and it leaves what DL4J's rule leaves
_decay = 1e-4 * (1 - 0.9) / (128 * 0.006)
assert round(_decay, 6) == 1.3e-5 and 7.5 < 1e-4 / _decay < 8
_w = _fresh([1.0])
descend(_w, torch.optim.SGD([_w], lr=0.006, momentum=0.9, nesterov=True, weight_decay=_decay), no_gradient, steps=run)
assert abs(_w.item() - w_dl4j.item()) < 1e-4
