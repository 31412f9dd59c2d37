"""The core helpers: config, data, model, training loop, determinism, command line, checkpoints,
and the full reference runs that must reproduce DL4J's accuracy.

Everything but the two `slow` runs takes seconds (short runs on a share of the data). The slow ones
train for 15 epochs through the command line; deselect them with `-m "not slow"`. No test asserts
a time: the benchmark (benchmarks/train_speed.py) measures speed.
"""

import dataclasses
import math
import os
import re
import subprocess
import sys
from collections import OrderedDict

import pytest
import torch

from helpers import runs
from helpers.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from helpers.config import DL4J_ACCURACY, Config, allowed
from helpers.data import MEAN, STD, Digits, batches, load_mnist, subset
from helpers.loop import History, StopTraining, accuracy, predict
from helpers.model import count_parameters, loss_fn, mlp, sgd
from helpers.runs import optimizer_for

# How many of each digit 0-9 the official files hold
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def train_run(data, config: Config, test=None, callbacks=()):
    """The CLI's recipe (helpers.runs.train_run) on data's training set; return (model, optimizer, history)."""
    trained = runs.train_run(config, data[0], test, callbacks=callbacks)
    return trained.model, trained.optimizer, trained.history


def run_cli(module, *args, root, cwd):
    """Run `python -m module args` with MNIST at `root`; return the CompletedProcess (text)."""
    env = {**os.environ, "MNIST_ROOT": str(root), "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=1800
    )


def printed_accuracy(stdout: str) -> float:
    """The accuracy from DL4J's report block ("Accuracy:        0.9724")."""
    found = re.search(r"^\s*Accuracy:\s+([0-9.]+)\s*$", stdout, re.MULTILINE)
    assert found, f"no Accuracy line in:\n{stdout}"
    return float(found.group(1))


# ---------------------------------------------------------------- config


def test_config_defaults_are_dl4j_settings():
    c = Config()
    assert (c.num_rows, c.num_columns, c.output_num, c.hidden) == (28, 28, 10, 1000)
    assert (c.batch_size, c.epochs, c.lr, c.momentum, c.l2, c.seed) == (128, 15, 0.006, 0.9, 1e-4, 123)
    assert c.normalize is False and c.train_fraction == 1.0
    assert c.num_inputs == 784 and c.train_images == 60_000


@pytest.mark.parametrize(
    "name, value",
    [
        ("lr", 0.0),
        ("lr", -0.1),
        ("lr", math.nan),
        ("momentum", 1.0),
        ("l2", -1e-4),
        ("epochs", 0),
        ("hidden", 10_001),
        ("train_fraction", 0.0),
        ("train_fraction", 1.5),
        ("seed", -1),
        ("num_rows", 32),
    ],
)
def test_config_rejects_out_of_range_values_naming_the_range(name, value):
    with pytest.raises(ValueError) as error:
        Config(**{name: value})
    assert f"Config.{name}" in str(error.value) and allowed(name) in str(error.value)


@pytest.mark.parametrize("name, value", [("batch_size", True), ("epochs", 1.5), ("normalize", 1), ("lr", "0.1")])
def test_config_rejects_wrong_types(name, value):
    with pytest.raises(TypeError, match=f"Config.{name}"):
        Config(**{name: value})


def test_config_batch_larger_than_the_data_in_use_is_refused():
    with pytest.raises(ValueError, match="batch_size = 128 is larger than the training set in use .60 images"):
        Config(train_fraction=0.001)
    assert Config(train_fraction=0.001, batch_size=60).train_images == 60


