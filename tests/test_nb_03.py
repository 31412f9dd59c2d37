"""Notebook 03 (building the layers), read from its executed copy: what it shows, teaches and links.

The arithmetic behind its claims is asserted in its own kernel (tests/claims/03_building_layers.py), its
printed numbers are pinned by nbval (tests/test_notebooks.py), and `mlp` is compared with helpers.model's
in tests/test_same_code.py.
"""

import re

import pytest
from nbrun import ROOT, cell_with, executed, images_in, markdown_of, printed


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


def test_03_backpropagation_is_taught_by_hand(nb03):
    words = markdown_of(nb03)
    assert "## Backpropagation by hand" in words and "chain rule" in words
    out = printed(cell_with(nb03, "d_weights = torch.outer("))
    assert "all 1,568 weights of the hidden layer agree: True" in out  # the numbers: tests/claims/03_building_layers.py


def test_03_draws_the_network_and_explains_the_even_guess(nb03):
    words = markdown_of(nb03)
    picture = re.search(r"!\[[^]]+\]\(\.\./docs/network\.svg\)", words)
    assert picture, "the drawn network, as a markdown image"
    svg = (ROOT / "docs" / "network.svg").read_text()
    assert all(text in svg for text in (">784 inputs<", ">1000 hidden units, relu<", ">10 scores<"))
    assert "**even guess**" in words and r"\ln 10 \approx 2.3" in words  # explained here, for the whole tutorial


def test_03_links_glorot_and_bengio(nb03):
    assert "[Glorot and Bengio 2010](https://proceedings.mlr.press/v9/glorot10a.html)" in markdown_of(nb03)


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
    assert "nesterov=True" in rows[3] and "xavier_normal_" in rows[11]
    assert "**not** `weight_decay=1e-4`" in rows[5]  # DL4J 0.9's l2 is not PyTorch's weight_decay (notebook 02)


def test_03_draws_one_figure_the_two_start_weights(nb03):
    assert images_in(nb03) == 1
    cell = cell_with(nb03, "ax.hist(default.flatten()")
    assert any("image/png" in o.get("data", {}) for o in cell["outputs"])
