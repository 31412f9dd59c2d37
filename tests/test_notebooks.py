"""Every numbered notebook runs top to bottom in a fresh kernel, and the committed copies are clean."""

import json
import re

import prose_words  # tools/, on the path through pyproject.toml's pytest `pythonpath`
import pytest
from nbrun import code_cells, executed, nbval_mismatches, notebook_paths
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
def test_notebook_runs_in_a_fresh_kernel_and_its_claims_hold(name):
    # papermill raises at the first error, naming the cell; the last cells assert the notebook's claims
    # (tests/claims/<name>.py) with its own variables, so a claim that no longer holds fails here
    executed(name)


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
    first = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown" and first.startswith("# "), "open with a title"
    assert "**Time:**" in first, "a **Time:** line in the first cell (python tools/prose_words.py --write fills it in)"
    headings = [("".join(c["source"]).splitlines() or [""])[0] for c in cells if c["cell_type"] == "markdown"]
    sections = [h for h in headings if h.startswith("## ")]
    assert "## Key points" in sections, "a `## Key points` section after the core sections"
    key = sections.index("## Key points")
    assert not [h for h in sections[:key] if h.startswith(prose_words.GOING_FURTHER)], (
        "Going further comes after Key points"
    )
    assert all(h.startswith(prose_words.GOING_FURTHER) for h in sections[key + 1 :]), (
        "after Key points, only `## Going further: ...` sections"
    )
    key_cell = next(c for c in cells if "".join(c["source"]).startswith("## Key points"))
    assert "**Next:**" in "".join(key_cell["source"]), "Key points end with what comes next"
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged `parameters` (papermill)"
    assert not any(re.search(r"^\s*from \S+ import \*", "".join(c["source"]), re.M) for c in code_cells(nb)), (
        "no import *"
    )
    several = [
        h
        for c in cells
        if c["cell_type"] == "markdown"
        for h in [prose_words.prose("".join(c["source"]))]
        if len(re.findall(r"^#{1,6} ", h, re.M)) > 1
    ]
    assert not several, f"one heading per markdown cell: {[h[:60] for h in several]}"


# Numbers in prose that come from a named measurement rather than from this notebook's outputs or code:
# each with its source. Everything else a notebook's prose states as a number must appear in its own
# committed outputs or code.
SEEDS = "python benchmarks/reference_seeds.py: the reference run over 10 seeds (2 CPU threads, 2026-12-04)"
MEASURED_ELSEWHERE = {
    "*": {"97.1": "DL4J's tutorial reports 97.1% (helpers.config.DL4J_ACCURACY)", "99.7": "DL4J's tutorial"},
    "04_training": {"97.23": SEEDS, "0.087": SEEDS, "97.08": SEEDS, "97.38": SEEDS, "1.5": SEEDS},
}
NUMBER = re.compile(r"(?<![\w.\-/#])(\d{1,3}(?:,\d{3})+|\d+\.\d+)(?![\w\-/])")


def stated_numbers(markdown: str) -> set:
    """The numbers with a decimal point or thousands separators in a cell's prose (not in links, code or solutions)."""
    text = prose_words.prose(markdown)
    text = re.sub(r"\]\([^)]*\)|https?://\S+|`[^`]*`|\$[^$]*\$", " ", text)  # link targets, inline code, formulas
    return set(NUMBER.findall(text))


@pytest.mark.parametrize("path", PATHS, ids=NAMES)
def test_every_number_in_prose_comes_from_an_output_or_a_named_measurement(path):
    nb = json.loads(path.read_text())
    shown = " ".join(
        "".join(c["source"]) + " " + json.dumps(c.get("outputs", []), ensure_ascii=False).replace("\\n", " ")
        for c in code_cells(nb)
    )
    allowed = {**MEASURED_ELSEWHERE["*"], **MEASURED_ELSEWHERE.get(path.stem, {})}
    unbacked = sorted(
        {n for c in nb["cells"] if c["cell_type"] == "markdown" for n in stated_numbers("".join(c["source"]))}
        - {n for n in allowed}
    )
    unbacked = [n for n in unbacked if n not in shown and n.replace(",", "") not in shown]
    assert not unbacked, f"numbers in the prose that no output or code of {path.name} shows: {unbacked}"


def test_prose_fits_the_budget_and_every_stated_time_is_the_computed_one(capsys):
    # words <= 10,000, the core path <= 75 min, and every stated time (the notebooks' **Time:** lines,
    # README's table, INSTRUCTOR.md's plan) equal to tools/prose_words.py's one formula
    assert prose_words.main(["--check"]) == 0, capsys.readouterr().err
    assert "core path: " in capsys.readouterr().out