def test_config_replace_validates_and_is_frozen():
    c = Config()
    assert c.replace(lr=0.1).lr == 0.1 and c.lr == 0.006  # a copy; the original is unchanged
    with pytest.raises(ValueError, match="Config.epochs"):
        c.replace(epochs=0)
    with pytest.raises(TypeError, match="no field learning_rate; the fields are: .*lr"):
        c.replace(learning_rate=0.1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.lr = 0.1
    assert Config(**c.to_dict()) == c


def test_allowed_ranges_in_words():
    assert allowed("lr") == "0 < lr <= 10"
    assert allowed("momentum") == "0 <= momentum < 1"
    assert allowed("num_rows") == "exactly 28"
    assert allowed("normalize") == "True or False"


# ---------------------------------------------------------------- data


def test_mnist_shapes_dtypes_and_range(mnist):
    train, test = mnist
    assert train.images.shape == (60_000, 784) and test.images.shape == (10_000, 784)
    assert train.labels.shape == (60_000,) and test.labels.shape == (10_000,)
    for split in (train, test):
        assert split.images.dtype == torch.float32 and split.labels.dtype == torch.int64
        assert split.images.min() == 0 and split.images.max() == 1  # v / 255, no mean/std (DL4J)
        assert split.labels.min() == 0 and split.labels.max() == 9


def test_mnist_label_counts_are_the_official_ones(mnist):
    train, test = mnist
    assert torch.bincount(train.labels, minlength=10).tolist() == TRAIN_COUNTS
    assert torch.bincount(test.labels, minlength=10).tolist() == TEST_COUNTS


def test_mean_and_std_constants_are_the_training_sets(mnist):
    train, _ = mnist
    assert train.images.mean().item() == pytest.approx(MEAN, abs=1e-4)
    assert train.images.std().item() == pytest.approx(STD, abs=1e-4)


def test_normalize_standardises_with_the_training_statistics(mnist_root, mnist):
    train, test = load_mnist(mnist_root, normalize=True, download_missing=False)
    assert torch.allclose(train.images, (mnist[0].images - MEAN) / STD, atol=1e-5)
    assert torch.allclose(
        test.images, (mnist[1].images - MEAN) / STD, atol=1e-5
    )  # the train statistics, not the test's
    assert abs(train.images.mean().item()) < 1e-3 and train.images.std().item() == pytest.approx(1, abs=1e-3)
    assert torch.equal(train.labels, mnist[0].labels)


def test_batches_visit_every_image_once_in_a_seeded_order():
    data = Digits(torch.arange(10.0).reshape(10, 1), torch.arange(10))  # image i holds the number i
    got = list(batches(data, 4, generator=torch.Generator().manual_seed(0)))
    assert [len(labels) for _, labels in got] == [4, 4, 2]  # the last batch is smaller
    order = torch.cat([labels for _, labels in got])
    assert sorted(order.tolist()) == list(range(10)) and order.tolist() != list(range(10))
    assert all(torch.equal(images[:, 0].long(), labels) for images, labels in got)  # images stay with their labels
    again = torch.cat([labels for _, labels in batches(data, 4, generator=torch.Generator().manual_seed(0))])
    assert torch.equal(order, again)
    in_order = torch.cat([labels for _, labels in batches(data, 4, shuffle=False)])
    assert in_order.tolist() == list(range(10))


def test_subset_draws_a_seeded_share(mnist):
    train, _ = mnist
    a = subset(train, 0.1, generator=torch.Generator().manual_seed(1))
    b = subset(train, 0.1, generator=torch.Generator().manual_seed(1))
    assert len(a) == 6000 and a.images.shape == (6000, 784)
    assert torch.equal(a.labels, b.labels) and torch.equal(a.images, b.images)
    assert subset(train, 1.0) is train


# ---------------------------------------------------------------- model


def test_model_has_dl4j_shape_and_795010_parameters():
    model = mlp(784, 1000, 10)
    assert count_parameters(model) == 795_010  # 784*1000 + 1000 + 1000*10 + 10
    assert [name for name, _ in model.named_children()] == ["hidden", "relu", "output"]
    assert model.hidden.weight.shape == (1000, 784) and model.output.weight.shape == (10, 1000)
    assert model(torch.rand(3, 784)).shape == (3, 10)


def test_xavier_normal_init_and_zero_biases():
    torch.manual_seed(0)
    model = mlp(784, 1000, 10)
    for layer, fan_in, fan_out in ((model.hidden, 784, 1000), (model.output, 1000, 10)):
        std = math.sqrt(2 / (fan_in + fan_out))
        assert layer.weight.std().item() == pytest.approx(std, rel=0.03)
        assert abs(layer.weight.mean().item()) < 0.05 * std
        assert torch.count_nonzero(layer.bias) == 0


def test_sgd_is_nesterov_with_l2_on_weights_only():
    model = mlp(784, 1000, 10)
    optimizer = sgd(model, lr=0.006, momentum=0.9, l2=1e-4, batch_size=128)
    weights, biases = optimizer.param_groups
    assert [p.shape for p in weights["params"]] == [(1000, 784), (10, 1000)]
    assert (
        weights["dl4j_shrink"] == pytest.approx(1e-4 / 128) and weights["weight_decay"] == 0
    )  # DL4J's rule by default
    assert [p.shape for p in biases["params"]] == [(1000,), (10,)] and biases["weight_decay"] == biases[
        "dl4j_shrink"
    ] == 0
    assert all(g["lr"] == 0.006 and g["momentum"] == 0.9 and g["nesterov"] for g in optimizer.param_groups)
    assert not sgd(model, lr=0.1, momentum=0.0, l2=0.0, batch_size=128).param_groups[0][
        "nesterov"
    ]  # Nesterov needs momentum


def _tiny_model():
    """A 3 -> 2 -> 2 network with both weights and biases, in float64 so that rules differ above rounding."""
    torch.manual_seed(7)
    return torch.nn.Sequential(OrderedDict(hidden=torch.nn.Linear(3, 2), output=torch.nn.Linear(2, 2))).double()


def _given_gradients(steps=3):
    """Fixed gradients (the batch's MEAN gradient, as cross_entropy gives) for each step and parameter."""
    g = torch.Generator().manual_seed(3)
    return [
        {
            name: torch.randn(shape, generator=g, dtype=torch.float64)
            for name, shape in [
                ("hidden.weight", (2, 3)),
                ("hidden.bias", (2,)),
                ("output.weight", (2, 2)),
                ("output.bias", (2,)),
            ]
        }
        for _ in range(steps)
    ]


def _run_optimizer(model, optimizer, gradients):
    for grads in gradients:
        for name, p in model.named_parameters():
            p.grad = grads[name].clone()
        optimizer.step()
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def test_sgd_dl4j_rule_matches_dl4j_written_out():
    # DL4J 0.9.x-1.0.0-beta3, per minibatch of B: the SUMMED gradient goes through ND4J's Nesterovs
    # (v = mu*v - lr*g; update = mu*v_prev - (1 + mu)*v), UpdaterBlock.postApply adds l2*w to the
    # weights' update (not the biases'), BaseMultiLayerUpdater divides the update by B, params -= update.
    lr, mu, l2, B = 0.1, 0.9, 0.05, 4  # large enough that the two L2 rules differ clearly
    gradients = _given_gradients()
    model = _tiny_model()
    params = {name: p.detach().clone() for name, p in model.named_parameters()}
    velocity = {name: torch.zeros_like(p) for name, p in params.items()}
    for grads in gradients:
        for name, w in params.items():
            summed = B * grads[name]
            v_prev = velocity[name].clone()
            velocity[name] = mu * velocity[name] - lr * summed
            update = mu * v_prev - (1 + mu) * velocity[name]
            if name.endswith("weight"):
                update = update + l2 * w
            params[name] = w - update / B
    ours = _run_optimizer(model, sgd(model, lr=lr, momentum=mu, l2=l2, batch_size=B), gradients)
    for name in params:
        torch.testing.assert_close(ours[name], params[name], rtol=1e-12, atol=1e-12)
    coupled = _tiny_model()
    pytorch_rule = _run_optimizer(
        coupled, sgd(coupled, lr=lr, momentum=mu, l2=l2, batch_size=B, l2_rule="pytorch"), gradients
    )
    assert (pytorch_rule["hidden.weight"] - params["hidden.weight"]).abs().max() > 1e-3  # the rules really differ
    torch.testing.assert_close(pytorch_rule["hidden.bias"], params["hidden.bias"])  # biases: no L2 in either


def test_sgd_pytorch_rule_is_weight_decay_on_weights_only():
    lr, mu, l2 = 0.1, 0.9, 0.05
    gradients = _given_gradients()
    model = _tiny_model()
    ours = _run_optimizer(model, sgd(model, lr=lr, momentum=mu, l2=l2, batch_size=4, l2_rule="pytorch"), gradients)
    reference = _tiny_model()
    groups = [
        {"params": [reference.hidden.weight, reference.output.weight], "weight_decay": l2},
        {"params": [reference.hidden.bias, reference.output.bias], "weight_decay": 0.0},
    ]
    theirs = _run_optimizer(reference, torch.optim.SGD(groups, lr=lr, momentum=mu, nesterov=True), gradients)
    for name in ours:
        torch.testing.assert_close(ours[name], theirs[name], rtol=1e-12, atol=1e-12)


def test_pytorch_nesterov_equals_nd4j_nesterovs_at_a_constant_learning_rate():
    # PyTorch: buf = mu*buf + g; p -= lr*(g + mu*buf).  ND4J: v = mu*v - lr*g; p -= mu*v_prev - (1 + mu)*v.
    # With v = -lr*buf both move p by -lr*(1 + mu)*g - lr*mu^2*buf_prev: the same step, written two ways.
    lr, mu = 0.05, 0.9
    gradients = [torch.randn(5, generator=torch.Generator().manual_seed(i), dtype=torch.float64) for i in range(10)]
    p_torch = torch.nn.Parameter(torch.ones(5, dtype=torch.float64))
    optimizer = torch.optim.SGD([p_torch], lr=lr, momentum=mu, nesterov=True)
    p_nd4j, v = torch.ones(5, dtype=torch.float64), torch.zeros(5, dtype=torch.float64)
    for g in gradients:
        p_torch.grad = g.clone()
        optimizer.step()
        v_prev, v = v, mu * v - lr * g
        p_nd4j = p_nd4j - (mu * v_prev - (1 + mu) * v)
    torch.testing.assert_close(p_torch.detach(), p_nd4j, rtol=1e-12, atol=1e-12)


def test_sgd_refuses_an_unknown_l2_rule():
    with pytest.raises(ValueError, match="l2_rule = 'torch'.*'dl4j'.*'pytorch'"):
        sgd(mlp(), lr=0.1, momentum=0.9, l2=1e-4, batch_size=128, l2_rule="torch")
    with pytest.raises(ValueError, match=r"Config.l2_rule = 'DL4J' is not allowed: use 'dl4j' or 'pytorch'"):
        Config(l2_rule="DL4J")


def test_loss_is_softmax_then_negative_log_likelihood():
    scores, labels = torch.randn(5, 10), torch.tensor([0, 3, 9, 3, 1])
    by_hand = -torch.log(torch.softmax(scores, dim=1)[torch.arange(5), labels]).mean()
    assert loss_fn(scores, labels).item() == pytest.approx(by_hand.item(), rel=1e-5)


# ---------------------------------------------------------------- training


def test_one_training_step_decreases_the_loss(mnist):
    train, _ = mnist
    torch.manual_seed(0)
    model = mlp(784, 1000, 10)
    optimizer = sgd(model, lr=0.006, momentum=0.9, l2=1e-4, batch_size=128)
    images, labels = train.images[:128], train.labels[:128]
    before = loss_fn(model(images), labels)
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    after = loss_fn(model(images), labels)
    assert after.item() < before.item()


def test_fit_learns_and_records_history(mnist):
    _, test = mnist
    config = Config(epochs=2, train_fraction=0.1)
    steps = []
    model, _, history = train_run(mnist, config, test, callbacks=[StepRecorder(steps)])
    assert history.epochs_done == 2 and history.steps == 2 * 47 and history.stopped == ""  # 6,000 / 128 -> 47 steps
    assert len(history.train_loss) == len(history.test_accuracy) == len(history.epoch_seconds) == 2
    assert history.train_loss[1] < history.train_loss[0] < math.log(10)  # below chance level, and falling
    assert history.test_accuracy[-1] > 0.85 and history.test_accuracy[-1] == accuracy(model, test)
    assert len(steps) == 94 and all(isinstance(loss, float) for loss in steps)
    assert sum(steps[47:]) / 47 == pytest.approx(history.train_loss[1], rel=1e-4)  # the epoch's mean loss
    predictions = predict(model, test.images)
    assert predictions.shape == (10_000,) and predictions.dtype == torch.int64


class StepRecorder:
    """A callback keeping every step's loss, optionally stopping or interrupting at a given step."""

    def __init__(self, losses, stop_at=None, error=None):
        self.losses, self.stop_at, self.error = losses, stop_at, error if error is not None else StopTraining("enough")

    def on_step(self, history, loss):
        self.losses.append(loss)
        if history.steps == self.stop_at:
            raise self.error


def test_a_callback_can_stop_training(mnist):
    model, _, history = train_run(mnist, Config(epochs=3, train_fraction=0.1), callbacks=[StepRecorder([], stop_at=5)])
    assert history.stopped == "enough" and history.steps == 5 and history.epochs_done == 0


def test_an_interrupt_keeps_the_model_and_says_how_far_it_got(mnist):
    recorder = StepRecorder([], stop_at=50, error=KeyboardInterrupt())
    model, _, history = train_run(mnist, Config(epochs=3, train_fraction=0.1), callbacks=[recorder])
    assert re.fullmatch(r"interrupted after 1 full epochs? \(50 steps\)", history.stopped), history.stopped
    assert history.epochs_done == 1 and len(history.train_loss) == 1


def test_same_seed_gives_identical_weights(mnist):
    config = Config(epochs=6, train_fraction=0.1)  # 6 x 47 = 282 steps
    first, _, history = train_run(mnist, config)
    second, _, _ = train_run(mnist, config)
    other, _, _ = train_run(mnist, config.replace(seed=124, epochs=1))  # a check that the test can fail
    assert history.steps == 282
    for (name, a), b, c in zip(first.named_parameters(), second.parameters(), other.parameters()):
        assert torch.equal(a, b), f"{name} differs between two runs with seed 123"
        assert not torch.equal(a, c), f"{name} is the same with seeds 123 and 124"


# ---------------------------------------------------------------- checkpoints


def test_checkpoint_round_trip(mnist, tmp_path):
    _, test = mnist
    config = Config(epochs=1, train_fraction=0.05, hidden=64)
    model, optimizer, history = train_run(mnist, config, test)
    path = save_checkpoint(
        tmp_path / "sub" / "model.pt",
        model,
        config,
        metrics={"accuracy": history.test_accuracy[-1]},
        history=history,
        optimizer=optimizer,
    )
    loaded = load_checkpoint(path)
    assert loaded["config"] == config
    assert loaded["metrics"] == {"accuracy": history.test_accuracy[-1]}
    assert History(**loaded["history"]) == history
    assert loaded["versions"]["torch"] == str(torch.__version__)
    for (name, a), b in zip(model.state_dict().items(), loaded["model"].state_dict().values()):
        assert torch.equal(a, b), name
    assert torch.equal(predict(loaded["model"], test.images), predict(model, test.images))
    restored = optimizer_for(loaded["model"], config)
    restored.load_state_dict(loaded["optimizer"])  # training can go on where it stopped
    assert [k for k in tmp_path.joinpath("sub").iterdir()] == [path]  # no temporary file left behind


def test_checkpoint_refuses_another_architecture_and_missing_files(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", mlp(784, 64, 10), Config(hidden=64))
    with pytest.raises(CheckpointError, match="another architecture"):
        load_checkpoint(path, model=mlp(784, 1000, 10))
    with pytest.raises(CheckpointError, match="no such checkpoint file"):
        load_checkpoint(tmp_path / "absent.pt")


# ---------------------------------------------------------------- command line


def test_cli_short_run_saves_a_checkpoint_that_evaluate_reads(mnist_root, tmp_path):
    done = run_cli(
        "helpers.train",
        "--epochs",
        "1",
        "--train-fraction",
        "0.1",
        "--no-progress",
        "--save",
        "m.pt",
        root=mnist_root,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Run on: CPU" in done.stdout or "Run on: GPU" in done.stdout
    assert "795,010 parameters" in done.stdout and "(6,000 images, 1 epochs)" in done.stdout
    assert re.search(r"Epoch  1/1: train loss [0-9.]+, test accuracy [0-9.]+%", done.stdout)
    assert "Confusion matrix format" in done.stdout
    acc = printed_accuracy(done.stdout)
    assert acc > 0.75  # one epoch on 6,000 images reaches ~84%
    saved = load_checkpoint(tmp_path / "m.pt")
    assert saved["config"] == Config(epochs=1, train_fraction=0.1)
    assert saved["metrics"]["accuracy"] == pytest.approx(acc, abs=5e-5)
    evaluated = run_cli("helpers.evaluate", "m.pt", root=mnist_root, cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert printed_accuracy(evaluated.stdout) == acc  # the same model gives the same report


def test_cli_target_missed_exits_1(mnist_root, tmp_path):
    done = run_cli(
        "helpers.train",
        "--epochs",
        "1",
        "--train-fraction",
        "0.01",
        "--no-progress",
        "--target",
        "0.99",
        root=mnist_root,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert re.search(r"Accuracy 0\.[0-9]{4} is below the target 0\.9900", done.stdout)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--lr", "-1"], f"--lr = -1.0 is out of range: allowed {allowed('lr')}"),
        (["--epochs", "abc"], f"'abc' is not a whole number; allowed {allowed('epochs')}"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--l2-rule", "torch"], "argument --l2-rule: invalid choice: 'torch' (choose from "),
        (["--train-fraction", "0.001"], "--batch-size = 128 is larger than the training set in use"),
    ],
)
def test_cli_bad_flags_exit_2_with_one_clear_line(args, message, tmp_path):
    done = run_cli("helpers.train", *args, root=tmp_path, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


# ---------------------------------------------------------------- full reference runs


@pytest.mark.slow
def test_reference_run_reaches_dl4j_accuracy(mnist_root, tmp_path):
    """DL4J's settings, 15 epochs: DL4J reports 97.1%; we must land within 0.3 points of it."""
    done = run_cli("helpers.train", "--no-progress", "--target", "0.968", root=mnist_root, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert len(re.findall(r"^Epoch +\d+/15:", done.stdout, re.MULTILINE)) == 15
    assert abs(printed_accuracy(done.stdout) - DL4J_ACCURACY) <= 0.003


@pytest.mark.slow
def test_normalized_run_reaches_98_percent(mnist_root, tmp_path):
    """The same run with mean/std normalisation, the tutorial's first improvement: at least 98.0%."""
    done = run_cli("helpers.train", "--normalize", "--no-progress", "--target", "0.98", root=mnist_root, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert "normalize=True" in done.stdout
    assert printed_accuracy(done.stdout) >= 0.980
