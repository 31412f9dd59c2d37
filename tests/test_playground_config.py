"""helpers.playground's sliders against helpers.config: no slider value, however set, makes an invalid Config."""

import pytest

from helpers.config import RANGES, Config


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
