"""Re-run the notebooks and commit-clean them: `python tools/refresh_notebooks.py [NAME ...]`.

Each notebook is executed top to bottom with papermill in a fresh kernel, with its real defaults,
then cleaned: execution counts renumbered 1, 2, 3..., papermill and kernel metadata and widget state stripped, so a
diff shows only what changed in the lesson and its results. Needs MNIST (see README).

Each run's wall time goes into docs/run_times.json, with the machine it was measured on; then
`python tools/prose_words.py --write` states the new times in the notebooks, README and INSTRUCTOR.md.

What a notebook reads is made first, as a learner would make it: 05 and 08 read the model notebook 04
saves (checkpoints/04_reference.pt), and 08 the full CNN run (`python -m helpers.train --model cnn
--save checkpoints/cnn.pt`, about 90 s on 2 CPU cores): whichever is missing is made before them.
"""

import argparse
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHECKPOINTS = ROOT / "checkpoints"
NEEDS = {  # notebook -> [(the file it reads, how it is made)]
    "05_evaluating": [("04_reference.pt", "04_training")],
    "08_your_handwriting": [("04_reference.pt", "04_training"), ("cnn.pt", "--model cnn")],
}
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
            make_what_it_reads(path.stem)
            execute(path)
        save(clean(json.loads(path.read_text())), path)
    print("done")


def execute(path: Path):
    """Run the notebook in place with papermill and record its run time."""
    import papermill

    print(f"executing {path.name} ...", flush=True)
    start = time.perf_counter()
    papermill.execute_notebook(str(path), str(path), cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=False)
    record_run_time(path.stem, time.perf_counter() - start)
    save(clean(json.loads(path.read_text())), path)


def make_what_it_reads(name: str):
    """Run notebook 04, or the CNN's command line, when a checkpoint the notebook `name` reads is missing."""
    for file, maker in NEEDS.get(name, []):
        if (CHECKPOINTS / file).exists():
            continue
        print(f"{name} reads checkpoints/{file}, which is missing: making it first ({maker})", flush=True)
        if maker.startswith("--"):
            command = [
                sys.executable,
                "-m",
                "helpers.train",
                *maker.split(),
                "--save",
                f"checkpoints/{file}",
                "--no-progress",
            ]
            subprocess.run(command, cwd=ROOT, check=True)
        else:
            execute(NOTEBOOKS / f"{maker}.ipynb")


if __name__ == "__main__":
    main()
