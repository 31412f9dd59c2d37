"""The playground's controls: the sliders' stops, the six sliders, the buttons, and moving a slider from a script."""

import ipywidgets as widgets

# The learning rate and L2 sliders move through log-spaced stops (1, 2, 3, 6 per power of ten for the
# learning rate, from 0.0001 to Config's limit 10; 1, 3 for L2, plus 0 = off). Stops, not a continuous
# log slider: a browser snaps a log slider to its grid (0.006 became 0.0063), stops keep DL4J's values
# exact and every run's numbers readable. A script may ask for a value between stops: it gets a stop.
# The training share has stops too, shown in percent (a typed "25" would have meant 2,500%); the batch
# size doubles from stop to stop, DL4J's 128 in the middle.
LR_CHOICES = tuple(round(m * 10.0**e, 6) for e in range(-4, 1) for m in (1, 2, 3, 6)) + (10.0,)
L2_CHOICES = (0.0, 1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)
BATCH_CHOICES = (16, 32, 64, 128, 256, 512, 1024)
SHARE_CHOICES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1.0)  # 1% to all of the training images
CHOICES = {"lr": LR_CHOICES, "l2": L2_CHOICES, "batch_size": BATCH_CHOICES, "train_fraction": SHARE_CHOICES}
MAX_EPOCHS = 50
PERCENT = ("train_fraction",)  # the sliders whose stops read in percent
STYLE = {"description_width": "110px"}
WIDTH = "420px"
LABELS = {  # Config field -> the slider's description and tooltip, in the playground's order
    "lr": ("learning rate", "Step size of each update. DL4J: 0.006"),
    "momentum": ("momentum", "Share of the last update carried into the next (Nesterov). DL4J: 0.9"),
    "l2": (
        "L2",
        "Pull towards zero: DL4J's rule shrinks every weight by L2 / batch size per step; 0 turns it off. DL4J: 1e-4",
    ),
    "batch_size": ("batch size", "Images per step: fewer gives more, noisier steps per epoch. DL4J: 128"),
    "epochs": ("epochs", "Passes over the training images. DL4J: 15"),
    "train_fraction": ("training share", "Share of the training images used. DL4J: 100%"),
}


def _label(value, percent: bool) -> str:
    return "0 (off)" if value == 0 else f"{100 * value:g}%" if percent else f"{value:g}"


def playground_sliders(config) -> dict:
    """The playground's sliders by Config field, each at config's value (added as a stop where it is not one)."""
    sliders = {}
    for name, (description, tooltip) in LABELS.items():
        value = getattr(config, name)
        # the labels line up, every slider is as wide
        look = dict(description=description, tooltip=tooltip, style=STYLE, layout=widgets.Layout(width=WIDTH))
        if name in CHOICES:  # stops as (label, value), in order, with config's value among them
            options = [(_label(v, name in PERCENT), v) for v in sorted({*CHOICES[name], value})]
            sliders[name] = widgets.SelectionSlider(options=options, value=value, **look)
        elif name == "momentum":
            sliders[name] = widgets.FloatSlider(value=value, min=0.0, max=0.99, step=0.01, readout_format=".2f", **look)
        else:
            sliders[name] = widgets.IntSlider(value=value, min=1, max=MAX_EPOCHS, **look)
    return sliders


def playground_buttons() -> tuple:
    """The Train, Stop and Reset buttons, not yet wired to anything."""
    train = widgets.Button(
        description="Train", button_style="success", icon="play", tooltip="Train a fresh network with these settings"
    )
    stop = widgets.Button(
        description="Stop",
        button_style="danger",
        icon="stop",
        disabled=True,
        tooltip="End the run after this batch; it keeps what it learned",
    )
    reset = widgets.Button(description="Reset to DL4J", icon="undo", tooltip="Put the sliders back to DL4J's values")
    return train, stop, reset


def playground_layout(sliders: dict, buttons, status, plot, table):
    """Sliders in two columns (the first three left) with the buttons under them, then the status line, the curves and the table."""
    shown = list(sliders.values())
    left, right = widgets.VBox(shown[:3]), widgets.VBox([*shown[3:], widgets.HBox(list(buttons))])
    return widgets.VBox([widgets.HBox([left, right]), status, plot, table])


def value_of(slider):
    """A slider's value; a float rounded to 10 decimals (a browser's slider may send 0.9000000000000001 for 0.9)."""
    value = slider.value
    return round(value, 10) if isinstance(value, float) and not hasattr(slider, "options") else value


def place(slider, value, *, percent: bool = False):
    """Move `slider` to `value`: a slider with stops gets one there if it has none, another one a wider range if needed."""
    if hasattr(slider, "options"):
        if value not in [v for _, v in slider.options]:
            slider.options = sorted([*slider.options, (_label(value, percent), value)], key=lambda option: option[1])
    else:  # ipywidgets would clamp a value past an end: move the end instead
        slider.min, slider.max = min(slider.min, value), max(slider.max, value)
    slider.value = value
