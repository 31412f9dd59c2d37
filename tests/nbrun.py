"""Execute notebooks for the tests: each notebook runs once per session, with its real defaults."""

import json
import re
import time
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import nbformat
import nbval.plugin as nbval_plugin

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "test-output" / "notebooks"  # executed copies, kept for a look after the run (git-ignored)
# The copies run here, so what a notebook writes to ../checkpoints/ lands in test-output/checkpoints/:
# the learner's own checkpoints/ (and notebooks/) are never touched by the tests.
CHECKPOINTS = OUT.parent / "checkpoints"
CLAIMS = Path(__file__).resolve().parent / "claims"  # <name>.py: a notebook's claims, asserted in its own kernel
NEEDS = {"05_evaluating": "04_training", "08_your_handwriting": "04_training"}  # reads the checkpoint 04 saves
RUN_SECONDS = {}  # {notebook name: seconds} of each run with its real defaults, reported at the end (conftest.py)


def notebook_paths():
    """The numbered notebooks, in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


@cache
def _empty_checkpoints():
    """Once per session: no checkpoint left by an earlier session, so every notebook sees a fresh clone's state."""
    import shutil

    if CHECKPOINTS.exists():
        shutil.rmtree(CHECKPOINTS)


_RUNS = {}  # (name, parameters) -> the executed notebook, or the exception its run raised


def executed(name: str, **parameters) -> dict:
    """notebooks/<name>.ipynb run top to bottom in a fresh kernel with papermill, once per session; the executed notebook.

    A run that fails is not repeated: every test that asks for the notebook gets that one failure again.
    """
    key = (name, tuple(sorted(parameters.items())))
    if key not in _RUNS:
        try:
            _RUNS[key] = _execute(name, **parameters)
        except Exception as e:  # noqa: BLE001 - kept, and raised again for every test that needs this notebook
            _RUNS[key] = e
    if isinstance(_RUNS[key], Exception):
        raise _RUNS[key]
    return _RUNS[key]


def _execute(name: str, **parameters) -> dict:
    import papermill

    _empty_checkpoints()
    if name in NEEDS:
        executed(NEEDS[name])  # as a learner would: 04 first, so 05 and 08 load its model instead of training one
    OUT.mkdir(parents=True, exist_ok=True)
    suffix = "".join(f"-{k}={v}" for k, v in sorted(parameters.items()))
    out = OUT / f"{name}{suffix}.ipynb"
    # the notebook as learners have it, plus two last cells, in the test's copy only: the notebook's claims,
    # asserted with its variables in scope (an assert that fails fails the execution, naming the claim), and
    # each exercise's folded solution put through its own check line, in the notebook's final state
    nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text())
    claims = (CLAIMS / f"{name}.py").read_text()
    for tag, source in (("test-claims", claims), ("test-solutions", _solutions_cell(nb))):
        nb["cells"].append(
            {
                "cell_type": "code",
                "execution_count": None,
                "id": tag,
                "metadata": {"tags": [tag]},
                "outputs": [],
                "source": source,
            }
        )
    source = OUT / f"{name}{suffix}.input.ipynb"
    source.write_text(json.dumps(nb))
    start = time.perf_counter()
    papermill.execute_notebook(
        str(source),
        str(out),
        parameters=parameters,
        cwd=str(OUT),  # ../checkpoints is test-output/checkpoints
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
    )
    result = json.loads(out.read_text())
    if not parameters:  # the learner's cells only: the two test cells' time is not the notebook's
        tests = sum(c["metadata"].get("papermill", {}).get("duration") or 0 for c in result["cells"][-2:])
        RUN_SECONDS[name] = time.perf_counter() - start - tests
    return result


SOLUTION = re.compile(r"```python\n(.*?)\n```", re.S)  # the code in a folded solution cell


def exercises_in(nb) -> list:
    """[(exercise id, its folded solution's code, the check line that ends its answer cell)] in notebook order."""
    found, cells = [], nb["cells"]
    for cell, below in zip(cells, cells[1:]):
        line = (
            "".join(cell["source"]).rstrip().splitlines()[-1] if cell["cell_type"] == "code" and cell["source"] else ""
        )
        solution = SOLUTION.search("".join(below["source"])) if below["cell_type"] == "markdown" else None
        if re.match(r'check\("\d\d\.\d"', line) and solution:
            found.append((line[7:11], solution[1], line))
    return found


def _solutions_cell(nb) -> str:
    """Code that puts each exercise's folded solution, and a typical wrong answer, through the exercise's check.

    Each runs in a copy of the notebook's names, after its last cell; the cell prints one line per answer:
    "solution 01.1: right: ..." or "wrong 01.1: wrong: ...", and whether the check left torch's random
    numbers as they were.
    """
    from wrong_answers import WRONG

    answers = [
        (i, kind, code, line)
        for i, solution, line in exercises_in(nb)
        for kind, code in (("solution", solution), ("wrong", WRONG.get(i, (None,))[0]))
        if code
    ]
    return f"""import torch as _torch
from helpers.exercises import verdict as _verdict

for _id, _kind, _code, _check_line in {answers!r}:
    _seen, _names = [], dict(globals())
    _names["check"] = lambda *args, **kwargs: _seen.append(_verdict(*args, **kwargs))
    exec(_code, _names)
    _rng = _torch.get_rng_state()
    exec(_check_line, _names)
    _kept = "random state kept" if _torch.equal(_torch.get_rng_state(), _rng) else "random state MOVED"
    print(f"{{_kind}} {{_id}} ({{_kept}}): {{_seen[0].status}}: {{_seen[0].message}}".replace("\\n", " "))
"""


