"""Execute notebooks for the tests: each notebook runs once per session, with its real defaults."""

import json
import time
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "test-output" / "notebooks"  # executed copies, kept for a look after the run (git-ignored)
RUN_SECONDS = {}  # {notebook name: seconds} of each run with its real defaults, reported at the end (conftest.py)


def notebook_paths():
    """The numbered notebooks, in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


@cache
def executed(name: str, **parameters) -> dict:
    """Run notebooks/<name>.ipynb top to bottom in a fresh kernel with papermill; return the executed notebook."""
    import papermill
    from claims import CLAIMS

    OUT.mkdir(parents=True, exist_ok=True)
    suffix = "".join(f"-{k}={v}" for k, v in sorted(parameters.items()))
    out = OUT / f"{name}{suffix}.ipynb"
    # the notebook as learners have it, plus one last cell, in the test's copy only: the notebook's claims,
    # asserted with its variables in scope (an assert that fails fails the execution, naming the claim)
    nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text())
    nb["cells"].append(
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "test-claims",
            "metadata": {"tags": ["test-claims"]},
            "outputs": [],
            "source": CLAIMS[name],
        }
    )
    source = OUT / f"{name}{suffix}.input.ipynb"
    source.write_text(json.dumps(nb))
    start = time.perf_counter()
    papermill.execute_notebook(
        str(source),
        str(out),
        parameters=parameters,
        cwd=str(NOTEBOOKS),
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
    )
    if not parameters:
        RUN_SECONDS[name] = time.perf_counter() - start
    return json.loads(out.read_text())


def code_cells(nb):
    """The notebook's code cells."""
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def text_of(nb) -> str:
    """All plain text the notebook printed or displayed, joined."""
    parts = []
    for cell in code_cells(nb):
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
