"""helpers.widgets: every position of every playground slider is a setting Config accepts."""

import pytest

from helpers.config import RANGES, Config
from helpers.widgets import BATCH_CHOICES, L2_CHOICES, LR_CHOICES, SHARE_CHOICES

QUICK = dict(epochs=1, train_fraction=0.1)  # 47 steps: a second or two


def test_every_slider_position_is_a_valid_config(pg):
    """The sliders cannot produce a value Config would refuse: their ends lie inside Config's ranges."""
    ends = {
        "lr": (min(LR_CHOICES), max(LR_CHOICES)),
        "momentum": (pg.sliders["momentum"].min, pg.sliders["momentum"].max),
        "l2": (min(L2_CHOICES), max(L2_CHOICES)),
        "epochs": (pg.sliders["epochs"].min, pg.sliders["epochs"].max),
        "train_fraction": (min(SHARE_CHOICES), max(SHARE_CHOICES)),
        "batch_size": (min(BATCH_CHOICES), max(BATCH_CHOICES)),
    }
    for name, (low, high) in ends.items():
        for value in (low, high):
            Config().replace(**{name: value})  # raises if out of range
    assert ends["lr"] == (1e-4, 10.0) and {0.006, 0.1, 1.0} <= set(LR_CHOICES)  # DL4J's value is a stop, exactly
    assert [v for _, v in pg.sliders["lr"].options] == list(LR_CHOICES)
    assert pg.sliders["train_fraction"].options[0] == ("1%", 0.01) and pg.sliders["train_fraction"].options[-1] == (
        "100%",
        1.0,
    )
    assert (
        Config(train_fraction=ends["train_fraction"][0]).train_images >= Config().batch_size
    )  # a full batch at the smallest share
    assert [v for _, v in pg.sliders["l2"].options] == sorted(L2_CHOICES) and pg.sliders["l2"].options[0][
        0
    ] == "0 (off)"
    assert [label for label, _ in pg.sliders["batch_size"].options] == ["16", "32", "64", "128", "256", "512", "1024"]
    assert pg.sliders["batch_size"].value == 128  # DL4J's batchSize is a stop


def test_the_batch_size_slider_changes_the_steps_per_epoch(pg):
    small, large = (pg.run(batch_size=b, lr=0.006, **QUICK) for b in (32, 512))
    assert (small.steps, large.steps) == (188, 12)  # 6,000 images: ceil(6000 / 32) and ceil(6000 / 512)
    assert small.config.batch_size == 32 and "batch 32" in str(small) and "512" in str(pg.table()).splitlines()[2]


def test_playground_sliders_cannot_produce_an_invalid_config(mnist):
    """Every value a playground slider can take, even when pushed past its ends, is one Config accepts."""
    import ipywidgets
    import traitlets

    from helpers import playground

    pg = playground.Playground(*mnist)
    assert set(pg.sliders) == set(playground.SLIDERS) and set(playground.SLIDERS) <= set(RANGES)
    for name, slider in pg.sliders.items():
        if isinstance(slider, ipywidgets.SelectionSlider):
            values = [value for _, value in slider.options]
            with pytest.raises(traitlets.TraitError):
                slider.value = -1.0  # not one of its stops: refused by the widget itself
        else:
            log = isinstance(slider, ipywidgets.FloatLogSlider)
            values = [slider.base**slider.min, slider.base**slider.max] if log else [slider.min, slider.max]
            for beyond in (-1e9, 1e9):  # typed into the readout or set from code: the widget clamps it
                slider.value = beyond
                values.append(slider.value)
        for value in values:
            Config().replace(**{name: value})  # raises, naming the field, if a slider reaches outside Config
