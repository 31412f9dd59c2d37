"""Notebook 07, next steps: the checks of exercises 07.1, 07.2; their text is in notebooks/07_next_steps.ipynb."""

from helpers.exercises.core import NotYet, exercises_in, needs, share, whole_number

exercise = exercises_in("07_next_steps")


@exercise(
    "07.1",
    minutes=3,  # read the layer, multiply, add the biases, run the check
    title="Weights of a convolution",
    hint="One filter = 8 channels × 5 × 5 weights. There are 16 filters, and each has a bias.",
)
def _conv_params(answer, given):
    from torch import nn

    model = needs(given, "model", 'check("07.1", conv2_params, model=tiny_cnn)')
    if callable(model) and not isinstance(model, nn.Module):  # the function that builds the CNN
        model = model()
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)] if isinstance(model, nn.Module) else []
    if len(convs) < 2:
        raise NotYet("pass the function that builds the CNN: `model=tiny_cnn`.")
    conv = convs[1]
    n = whole_number(answer)
    truth = sum(p.numel() for p in conv.parameters())
    k = conv.kernel_size[0] * conv.kernel_size[1]
    if n == truth:
        return f"{conv.out_channels} × {conv.in_channels} × {k} + {conv.out_channels} = {truth:,}."
    if n == conv.out_channels * k + conv.out_channels:
        raise NotYet(f"each filter covers all {conv.in_channels} input channels, not just one.")
    if n == truth - conv.out_channels:
        raise NotYet("you counted the weights; add one bias per filter.")
    raise NotYet("weights per filter (input channels × 5 × 5) times the number of filters, plus one bias per filter.")


@exercise(
    "07.2",
    minutes=4,  # copy the comparison's fit call for `deeper`, run it (seconds), read the last validation accuracy
    title="Train a deeper MLP",
    hint="Copy the `fit(...)` call of the comparison cell, with `deeper` in place of `model`; "
    "the validation accuracy after each epoch is in the history it returns.",
)
def _deeper_accuracy(answer, given):
    from helpers.data import batch_loader
    from helpers.loop import accuracy

    how = 'check("07.2", deeper_accuracy, model=deeper, val_set=val_set)'
    model, val_set = needs(given, "model", how), needs(given, "val_set", how)
    truth = accuracy(model, batch_loader(val_set, 1000, shuffle=False))
    if truth < 0.2:
        raise NotYet(f"`deeper` reads only {truth:.0%} of the validation digits right: it has not been trained yet.")
    if share(answer, truth):
        return f"the deeper MLP reads {truth:.2%} of the validation digits right."
    raise NotYet("that is not what `deeper` scores now; give the last entry of `val_accuracy` in its history.")
