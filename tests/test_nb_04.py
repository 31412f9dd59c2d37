"""Notebook 04 (training), read from its executed copy: the loop in PyTorch's words, the run, the checkpoint it saves.

The facts behind its claims (fit repeats the epoch by hand, the 10-seed range, L2's size, standardising)
are asserted in its own kernel (tests/claims/04_training.py); `train_epoch` and `accuracy` are compared with
helpers.loop's in tests/test_same_code.py.
"""

import re

import pytest
from nbrun import CHECKPOINTS, cells_with, executed, markdown_of, printed, text_of


@pytest.fixture(scope="module")
def nb04():
    return executed("04_training")


def images_of(cell) -> int:
    return sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


def test_04_makes_the_optimizer_in_plain_sight(nb04):
    cells = cells_with(nb04, "torch.optim.SGD(")
    assert cells and all("momentum=config.momentum, nesterov=True)" in "".join(c["source"]) for c in cells)
    assert "(https://pytorch.org/docs/stable/generated/torch.optim.SGD.html)" in markdown_of(nb04)


def test_04_fit_draws_live_curves_of_loss_and_training_accuracy_only(nb04):
    live = cells_with(nb04, "LiveCurves(")
    assert len(live) == 2 and all(images_of(c) == 1 for c in live), "one live figure per run, updated in place"
    assert "test accuracy" not in printed(cells_with(nb04, "history.train_accuracy")[0])


def test_04_saves_the_reference_model_for_05(nb04):
    from helpers.checkpoint import load_checkpoint
    from helpers.config import Config

    assert "saved to ../checkpoints/04_reference.pt" in text_of(nb04)
    checkpoint = load_checkpoint(CHECKPOINTS / "04_reference.pt")
    assert checkpoint["config"] == Config() and checkpoint["partial"] == ""
    reported = re.search(r"^ Accuracy:\s+(\d\.\d{4})$", text_of(nb04), re.M)[1]
    assert f"{checkpoint['metrics']['accuracy']:.4f}" == reported
    history = checkpoint["history"]
    assert len(history["train_loss"]) == len(history["train_accuracy"]) == 15 and history["val_accuracy"] == []
    assert checkpoint["optimizer"]["param_groups"][0]["nesterov"] is True


def test_04_names_the_10_seed_measurement_beside_dl4j(nb04):
    words = markdown_of(nb04)
    assert "`python benchmarks/reference_seeds.py`" in words
    for number in ("97.23%", "0.087 points", "97.08%", "97.38%", "1.5 standard deviations"):
        assert number in words, number


def test_04_prints_no_local_paths(nb04):
    assert not re.search(r"(/root/|/home/|/tmp/|/work/)", text_of(nb04))


def test_04_live_curves_redraw_a_few_times_per_epoch_and_keep_every_point(small):
    """The live figure of notebook 04: bounded redraws (each is a message to the notebook), a complete last picture."""
    import matplotlib
    import torch

    from helpers.data import batch_loader
    from helpers.loop import fit
    from helpers.model import mlp
    from helpers.plots import LiveCurves

    matplotlib.use("agg")
    pushed = []

    class Handle:  # stands in for IPython's display handle
        def update(self, fig):
            pushed.append([len(line.get_xdata()) for line in fig.axes[0].get_lines() + fig.axes[1].get_lines()])

    train_set, _ = small  # 2,000 images: 16 batches of 128 per epoch
    torch.manual_seed(0)
    model = mlp(20)
    loader = batch_loader(train_set, 128, generator=torch.Generator().manual_seed(0))
    live = LiveCurves(len(loader), every=5, epochs=3, min_seconds=0, redraws_per_epoch=4)
    live.handle = Handle()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    history = fit(model, optimizer, loader, epochs=3, callbacks=[live], progress=False)
    assert history.epochs_done == 3
    assert 3 <= len(pushed) <= 3 * (4 + 1), len(pushed)  # at most 4 redraws during each epoch, plus its end
    # the last picture: 9 loss points (48 steps / 5), 3 epoch means, 3 training-accuracy points
    assert pushed[-1] == [9, 3, 3]
    assert live.progress(history).startswith("epoch 3/3 done, step 48 of 48 (100%), ")
