"""The claims of notebook 07 (next steps) that its outputs carry, checked on an executed copy."""

import re

import pytest
from nbrun import cells_with, code_cells, executed, markdown_of, solution_verdicts, text_of


@pytest.fixture(scope="module")
def nb07():
    return executed("07_next_steps")


def curves(nb) -> dict:
    """{network: (parameters, [validation accuracy after each epoch, 0-1])} as the comparison printed them."""
    found = re.findall(r"^ *(.+?): +([\d,]+) parameters, validation accuracy by epoch: (.+)$", text_of(nb), re.M)
    return {
        name: (int(n.replace(",", "")), [float(a) / 100 for a in re.findall(r"(\d+\.\d+)%", accs)])
        for name, n, accs in found
    }


def test_07_compares_the_two_networks_on_validation_accuracy_only(nb07):
    runs = curves(nb07)
    assert set(runs) == {"reference MLP", "tiny CNN"} and all(len(curve) == 3 for _, curve in runs.values())
    tests = ("test-claims", "test-solutions")  # the tests' own cells, added to the executed copy
    learners = "\n".join("".join(c["source"]) for c in code_cells(nb07) if not set(tests) & set(c["metadata"]["tags"]))
    assert not re.search(r"\btest_?(set|loader)?\b", learners), (
        "07 compares on the validation set; the test set stays out"
    )


def test_07_tiny_cnn_starts_behind_and_ends_ahead_with_far_fewer_parameters(nb07):
    (mlp_size, mlp), (cnn_size, cnn) = curves(nb07)["reference MLP"], curves(nb07)["tiny CNN"]
    assert cnn[0] < mlp[0] and cnn[-1] > mlp[-1]
    assert abs(mlp_size / cnn_size - 70) < 1  # 07.1's solution: "about 70 times fewer"


def test_07_deeper_mlp_of_the_solution_ends_behind_both(nb07):
    status, message = solution_verdicts(nb07)["07.2"]
    assert status == "right", message
    deeper = float(re.search(r"reads (\d+\.\d+)% of the validation digits", message)[1]) / 100
    assert deeper < min(curve[-1] for _, curve in curves(nb07).values()), message


def test_07_names_its_two_cnns_apart(nb07):
    text = text_of(nb07)
    assert "tiny_cnn: 11,274 parameters; the reference MLP: 795,010" in text
    assert re.search(r"the CNN of --model cnn: 215,370 parameters; its recipe: .*'lr': 0\.1, 'epochs': 8", text)
    words = markdown_of(nb07)
    assert "`tiny_cnn` is not the CNN of `python -m helpers.train --model cnn`" in words


def test_07_shows_augmented_digits(nb07):
    (cell,) = cells_with(nb07, "show_digits(")
    assert sum("image/png" in o.get("data", {}) for o in cell["outputs"]) == 1


def test_07_points_to_what_to_read_next_as_links(nb07):
    words = markdown_of(nb07)
    for link in (
        "https://d2l.ai/chapter_convolutional-neural-networks/index.html",
        "http://yann.lecun.com/exdb/publis/pdf/lecun-98.pdf",
        "https://arxiv.org/abs/1412.6980",
        "https://arxiv.org/abs/1803.09820",
        "https://pytorch.org/tutorials/",
    ):
        assert f"]({link})" in words, link
