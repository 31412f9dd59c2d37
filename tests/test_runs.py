"""helpers.runs and helpers.model: the one recipe for a configured run (MLP or CNN), its schedule, and load_or_train."""

import pytest
import torch

from helpers.checkpoint import CheckpointError, save_checkpoint
from helpers.config import CNN_RECIPE, Config
from helpers.data import batch_loader, share_of
from helpers.loop import fit
from helpers.model import build, cnn, count_parameters, make_optimizer, mlp
from helpers.runs import OneCycle, load_or_train, train_run

QUICK = Config(epochs=1, train_fraction=0.05, seed=7)
pytestmark = pytest.mark.usefixtures("one_thread")


def test_train_run_is_the_recipe_written_out(mnist):
    train, test = mnist
    shuffle = torch.Generator().manual_seed(QUICK.seed)  # which images the share keeps, then the batch order
    data = share_of(train, QUICK.train_fraction, generator=shuffle)
    torch.manual_seed(QUICK.seed)
    model = mlp(QUICK.hidden)
    optimizer = torch.optim.SGD(model.parameters(), lr=QUICK.lr, momentum=QUICK.momentum, nesterov=True)
    fit(
        model, optimizer, batch_loader(data, QUICK.batch_size, generator=shuffle), epochs=1, l2=QUICK.l2, progress=False
    )
    run = train_run(QUICK, train, test)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), run.model.state_dict().values()))
    assert (run.images, run.steps, run.status) == (3_000, 24, "done")  # 5% of 60,000 in batches of 128
    assert run.accuracy == run.history.val_accuracy[-1] > 0.5  # the set given as validation (here the test set)
    assert run.losses[0] > 2 and run.seconds > 0


def test_build_gives_the_seeds_start_weights_and_leaves_torchs_random_state_alone():
    torch.manual_seed(0)
    expected = torch.rand(1)
    torch.manual_seed(0)
    for config in (Config(), Config(model="cnn")):
        first, again, other = build(config), build(config), build(config.replace(seed=config.seed + 1))
        weights = [m.hidden.weight for m in (first, again, other)]
        assert torch.equal(weights[0], weights[1]) and not torch.equal(weights[0], weights[2])
    assert torch.equal(torch.rand(1), expected)
    assert build(Config(model="cnn"))(torch.zeros(3, 784)).shape == (3, 10)
    assert count_parameters(cnn()) == 215_370 and count_parameters(mlp()) == 795_010


def test_one_cycle_raises_the_learning_rate_then_lowers_it_and_keeps_momentum():
    config = QUICK.replace(schedule="one-cycle", lr=0.05, epochs=2)
    optimizer = make_optimizer(build(config), config)
    schedule, seen = OneCycle(optimizer, config, steps=48), []

    class Steps:
        steps = 0

    for step in range(1, 49):  # what fit does: a step, then the callbacks
        seen.append((optimizer.param_groups[0]["lr"], optimizer.param_groups[0]["momentum"]))
        optimizer.step()  # no gradients: nothing moves, but the scheduler sees a step
        Steps.steps = step
        schedule.on_step(Steps, 0.0)
    rates = [lr for lr, _ in seen]
    assert 0 < rates.index(max(rates)) < 47 and max(rates) == pytest.approx(0.05, rel=0.02)
    assert rates[0] < 0.05 / 10 and rates[-1] < 0.05 / 100 and {m for _, m in seen} == {config.momentum}


def test_a_cnn_run_repeats_to_the_last_bit(mnist):
    config = Config(**{**CNN_RECIPE, "epochs": 1, "train_fraction": 0.02})
    first, again = (train_run(config, mnist[0]) for _ in range(2))
    assert all(torch.equal(a, b) for a, b in zip(first.model.state_dict().values(), again.model.state_dict().values()))
    assert first.optimizer.param_groups[0]["lr"] < 0.1 / 100  # the one-cycle schedule ran to its end


def test_load_or_train_loads_a_checkpoint_or_trains_and_says_which(mnist_root, tmp_path, capsys):
    missing = tmp_path / "nothing.pt"
    model, config = load_or_train(missing, QUICK, data_root=mnist_root)
    said = capsys.readouterr().out
    assert "nothing.pt does not exist" in said and "1 epoch(s) on 5% of the training images" in said
    assert config == QUICK and not missing.exists()  # trained here, nothing written
    save_checkpoint(tmp_path / "m.pt", model, config, metrics={"accuracy": 0.9})
    loaded, config_again = load_or_train(tmp_path / "m.pt", Config())
    assert "Loaded the MLP from" in capsys.readouterr().out and config_again == QUICK
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values()))
    with pytest.raises(CheckpointError, match="holds the MLP, not the CNN expected here"):
        load_or_train(tmp_path / "m.pt", Config(model="cnn"), written_by="python -m helpers.train --model cnn")
