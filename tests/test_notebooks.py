"""Every numbered notebook runs top to bottom in a fresh kernel, and the committed copies are clean."""

import json
import re

import prose_words  # tools/, on the path through pyproject.toml's pytest `pythonpath`
import pytest
from nbrun import code_cells, errors_in, executed, nbval_mismatches, notebook_paths
from refresh_notebooks import clean

PATHS = notebook_paths()
NAMES = [p.stem for p in PATHS]


def test_the_tutorial_has_its_notebooks():
    expected = {
        "01_dataset",
        "02_hyperparameters",
        "03_building_layers",
        "04_training",
        "05_evaluating",
        "06_playground",
        "07_next_steps",
        "08_your_handwriting",
    }
    assert expected <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes_without_errors(name):
    nb = executed(name)
    assert not errors_in(nb)


CHECKED_OUTPUTS = {  # notebook -> its cells tagged nbval-check-output: outputs that a rerun must reproduce exactly
    p.stem: [
        c["id"] for c in json.loads(p.read_text())["cells"] if "nbval-check-output" in c["metadata"].get("tags", [])
    ]
    for p in PATHS
}


def test_the_notebooks_that_teach_by_numbers_pin_them_with_nbval():
    # 06's runs print wall-clock seconds and 08 reads a drawing; the others print numbers a rerun must repeat
    pinned = {name for name, cells in CHECKED_OUTPUTS.items() if cells}
    assert {"01_dataset", "02_hyperparameters", "03_building_layers", "04_training", "07_next_steps"} <= pinned


@pytest.mark.parametrize("name", [name for name, cells in CHECKED_OUTPUTS.items() if cells])
def test_fresh_run_reproduces_the_committed_outputs_nbval_checks(name):
    committed = json.loads((PATHS[NAMES.index(name)]).read_text())
    mismatches = nbval_mismatches(committed, executed(name))
    assert not mismatches, "\n\n".join(f"cell {cell}:\n{report}" for cell, report in mismatches.items())


@pytest.mark.parametrize("path", PATHS, ids=NAMES)
def test_committed_notebook_is_clean(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", (
        "keep metadata.kernelspec (JupyterLab asks otherwise)"
    )
    assert clean(json.loads(path.read_text())) == nb, (
        f"run `python tools/refresh_notebooks.py --clean-only {path.stem}`"
    )
    outputs = [o for c in code_cells(nb) for o in c.get("outputs", [])]
    assert outputs, "commit the notebook with the outputs of a real run (python tools/refresh_notebooks.py)"
    assert not [o for o in outputs if o.get("output_type") == "error"], "no error outputs in a committed notebook"
    blob = json.dumps(outputs)
    assert not re.search(r"(/root/|/home/|/tmp/|/work/|[A-Z]:\\\\Users)", blob), "a local path in the outputs"
    biggest = max(len(json.dumps(o)) for o in outputs)
    assert biggest < 200_000, f"an output of {biggest // 1000} KB; keep each under 200 KB"


@pytest.mark.parametrize("path", PATHS, ids=NAMES)
def test_notebook_structure(path):
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    first, last = "".join(cells[0]["source"]), "".join(cells[-1]["source"])
    assert cells[0]["cell_type"] == "markdown" and first.startswith("# "), "open with a title"
    assert re.search(r"\d+\s*min", first), "say how long the notebook takes"
    assert cells[-1]["cell_type"] == "markdown" and re.search(r"(?i)key points|next", last), (
        "end with key points and what comes next"
    )
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged `parameters` (papermill)"
    assert not any(re.search(r"^\s*from \S+ import \*", "".join(c["source"]), re.M) for c in code_cells(nb)), (
        "no import *"
    )


def test_prose_fits_the_budget_and_every_stated_time_is_the_computed_one(capsys):
    # words <= 10,000; each notebook's "**Time:**" line, README's table and INSTRUCTOR.md's plan all
    # equal reading (200 words/min) + exercises (3 min each) + the measured run (docs/run_times.json)
    assert prose_words.main(["--check"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "the workshop's core path" in out and out.count("words") >= 8
