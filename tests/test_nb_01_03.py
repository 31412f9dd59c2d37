"""The claims of notebooks 01 (dataset), 02 (hyperparameters) and 03 (building the layers), on fresh runs."""

import base64
import math
import re

import pytest
import torch
from nbrun import cell_with, code_cells, errors_in, executed, images_in, markdown_of, text_of

from helpers.data import MEAN, STD

WIDGET = "application/vnd.jupyter.widget-view+json"


def png_height(cell) -> int:
    """Pixel height of the (first) PNG the cell displayed."""
    png = base64.b64decode(next(o["data"]["image/png"] for o in cell["outputs"] if "image/png" in o.get("data", {})))
    return int.from_bytes(png[20:24], "big")  # IHDR: width at bytes 16-19, height at 20-23


def number(text) -> float:
    return float(text.replace(",", ""))


# ---------------------------------------------------------------- 01 · the dataset


@pytest.fixture(scope="module")
def nb01():
    return executed("01_dataset")


def test_01_runs_and_shows_the_dataset_sizes(nb01):
    assert not errors_in(nb01)
    text = text_of(nb01)
    assert "training set: 60,000 images, test set: 10,000 images" in text
    assert "train.images: shape [60000, 784]" in text
    assert "digits [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]" in text


def test_01_class_counts_are_the_real_ones_and_sum_to_the_set_sizes(nb01, mnist):
    rows = re.findall(r"digit (\d): +([\d,]+) training images \( *[\d.]+%\), +([\d,]+) test images", text_of(nb01))
    assert [int(d) for d, _, _ in rows] == list(range(10))
    train_counts = [int(number(n)) for _, n, _ in rows]
    test_counts = [int(number(n)) for _, _, n in rows]
    assert sum(train_counts) == 60_000 and sum(test_counts) == 10_000
    train, test = mnist
    assert train_counts == torch.bincount(train.labels).tolist()
    assert test_counts == torch.bincount(test.labels).tolist()
    assert "60,000 training images, 10,000 test images" in text_of(nb01)


def test_01_pixel_statistics_match_helpers_mean_and_std(nb01):
    match = re.search(r"measured on the training pixels: mean ([\d.]+), std ([\d.]+)", text_of(nb01))
    assert (
        match and float(match[1]) == pytest.approx(MEAN, abs=1e-4) and float(match[2]) == pytest.approx(STD, abs=1e-4)
    )
    assert "training set only" in markdown_of(nb01)


def test_01_prints_an_image_as_its_true_28x28_values(nb01, mnist):
    text = "".join(cell_with(nb01, "reshape(28, 28)")["outputs"][0]["text"])
    header, *rows = text.splitlines()
    assert header.startswith("training image 0, label 5")
    assert len(rows) == 28
    values = [[0 if v == "." else int(v) for v in row.split()] for row in rows]
    expected = (mnist[0].images[0] * 255).round().to(torch.uint8).reshape(28, 28).tolist()
    assert values == expected


def test_01_draws_the_grid_bar_chart_histogram_and_image(nb01):
    assert images_in(nb01) == 4
    bars = cell_with(nb01, "ax.bar(range(10)")
    assert any("image/png" in o.get("data", {}) for o in bars["outputs"])


# ---------------------------------------------------------------- 02 · hyperparameters


@pytest.fixture(scope="module")
def nb02():
    return executed("02_hyperparameters")


def results(text, field):
    """{value: (final loss, accuracy)} from the lines "<field> = v: mean train loss L, ... test accuracy A%"."""
    rows = re.findall(rf"^{field} = ([\d.e+-]+) *: mean train loss +(\S+?),.*test accuracy +([\d.]+)%$", text, re.M)
    return {float(v): (float(loss), float(acc) / 100) for v, loss, acc in rows}


def test_02_runs_and_shows_config_with_its_ranges(nb02):
    assert not errors_in(nb02)
    text = text_of(nb02)
    for name, value in [
        ("lr", "0.006"),
        ("momentum", "0.9"),
        ("l2", "0.0001"),
        ("batch_size", "128"),
        ("seed", "123"),
        ("epochs", "15"),
    ]:
        assert re.search(rf"^ *{name} = {re.escape(value)} +allowed:", text, re.M), name
    assert "469 steps per epoch" in text and "7,035 steps" in text


def test_02_too_high_a_learning_rate_does_worse(nb02):
    runs = results(text_of(nb02), "lr")
    assert sorted(runs) == [0.0006, 0.006, 0.06, 2.0]
    assert runs[2.0][1] < runs[0.006][1] - 0.3  # far worse accuracy
    assert runs[2.0][0] > runs[0.006][0]  # and a higher loss
    assert runs[0.0006][0] > runs[0.006][0]  # too low: learns slowly
    assert runs[0.006][1] > 0.7


