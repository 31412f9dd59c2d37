"""Re-run the notebooks and commit-clean them: `python tools/refresh_notebooks.py [NAME ...]`.

Each notebook is executed top to bottom with papermill in a fresh kernel, with its real defaults,
then cleaned: execution counts renumbered 1, 2, 3..., papermill and kernel metadata and widget state stripped, so a
diff shows only what changed in the lesson and its results. Needs MNIST (see README).

Each run's wall time goes into docs/run_times.json, with the machine it was measured on; then
`python tools/prose_words.py --write` states the new times in the notebooks, README and INSTRUCTOR.md.
"""

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def clean(nb: dict) -> dict:
    """The notebook without execution noise: counts, timings, papermill/widget metadata."""
    nb["metadata"] = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    count = 0
    for cell in nb["cells"]:
        meta = cell.get("metadata", {})
        cell["metadata"] = {k: v for k, v in meta.items() if k in ("tags", "jupyter", "editable", "deletable")}
        if cell["cell_type"] == "code":
            # Counts as a fresh top-to-bottom run gives them (1, 2, 3, ...), whatever order the cells
            # really ran in: the same on every refresh, so no noise in a diff. They are not removed,
            # because nbval refuses a cell with outputs but no count ("Unrun reference cell has outputs").
            count += 1
            cell["execution_count"] = count
            for out in cell.get("outputs", []):
                if "execution_count" in out:
                    out["execution_count"] = None
                if out.get("output_type") in ("display_data", "execute_result"):
                    out["metadata"] = {}
    return nb


def save(nb: dict, path: Path):
    """Write as nbformat does: 1-space indent, trailing newline."""
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def record_run_time(name: str, seconds: float):
    """Keep `seconds` as notebook `name`'s run time in docs/run_times.json, with where and when it was measured."""
    from helpers.cli import describe_machine

    path = ROOT / "docs" / "run_times.json"
    record = json.loads(path.read_text())
    record["seconds"][name] = round(seconds)
    record["measured_on"] = f"{describe_machine()}; {datetime.date.today().isoformat()}, by tools/refresh_notebooks.py"
    path.write_text(json.dumps(record, indent=1) + "\n")


def main(argv=None):
    """Execute and clean the given notebooks (all numbered ones by default)."""
    import papermill

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="notebook names like 04_training (default: all)")
    parser.add_argument("--clean-only", action="store_true", help="only strip noise, do not execute")
    args = parser.parse_args(argv)
    paths = [NOTEBOOKS / f"{n.removesuffix('.ipynb')}.ipynb" for n in args.names] or sorted(
        NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")
    )
    for path in paths:
        if not path.exists():
            sys.exit(f"no notebook {path.relative_to(ROOT)}")
        if not args.clean_only:
            print(f"executing {path.name} ...", flush=True)
            start = time.perf_counter()
            papermill.execute_notebook(
                str(path), str(path), cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=False
            )
            record_run_time(path.stem, time.perf_counter() - start)
        save(clean(json.loads(path.read_text())), path)
    print("done")


if __name__ == "__main__":
    main()
