"""Pictures of images: digit grids, predictions with their probabilities, weights as images, the confusion matrix."""

import matplotlib.pyplot as plt
import torch


def show_digits(images, titles=None, *, ncols=10, size=1.1, cmap="gray_r"):
    """Draw images ([N, 784] or [N, 28, 28]) in a grid, each with an optional title; return the figure."""
    images = torch.as_tensor(images).detach().cpu().reshape(-1, 28, 28)
    n = len(images)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.15), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=9)
    fig.tight_layout()
    return fig


def plot_confusion(confusion, *, ax=None, title="Confusion matrix"):
    """Heatmap of a [C, C] confusion matrix (rows actual, columns predicted), every count written in its cell; the
    colours show the mistakes only (the diagonal, ~1000 per digit, would wash out what there is to learn from)."""
    counts = torch.as_tensor(confusion).cpu()
    c = len(counts)
    mistakes = counts.clone().fill_diagonal_(0)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5.5), dpi=90)
    image = ax.imshow(mistakes, cmap="Reds")
    for i in range(c):
        for j in range(c):
            n = int(counts[i, j])
            dark = i != j and n > 0.6 * max(1, int(mistakes.max()))
            style = dict(color="white" if dark else "black", fontweight="bold" if i == j else "normal")
            ax.text(j, i, str(n), ha="center", va="center", fontsize=8, **style)
    ax.set(xticks=range(c), yticks=range(c), xlabel="predicted digit", ylabel="actual digit", title=title)
    ax.figure.colorbar(image, ax=ax, label="images (mistakes only; diagonal uncoloured)", shrink=0.8)
    return ax


def show_predictions(images, labels, probabilities, *, ncols=8, size=1.4):
    """Digits with their true label and predicted digit, each above a bar chart of its 10 predicted probabilities
    (green = the true digit, red = a wrong prediction, grey = the rest)."""
    images = torch.as_tensor(images).detach().cpu().reshape(-1, 28, 28)
    labels = torch.as_tensor(labels).cpu()
    probabilities = torch.as_tensor(probabilities).detach().cpu()
    n = len(images)
    rows = -(-n // ncols)
    fig = plt.figure(figsize=(ncols * size, rows * size * 2.0), dpi=80)
    grid = dict(height_ratios=[1.4, 0.7], hspace=0.08, wspace=0.2, top=0.8, bottom=0.08, left=0.02, right=0.98)
    for r, row_fig in enumerate(fig.subfigures(rows, 1, squeeze=False).flat):
        # one sub-figure per row of digits: images on top, their probabilities just below
        axes = row_fig.subplots(2, ncols, squeeze=False, gridspec_kw=grid)
        for col in range(ncols):
            k, img_ax, bar_ax = r * ncols + col, axes[0, col], axes[1, col]
            img_ax.axis("off")
            if k >= n:
                bar_ax.axis("off")
                continue
            true, p = int(labels[k]), probabilities[k]
            guess = int(p.argmax())
            img_ax.imshow(images[k], cmap="gray_r", interpolation="nearest")
            colour = "black" if guess == true else "tab:red"
            img_ax.set_title(f"true {true}, said {guess}\n({p[guess]:.0%} sure)", fontsize=8, color=colour)
            colours = ["tab:green" if d == true else "tab:red" if d == guess else "lightgray" for d in range(len(p))]
            bar_ax.bar(range(len(p)), p, color=colours)
            bar_ax.set(ylim=(0, 1), xticks=range(len(p)), yticks=[])
            bar_ax.tick_params(axis="x", labelsize=8, length=0, pad=1)  # the digits 0-9 under their bars
            for side in ("top", "right", "left"):
                bar_ax.spines[side].set_visible(False)
    return fig


def show_weights(weights, titles=None, *, ncols=10, size=1.1):
    """Rows of a weight matrix ([N, 784]) as 28x28 images: red = positive weight, blue = negative, white = 0 (each
    image on its own symmetric colour scale)."""
    weights = torch.as_tensor(weights).detach().cpu().reshape(-1, 28, 28)
    n = len(weights)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(ncols * size + 1.2, nrows * size * 1.25), dpi=80, squeeze=False, layout="constrained"
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            limit = float(weights[i].abs().max()) or 1.0
            # one square per pixel
            ax.imshow(weights[i], cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    # one colour bar for all: each picture's own scale runs from its most negative to its most positive weight
    scale = plt.cm.ScalarMappable(norm=plt.Normalize(-1, 1), cmap="RdBu_r")
    bar = fig.colorbar(scale, ax=axes, ticks=[-1, 0, 1], aspect=6 * nrows, fraction=0.03)
    bar.ax.set_yticklabels(["-max", "0", "+max"], fontsize=7)  # max: the largest |weight| of that picture
    return fig


def plot_reading(image, probabilities=None, *, message=""):
    """A drawing as the networks receive it (28 x 28) beside each network's bars; `message` alone if no image."""
    if image is None:
        fig, ax = plt.subplots(figsize=(3, 1), dpi=90)
        ax.axis("off")
        ax.text(0.5, 0.5, message, ha="center", va="center")
        return fig
    probabilities = probabilities or {}
    n = 1 + len(probabilities)
    fig, axes = plt.subplots(1, n, figsize=(2.6 * n, 2.4), dpi=90, squeeze=False)
    axes = axes[0]
    axes[0].imshow(image.reshape(28, 28).numpy(), cmap="gray", vmin=0, vmax=1)
    axes[0].set_title("what the networks see\n(28 x 28, framed as MNIST)", fontsize=9)
    axes[0].axis("off")
    for ax, (name, p) in zip(axes[1:], probabilities.items()):
        guess = int(p.argmax())
        ax.bar(range(10), p.numpy(), color=["tab:blue" if d == guess else "lightgray" for d in range(10)])
        ax.set(xticks=range(10), ylim=(0, 1))
        ax.set_title(f"{name}: {guess} ({p[guess]:.0%})", fontsize=9)
    fig.tight_layout()
    return fig
