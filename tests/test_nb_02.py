"""Notebook 02, hyperparameters: what its outputs and prose claim, read from a fresh run.

The claims that need the notebook's own variables (the toy runs themselves) are asserted in its kernel:
tests/claims/02_hyperparameters.py.
"""

import json
import re

import pytest
from nbrun import NOTEBOOKS, cell_with, code_cells, executed, images_in, markdown_of, text_of


@pytest.fixture(scope="module")
def nb02():
    return executed("02_hyperparameters")


def test_02_trains_no_mnist_network(nb02):
    code = "\n".join("".join(c["source"]) for c in code_cells(nb02))
    for name in ("load_mnist", "train_run", "fit(", "mlp(", "Playground", "batch_loader"):
        assert name not in code, name


def test_02_counts_469_steps_per_epoch_and_7035_in_dl4js_run(nb02):
    text = text_of(nb02)
    assert "60,000 images in batches of 128: 469 steps per epoch" in text
    assert "15 epochs: 7,035 steps in DL4J's run" in text


def test_02_the_same_seed_draws_the_same_numbers(nb02):
    draws = re.findall(r"^seed (\d+): four starting weights (tensor\(.*\))$", text_of(nb02), re.M)
    assert [s for s, _ in draws] == ["123", "123", "124"]
    assert draws[0][1] == draws[1][1] != draws[2][1]


def test_02_one_sgd_step_by_hand_lands_on_2_6(nb02):
    lines = dict(re.findall(r"^lr ([\d.]+): w = (.*)$", text_of(nb02), re.M))
    assert lines["0.1"].startswith("2.00, 2.60, ")  # "2 - 0.1 x (-6) = 2.6, as printed"
    assert "2 - 0.1" in markdown_of(nb02)


def test_02_makes_dl4js_optimizer_with_torch_optim_sgd_in_a_cell(nb02):
    code = "".join(cell_with(nb02, "def valley(w)")["source"])
    assert "torch.optim.SGD([w_nesterov], lr=0.02, momentum=0.9, nesterov=True)" in code
    code = "".join(cell_with(nb02, "def no_gradient(w)")["source"])
    assert "torch.optim.SGD([w_dl4j], lr=0.006, momentum=0.9, nesterov=True)" in code
    assert "weight_decay=1e-4" in code


def test_02_shows_the_valley(nb02):
    assert images_in(nb02) == 1
    assert any("image/png" in o.get("data", {}) for o in cell_with(nb02, "def valley(w)")["outputs"])


def test_02_l2_over_dl4js_run_by_measurement_and_by_arithmetic(nb02):
    text = text_of(nb02)
    measured = re.search(r"after 7,035 steps: DL4J's l2 leaves ([\d.]+) of the weight, PyTorch's ([\d.]+)", text)
    formula = dict(
        re.findall(r"^ *(dl4j|pytorch) rule: \S+ of each weight per step; ([\d.]+) of it left after 7,035", text, re.M)
    )
    assert measured and formula == {"dl4j": measured[1], "pytorch": measured[2]}  # "both match ... the digits shown"
    assert 5 < (1 - float(measured[2])) / (1 - float(measured[1])) < 10  # "several times more off"


def test_02_links_dl4js_l2_issues_and_nesterov(nb02):
    prose = markdown_of(nb02)
    for url in (
        "https://github.com/deeplearning4j/deeplearning4j/issues/7076",
        "https://github.com/deeplearning4j/deeplearning4j/issues/7079",
        "https://github.com/deeplearning4j/deeplearning4j/pull/7097",
        "https://proceedings.mlr.press/v28/sutskever13.html",
    ):
        assert f"]({url})" in prose, url


def test_02_solutions_show_one_clear_line_not_a_hidden_cell():
    cells = json.loads((NOTEBOOKS / "02_hyperparameters.ipynb").read_text())["cells"]
    solutions = [c for c in cells if "".join(c["source"]).startswith("<details><summary>Solution 02.")]
    assert len(solutions) == 3
    assert not [c["id"] for c in solutions if c["metadata"].get("jupyter", {}).get("source_hidden")]
