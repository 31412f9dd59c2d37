"""Write the "Try it" exercises of helpers/exercises.py into the notebooks, or bring them up to date.

    python workshop/sync_exercises.py 01_dataset                      # update the exercise cells from the registry
    python workshop/sync_exercises.py 01_dataset --insert "01.1@How many of each digit" ...

Each exercise is three cells, made from its entry in helpers/exercises.py:
  1. markdown "Try it": the task;
  2. code: the starter the learner fills in, ending with check("01.1", ...);
  3. markdown, collapsed in JupyterLab (metadata jupyter.source_hidden) and folded on GitHub
     (<details>): the solution. Markdown never runs, so no executed copy can print it.
A notebook with exercises also gets one code cell, after its imports, that imports check, hint
and show_solution.

`--insert ID@TEXT` puts exercise ID after the one cell containing TEXT (a new exercise); without
it, the exercises already in the notebook are rewritten from the registry (after editing one).
Every other cell is left byte for byte as it is. Then re-run the notebook:
`python tools/refresh_notebooks.py NAME`, and `python -m pytest tests/test_exercises.py`.
"""

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from helpers.exercises import get  # noqa: E402

IMPORT = 'from helpers.exercises import check, hint, show_solution  # for the "Try it" exercises'
IMPORT_ID = "try-it-import"


def _lines(text: str) -> list:
    """A cell's source as nbformat stores it: lines, each but the last ending in a newline."""
    return text.splitlines(keepends=True)


def _id(exercise_id: str, part: str) -> str:
    return f"try-{exercise_id.replace('.', '-')}-{part}"  # cell ids allow letters, digits, - and _


def task_text(ex) -> str:
    """The markdown of the "Try it" cell."""
    return (
        f"### ✏️ Try it {ex.id}: {ex.title}\n\n{ex.task}\n\n"
        f"*Replace the `...` in the next cell and run it: `check` says whether your answer is right. "
        f'Stuck? `hint("{ex.id}")`. The solution is folded away below.*'
    )


def solution_text(ex) -> str:
    """The markdown of the solution cell: folded with <details>, the code, then why it works."""
    return f"<details><summary>Solution {ex.id} (open it after you have tried)</summary>\n\n```python\n{ex.solution}\n```\n\n{ex.why}\n\n</details>"


def cells(ex) -> list:
    """The three cells of exercise `ex`."""
    return [
        {"cell_type": "markdown", "id": _id(ex.id, "task"), "metadata": {}, "source": _lines(task_text(ex))},
        {
            "cell_type": "code",
            "execution_count": None,
            "id": _id(ex.id, "answer"),
            "metadata": {},
            "outputs": [],
            "source": _lines(ex.starter),
        },
        {
            "cell_type": "markdown",
            "id": _id(ex.id, "solution"),
            "metadata": {"jupyter": {"source_hidden": True}},
            "source": _lines(solution_text(ex)),
        },
    ]


def _import_cell() -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": IMPORT_ID,
        "metadata": {},
        "outputs": [],
        "source": _lines(IMPORT),
    }


def _find(nb, exercise_id: str, part: str):
    """Index of an exercise's cell (by id, or by content for copies whose ids were renumbered)."""
    for i, cell in enumerate(nb["cells"]):
        source = "".join(cell["source"])
        if cell.get("id") == _id(exercise_id, part) or (
            part == "answer" and cell["cell_type"] == "code" and f'check("{exercise_id}"' in source
        ):
            return i
    return None


def insert(nb: dict, exercise_id: str, after_text: str) -> None:
    """Put exercise `exercise_id` after the one cell whose source contains `after_text`."""
    ex = get(exercise_id)
    if _find(nb, ex.id, "answer") is not None:
        raise SystemExit(f"{ex.id} is already in this notebook; run without --insert to update it.")
    hits = [i for i, c in enumerate(nb["cells"]) if after_text in "".join(c["source"])]
    if len(hits) != 1:
        raise SystemExit(
            f"--insert {ex.id}@{after_text!r}: {len(hits)} cells contain that text; give text found in exactly one."
        )
    nb["cells"][hits[0] + 1 : hits[0] + 1] = cells(ex)
    if not any(c.get("id") == IMPORT_ID for c in nb["cells"]):
        imports = next(
            i
            for i, c in enumerate(nb["cells"])
            if c["cell_type"] == "code"
            and "import" in "".join(c["source"])
            and "parameters" not in c["metadata"].get("tags", [])
        )
        nb["cells"].insert(imports + 1, _import_cell())


def sync(nb: dict) -> list:
    """Rewrite the cells of every exercise found in `nb` from the registry; return their ids."""
    found = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            found += re.findall(r'^check\("(\d\d\.\d)"', "".join(cell["source"]), re.M)
    for exercise_id in found:
        answer = _find(nb, exercise_id, "answer")
        fresh = cells(get(exercise_id))
        for offset, new in zip((-1, 0, 1), fresh):
            old = nb["cells"][answer + offset]
            if "".join(old["source"]) != "".join(new["source"]):
                old["source"] = new["source"]
                if old["cell_type"] == "code":
                    old["outputs"] = []  # stale: re-run the notebook (tools/refresh_notebooks.py)
            old["metadata"].update(new["metadata"])  # keeps what Jupyter added (tags), sets source_hidden
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="notebook name, e.g. 01_dataset")
    parser.add_argument(
        "--insert",
        action="append",
        default=[],
        metavar="ID@TEXT",
        help="insert exercise ID after the cell containing TEXT (repeatable)",
    )
    args = parser.parse_args(argv)
    path = ROOT / "notebooks" / f"{args.name.removesuffix('.ipynb')}.ipynb"
    nb = json.loads(path.read_text())
    for spec in args.insert:
        exercise_id, _, after = spec.partition("@")
        insert(nb, exercise_id, after)
    found = sync(nb)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")  # as tools/refresh_notebooks.py writes
    print(f"{path.name}: exercises {', '.join(found) or 'none'}")


if __name__ == "__main__":
    main()