def test_02_the_seed_repeats_a_run(nb02):
    text = text_of(nb02)
    assert "seed 123 twice: the same loss at all 47 steps? True" in text
    match = re.search(r"with seed 123: ([\d.]+)% and ([\d.]+)%; with seed 124: ([\d.]+)%", text)
    assert match and match[1] == match[2]


def test_02_momentum_speeds_learning(nb02):
    runs = results(text_of(nb02), "momentum")
    assert sorted(runs) == [0.0, 0.5, 0.9]
    assert runs[0.0][0] > runs[0.5][0] > runs[0.9][0]
    assert runs[0.9][1] > runs[0.0][1]


def test_02_l2_shrinks_the_weights(nb02):
    rows = re.findall(
        r"^l2 = ([\d.e-]+) *: weight norm after the run +([\d.]+) .*test accuracy ([\d.]+)%$", text_of(nb02), re.M
    )
    norms = {float(v): float(n) for v, n, _ in rows}
    accuracy = {float(v): float(a) / 100 for v, _, a in rows}
    start = float(re.search(r"^weight norm at the start: ([\d.]+)$", text_of(nb02), re.M)[1])
    assert sorted(norms) == [0.0, 0.01, 0.1, 1.0]
    assert norms[1.0] < norms[0.1] < norms[0.01] <= norms[0.0]
    assert abs(norms[0.0] / start - 1) < 0.01  # without L2 the size barely changes in one quick epoch
    assert 0.6 < norms[1.0] / start < 0.8  # "almost a third off"
    assert 0.5 < accuracy[1.0] < accuracy[0.0]  # ... and the network still learns, a little worse
    ratio = norms[1.0] / start
    assert abs(ratio - (1 - 1 / 128) ** 47) < 0.03  # exercise 02.3's "almost exactly that share"


def test_02_states_both_l2_rules_per_step_and_over_the_run(nb02):
    text = text_of(nb02)
    assert (
        "   dl4j rule: 7.8e-07 of each weight per step; over 7,035 steps L2 alone would scale the weights by 0.995"
        in text
    )
    assert (
        "pytorch rule: 6.0e-06 of each weight per step; over 7,035 steps L2 alone would scale the weights by 0.959"
        in text
    )


def test_02_the_two_rules_side_by_side(nb02):
    found = re.findall(
        r"^ *(dl4j|pytorch) rule: weight norm ([-+][\d.]+)% against no L2, test accuracy ([\d.]+)%", text_of(nb02), re.M
    )
    rows = {rule: float(change) for rule, change, _ in found}
    assert rows["pytorch"] < rows["dl4j"] < 0  # both shrink; PyTorch's rule more
    assert 4 < rows["pytorch"] / rows["dl4j"] < 7.7  # "several times as much ... a little less than 7.7"
    cell = cell_with(nb02, "rule_runs = {rule: quick_run")
    assert any("image/png" in o.get("data", {}) for o in cell["outputs"])
    prose = markdown_of(nb02)
    assert "#7076 and #7079" in prose and "barely regularised this network" in prose


def test_02_batch_size_experiment(nb02):
    rows = re.findall(
        r"^batch +(\d+): +(\d+) steps in the epoch, ([\d.]+) s, ([\d.]+) ms per image, test accuracy ([\d.]+)%$",
        text_of(nb02),
        re.M,
    )
    runs = {int(b): (int(steps), float(ms), float(acc)) for b, steps, _, ms, acc in rows}
    assert sorted(runs) == [16, 128, 1024]
    assert [runs[b][0] for b in (16, 128, 1024)] == [375, 47, 6]
    assert runs[16][2] > runs[128][2] > runs[1024][2]  # "the small batches get furthest"
    assert runs[16][1] > runs[1024][1]  # "each image costs more with small batches"


def test_02_each_slider_cell_shows_a_static_figure_and_the_widget(nb02):
    cells = [c for c in code_cells(nb02) if "SliderExperiment(" in "".join(c["source"])]
    assert [re.search(r'SliderExperiment\("(\w+)"', "".join(c["source"]))[1] for c in cells] == ["lr", "momentum", "l2"]
    for cell in cells:
        kinds = [kind for o in cell["outputs"] for kind in o.get("data", {})]
        assert "image/png" in kinds, "headless, the cell must still show its figure"
        assert WIDGET in kinds


def test_02_experiments_are_quick_by_default(nb02):
    params = "".join(next(c for c in code_cells(nb02) if "parameters" in c["metadata"].get("tags", []))["source"])
    assert "train_fraction = 0.1" in params and "epochs = 1" in params and "seed = 123" in params
    assert "6,000 images, 47 steps" in text_of(nb02)


# ---------------------------------------------------------------- 03 · building the layers