def code_cells(nb):
    """The notebook's code cells."""
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def markdown_of(nb) -> str:
    """All the notebook's markdown, joined."""
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def cells_with(nb, snippet) -> list:
    """The code cells whose source contains `snippet` (at least one, or the test is out of date)."""
    learners = [c for c in code_cells(nb) if "test-solutions" not in c["metadata"].get("tags", [])]
    cells = [c for c in learners if snippet in "".join(c["source"])]
    assert cells, f"no code cell contains {snippet!r}"
    return cells


def cell_with(nb, snippet) -> dict:
    """The one code cell whose source contains `snippet`."""
    cells = cells_with(nb, snippet)
    assert len(cells) == 1, f"{len(cells)} code cells contain {snippet!r}"
    return cells[0]


def text_of(nb) -> str:
    """All plain text the notebook printed or displayed, joined."""
    parts = []
    for cell in code_cells(nb):
        if "test-solutions" in cell["metadata"].get("tags", []):
            continue  # the tests' own run of the solutions is not something the notebook shows
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append("".join(out["text"]))
            data = out.get("data", {})
            if "text/plain" in data:
                parts.append("".join(data["text/plain"]))
    return "\n".join(parts)


def images_in(nb) -> int:
    """How many images (figures) the notebook's outputs hold."""
    return sum("image/png" in out.get("data", {}) for c in code_cells(nb) for out in c.get("outputs", []))


def errors_in(nb) -> list:
    """The error outputs (ename: evalue) of the notebook."""
    return [
        f"{o['ename']}: {o['evalue']}"
        for c in code_cells(nb)
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]


class _NbvalCell:
    """nbval's output comparison, borrowed from its pytest item so that it reads the one shared run.

    `pytest --nbval-lax notebooks/` would execute every notebook a second time, in a kernel of its own, to
    compare the cells tagged `nbval-check-output` with their committed outputs; this compares the same
    cells, with nbval's own code, against the papermill run that every other notebook test reads.
    """

    colors = nbval_plugin.nocolors
    compare_outputs = nbval_plugin.IPyNbCell.compare_outputs
    format_output_compare = nbval_plugin.IPyNbCell.format_output_compare
    sanitize = nbval_plugin.IPyNbCell.sanitize
    ihook = SimpleNamespace(pytest_assertrepr_compare=lambda **_: [])  # nbval's plain report of a difference
    config = None

    def __init__(self):
        # what nbval skips by default: metadata, counters, widget ids and (without nbdime) images
        skip = ("metadata", "traceback", "prompt_number", "output_type", "name", "execution_count")
        skip += ("application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg")
        self.parent = SimpleNamespace(skip_compare=skip, sanitize_patterns={})
        self.comparison_traceback = []


def nbval_mismatches(committed: dict, fresh: dict) -> dict:
    """{cell id: nbval's report} for each `nbval-check-output` cell whose fresh outputs differ from the committed ones."""

    def outputs(nb) -> dict:
        node = nbformat.reads(json.dumps(nb), as_version=4)  # as nbval reads a notebook: text joined, nodes
        return {c.id: nbval_plugin.coalesce_streams(c.outputs) for c in node.cells if c.cell_type == "code"}

    reference, run = outputs(committed), outputs(fresh)
    mismatches = {}
    for cell in committed["cells"]:
        if "nbval-check-output" in cell.get("metadata", {}).get("tags", []):
            compare = _NbvalCell()
            if not compare.compare_outputs(run[cell["id"]], reference[cell["id"]]):
                mismatches[cell["id"]] = "\n".join(compare.comparison_traceback)
    return mismatches


def answer_verdicts(nb) -> dict:
    """{(kind, exercise id): (status, message, random state kept?)} of each answer the test-solutions cell checked."""
    cell = next(c for c in nb["cells"] if c.get("id") == "test-solutions")
    printed = "".join("".join(o.get("text", "")) for o in cell["outputs"])
    pattern = r"^(solution|wrong) (\d\d\.\d) \(random state (kept|MOVED)\): (\w+): (.*)$"
    return {(m[1], m[2]): (m[4], m[5], m[3] == "kept") for m in re.finditer(pattern, printed, re.M)}


def solution_verdicts(nb) -> dict:
    """{exercise id: (status, message)} of each folded solution put through its check in the executed copy."""
    return {
        i: (status, message) for (kind, i), (status, message, _) in answer_verdicts(nb).items() if kind == "solution"
    }


def printed(cell) -> str:
    """All the text one code cell printed (a stream may arrive in several outputs)."""
    return "".join("".join(o.get("text", "")) for o in cell.get("outputs", []))
