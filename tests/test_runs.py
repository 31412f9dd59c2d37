"""helpers.runs: the one recipe for a run (MLP or CNN), its schedule, and load_or_train."""

import pytest
import torch

from helpers.checkpoint import save_checkpoint
from helpers.config import CNN_RECIPE, Config
from helpers.data import subset
from helpers.loop import History, fit
from helpers.model import cnn, count_parameters, mlp, sgd
from helpers.runs import OneCycle, build, load_or_train, train_run

QUICK = Config(epochs=1, train_fraction=0.05, seed=7)


def test_train_run_is_the_recipe_written_out(mnist):
    train, test = mnist
    shuffle = torch.Generator().manual_seed(QUICK.seed)
    data = subset(train, QUICK.train_fraction, generator=shuffle)
    torch.manual_seed(QUICK.seed)
    model = mlp(784, QUICK.hidden, 10)
    optimizer = sgd(model, lr=QUICK.lr, momentum=QUICK.momentum, l2=QUICK.l2, batch_size=QUICK.batch_size)
    fit(model, optimizer, data, epochs=1, batch_size=QUICK.batch_size, generator=shuffle, progress=False)
    run = train_run(QUICK, train, test)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), run.model.state_dict().values()))
    assert run.history.epochs_done == 1 and len(run.history.test_accuracy) == 1 and run.seconds > 0


def test_build_gives_the_seeds_start_weights_for_either_network():
    for config in (Config(), Config(model="cnn")):
        first, again, other = build(config), build(config), build(config.replace(seed=config.seed + 1))
        weights = [m.hidden.weight for m in (first, again, other)]
        assert torch.equal(weights[0], weights[1]) and not torch.equal(weights[0], weights[2])
    assert build(Config(model="cnn"))(torch.zeros(3, 784)).shape == (3, 10)
    assert count_parameters(cnn()) == 215_370 and count_parameters(mlp()) == 795_010


def test_one_cycle_raises_the_learning_rate_then_lowers_it_and_keeps_momentum():
    config = QUICK.replace(schedule="one-cycle", lr=0.05, epochs=2)
    model = build(config)
    optimizer = sgd(model, lr=config.lr, momentum=config.momentum, l2=config.l2, batch_size=config.batch_size)
    schedule = OneCycle(optimizer, config, steps_per_epoch=24)
    history, seen = History(), []
    for _ in range(48):  # what fit does: a step, then the callbacks
        seen.append((optimizer.param_groups[0]["lr"], optimizer.param_groups[0]["momentum"]))
        optimizer.step()  # no gradients: nothing moves, but the scheduler sees a step
        history.steps += 1
        schedule.on_step(history, 0.0)
    rates = [lr for lr, _ in seen]
    peak = rates.index(max(rates))
    assert 0 < peak < len(rates) - 1 and max(rates) == pytest.approx(0.05, rel=0.02)
    assert rates[0] < 0.05 / 10 and rates[-1] < 0.05 / 100
    assert {m for _, m in seen} == {config.momentum}


def test_a_one_cycle_run_ends_with_a_learning_rate_near_zero(mnist):
    run = train_run(QUICK.replace(schedule="one-cycle", lr=0.05), mnist[0])
    assert run.optimizer.param_groups[0]["lr"] < 0.05 / 100


def test_load_or_train_loads_a_checkpoint_or_trains_and_says_which(mnist_root, tmp_path, capsys):
    missing = tmp_path / "nothing.pt"
    model, config = load_or_train(missing, QUICK, data_root=mnist_root)
    said = capsys.readouterr().out
    assert "nothing.pt does not exist" in said and "1 epoch(s) on 5% of the training images" in said
    assert config == QUICK and not missing.exists()  # trained here, nothing written
    save_checkpoint(tmp_path / "m.pt", model, config)
    loaded, config_again = load_or_train(tmp_path / "m.pt", Config())
    assert "Loaded the model" in capsys.readouterr().out and config_again == QUICK
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values()))


def test_a_cnn_run_repeats_to_the_last_bit(mnist):
    config = Config(**{**CNN_RECIPE, "epochs": 1, "train_fraction": 0.02})
    first, again = (train_run(config, mnist[0]).model.state_dict() for _ in range(2))
    assert all(torch.equal(first[k], again[k]) for k in first)


def test_load_or_train_refuses_a_checkpoint_of_the_other_network(tmp_path, mnist):
    model = train_run(QUICK, mnist[0]).model
    save_checkpoint(tmp_path / "cnn.pt", model, QUICK)  # an MLP saved under the CNN's name
    with pytest.raises(ValueError, match="holds the MLP, not the CNN expected here"):
        load_or_train(tmp_path / "cnn.pt", Config(model="cnn"), written_by="python -m helpers.train --model cnn")