@pytest.fixture(scope="module")
def nb03():
    return executed("03_building_layers")


DL4J_BUILDER = [  # every line of MLPMnistSingleLayerExample's configuration, then its data and training calls
    "new NeuralNetConfiguration.Builder()",
    ".seed(rngSeed)",
    ".optimizationAlgo(OptimizationAlgorithm.STOCHASTIC_GRADIENT_DESCENT)",
    ".updater(new Nesterovs(0.006, 0.9))",
    ".regularization(true)",
    ".l2(1e-4)",
    ".list()",
    ".layer(0, new DenseLayer.Builder()",
    ".nIn(numRows * numColumns)",
    ".nOut(1000)",
    ".activation(Activation.RELU)",
    ".weightInit(WeightInit.XAVIER)",
    ".build())",
    ".layer(1, new OutputLayer.Builder(LossFunction.NEGATIVELOGLIKELIHOOD)",
    ".nIn(1000)",
    ".nOut(outputNum)",
    ".activation(Activation.SOFTMAX)",
    ".weightInit(WeightInit.XAVIER)",
    ".build())",
    ".pretrain(false).backprop(true)",
    ".build();",
    "new MnistDataSetIterator(batchSize, true, rngSeed)",
    "model.fit(mnistTrain)",
    "model.evaluate(mnistTest)",
]


def test_03_counts_795010_parameters_by_hand_and_by_count_parameters(nb03):
    assert not errors_in(nb03)
    text = text_of(nb03)
    assert re.search(r"^by hand: +795,010$", text, re.M)
    assert re.search(r"^count_parameters\(mlp\(\)\): +795,010$", text, re.M)
    assert "784 x 1,000 weights + 1,000 biases = 785,000" in text
    assert "mlp() is the network assembled above, number for number: True" in text


def test_03_softmax_cross_entropy_and_a_layer_as_a_weighted_sum(nb03):
    text = text_of(nb03)
    assert "the whole layer is images @ weight.T + bias: True" in text
    assert "all 128 images: sums between 1.0000 and 1.0000" in text
    match = re.search(r"by hand: ([\d.]+), F.cross_entropy: ([\d.]+), an even guess: ln 10 = 2.3026", text)
    assert match and match[1] == match[2] and abs(float(match[1]) - math.log(10)) < 0.5


def test_03_xavier_std_and_pytorch_default(nb03):
    text = text_of(nb03)
    match = re.search(r"sqrt\(2 / \(784 \+ 1000\)\) = ([\d.]+);  measured std of the weights: ([\d.]+)", text)
    assert match and float(match[1]) == pytest.approx(math.sqrt(2 / 1784), abs=1e-5)
    assert float(match[2]) == pytest.approx(math.sqrt(2 / 1784), rel=0.01)
    assert "std 1/sqrt(3 * 784) = 0.02062" in text
    xavier = re.search(r"^Xavier +([\d.]+) +([\d.]+) +([\d.]+)$", text, re.M)
    pixels = re.search(r"^\(input pixels\) +([\d.]+)$", text, re.M)
    assert xavier and pixels and 0.5 < float(xavier[1]) / float(pixels[1]) < 2  # the signal's spread stays steady


def test_03_forward_pass_prints_every_shape(nb03):
    out = "".join(cell_with(nb03, "model(images) runs the same steps")["outputs"][0]["text"])
    for name, shape in [
        ("images", "[128, 784]"),
        ("hidden: weighted sums", "[128, 1000]"),
        ("hidden: after relu", "[128, 1000]"),
        ("output: scores", "[128, 10]"),
        ("softmax: probabilities", "[128, 10]"),
    ]:
        assert re.search(rf"^{re.escape(name)} +{re.escape(shape)}", out, re.M), name
    assert "one call: True" in out and "sums to 1: True" in out


def test_03_table_pairs_every_dl4j_builder_line_with_pytorch(nb03):
    rows = [line for line in markdown_of(nb03).splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(rows) == len(DL4J_BUILDER)
    for row, java in zip(rows, DL4J_BUILDER):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == f"`{java}`" or cells[1].startswith(f"`{java}`,") and java.startswith("model."), (
            cells[1],
            java,
        )
        assert cells[2], f"no PyTorch line for {java}"
    assert "nesterov=True" in markdown_of(nb03) and "xavier_normal_" in markdown_of(nb03)
    assert "**not** `weight_decay=1e-4`" in rows[5]  # DL4J 0.9's l2 is not PyTorch's weight_decay (notebook 02)


def test_03_draws_the_initial_weights_and_the_init_histogram(nb03):
    assert images_in(nb03) == 2
    cell = cell_with(nb03, "show_weights(unit_weights")
    assert any("image/png" in o.get("data", {}) for o in cell["outputs"])
