"""Count the prose a reader reads in each numbered notebook, and the time it takes: `python tools/prose_words.py`.

Prose is the text of the markdown cells, without the folded exercise solutions (<details> blocks),
fenced code blocks and HTML tags. The budget for the whole tutorial is BUDGET words. A notebook's
time is its prose at WORDS_PER_MINUTE, plus EXERCISE_MINUTES per exercise, plus its run time as
measured by `tools/refresh_notebooks.py` (papermill, real settings) and kept in docs/run_times.json.

`--write` puts those times where readers find them: the "**Time:**" line of each notebook's first
cell, the time column of README's notebook table and the plan of workshop/INSTRUCTOR.md (which
takes the core path: the reading, the first exercise and the run). `--check` exits 1 when any of
them differs from what `--write` would write, or the words are over BUDGET, or the core path does
not fit the workshop's WORKSHOP_MINUTES.
"""

import argparse
import json
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMES = ROOT / "docs" / "run_times.json"  # seconds per notebook, written by tools/refresh_notebooks.py
README = ROOT / "README.md"
INSTRUCTOR = ROOT / "workshop" / "INSTRUCTOR.md"
BUDGET = 10_000  # words across all numbered notebooks
WORDS_PER_MINUTE = 200  # a careful reader of technical prose
EXERCISE_MINUTES = 3  # per "Try it": read the task, write a few lines, run the check
WORKSHOP_MINUTES = 120  # INSTRUCTOR.md's workshop
WELCOME_MINUTES, BREAK_MINUTES = 10, 10  # the plan's parts outside the notebooks; the break comes before 04


def prose(markdown: str) -> str:
    """The words a reader reads in one markdown cell."""
    text = re.sub(r"<details>.*?</details>", " ", markdown, flags=re.S)  # folded solutions
    text = re.sub(r"```.*?```", " ", text, flags=re.S)  # code blocks
    return re.sub(r"<[^>]+>", " ", text)  # tags


def words(markdown: str) -> int:
    """How many words the cell's prose has (runs of letters, digits and apostrophes)."""
    return len(re.findall(r"[\w'’.,%-]*\w", prose(markdown)))


def markdown_cells(path: Path) -> list:
    """The source of each markdown cell of the notebook at `path`."""
    nb = json.loads(Path(path).read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def count(path: Path) -> int:
    """Words of prose in the notebook at `path`."""
    return sum(words(cell) for cell in markdown_cells(path))


def budget(path: Path) -> dict:
    """Words, reading minutes, exercises and exercise minutes of the notebook at `path`."""
    n = count(path)
    exercises = sum(cell.startswith("### ✏️ Try it") for cell in markdown_cells(path))
    return {
        "words": n,
        "reading": math.ceil(n / WORDS_PER_MINUTE),
        "exercises": exercises,
        "exercise_minutes": EXERCISE_MINUTES * exercises,
    }


def notebooks() -> list:
    """The numbered notebooks, in order."""
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def run_seconds() -> dict:
    """{notebook name: measured run time in seconds} from docs/run_times.json."""
    return json.loads(RUN_TIMES.read_text())["seconds"]


def times(path: Path) -> dict:
    """budget(path) plus the run seconds, the whole time and the core path (first exercise only), in minutes."""
    b = budget(path)
    seconds = run_seconds()[path.stem]
    run_minutes = math.ceil(seconds / 60)
    return {
        **b,
        "seconds": seconds,
        "total": b["reading"] + b["exercise_minutes"] + run_minutes,
        "core": b["reading"] + EXERCISE_MINUTES * min(1, b["exercises"]) + run_minutes,
    }


def time_line(t: dict) -> str:
    """The notebook's "**Time:**" line."""
    n = t["exercises"]
    exercises = f"{t['exercise_minutes']} for the {n} exercise{'s' if n > 1 else ''}, " if n else ""
    return f"**Time:** about {t['total']} minutes: {t['reading']} to read, {exercises}{t['seconds']:.0f} s to run."


def title(path: Path) -> str:
    """The notebook's heading without the '# ', like '01 · The MNIST dataset'."""
    return markdown_cells(path)[0].splitlines()[0].removeprefix("# ")


def written(all_times: dict) -> dict:
    """{file: its text with every stated time as `all_times` gives it}: notebooks, README, INSTRUCTOR.md."""
    out = {}
    for path, t in all_times.items():
        nb = json.loads(path.read_text())
        first = "".join(nb["cells"][0]["source"])
        new = re.sub(r"^\*\*Time:\*\*.*$", time_line(t), first, count=1, flags=re.M)
        lines = new.split("\n")
        nb["cells"][0]["source"] = [line + "\n" for line in lines[:-1]] + [lines[-1]]
        out[path] = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    readme = README.read_text()
    for path, t in all_times.items():  # the last column of the notebook's row
        readme = re.sub(
            rf"^(\| \[[^]]*\]\(notebooks/{path.name}\) \|[^|]*\|)[^|]*\|$",
            rf"\g<1> {t['total']} min ({t['seconds']:.0f} s to run) |",
            readme,
            flags=re.M,
        )
    out[README] = readme
    out[INSTRUCTOR] = instructor_plan(INSTRUCTOR.read_text(), all_times)
    return out


def instructor_plan(text: str, all_times: dict) -> str:
    """INSTRUCTOR.md with its plan's start times and minutes set from the notebooks' core paths."""
    clock = WELCOME_MINUTES
    for path, t in all_times.items():
        number = path.name[:2]
        if number == "04":  # the break: everyone starts 04's run (Run All), then leaves while it trains
            text = re.sub(
                r"^\| \d:\d\d \| \d+ \| Everyone starts",
                f"| {clock // 60}:{clock % 60:02d} | {BREAK_MINUTES} | Everyone starts",
                text,
                flags=re.M,
            )
            text = re.sub(r"^### \d:\d\d Start 04", f"### {clock // 60}:{clock % 60:02d} Start 04", text, flags=re.M)
            clock += BREAK_MINUTES
        at = f"{clock // 60}:{clock % 60:02d}"
        text = re.sub(
            rf"^\| \d:\d\d \| \d+ \| \*\*{number} · ([^*]*)\*\*( \(\d+ min with every exercise\))?",
            rf"| {at} | {t['core']} | **{number} · \g<1>** ({t['total']} min with every exercise)",
            text,
            flags=re.M,
        )
        text = re.sub(
            rf"^### \d:\d\d {number} · (.*) \(\d+ min\)$",
            rf"### {at} {number} · \g<1> ({t['core']} min)",
            text,
            flags=re.M,
        )
        clock += t["core"]
    rest = WORKSHOP_MINUTES - clock
    at = f"{clock // 60}:{clock % 60:02d}"
    text = re.sub(r"^\| \d:\d\d \| -?\d+ \| Questions", f"| {at} | {rest} | Questions", text, flags=re.M)
    text = re.sub(r"^### \d:\d\d Questions.*$", f"### {at} Questions and where to go on ({rest} min)", text, flags=re.M)
    return text


def main(argv=None) -> int:
    """Print words and minutes per notebook and in all; --write or --check the stated times."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--write", action="store_true", help="write the times into the notebooks, README and INSTRUCTOR.md"
    )
    mode.add_argument("--check", action="store_true", help="exit 1 when a stated time or the word budget is off")
    args = parser.parse_args(argv)
    all_times = {path: times(path) for path in notebooks()}
    for path, t in all_times.items():
        print(
            f"{path.name:<28}{t['words']:>7,} words  {t['reading']:>3} min to read  {t['exercises']} exercises, "
            f"{t['exercise_minutes']:>2} min  {t['seconds']:>4.0f} s to run  = {t['total']:>3} min (core path {t['core']})"
        )
    words = sum(t["words"] for t in all_times.values())
    core = WELCOME_MINUTES + BREAK_MINUTES + sum(t["core"] for t in all_times.values())
    print(
        f"{'all notebooks':<28}{words:>7,} words (budget {BUDGET:,}); "
        f"{sum(t['total'] for t in all_times.values())} min with every exercise; "
        f"the workshop's core path {core} of {WORKSHOP_MINUTES} min"
    )
    problems = []
    if words > BUDGET:
        problems.append(f"{words:,} words is over the budget of {BUDGET:,}")
    if core > WORKSHOP_MINUTES:
        problems.append(f"the core path takes {core} min, more than the workshop's {WORKSHOP_MINUTES}")
    texts = written(all_times)
    for path, t in all_times.items():
        if time_line(t) not in texts[path]:
            problems.append(f"{path.name}: its first cell needs a line starting with **Time:** (the tool fills it in)")
    if args.write:
        for path, text in texts.items():
            path.write_text(text)
    else:
        for path, text in texts.items():
            if path.read_text() != text:
                problems.append(
                    f"{path.relative_to(ROOT)} states other times; run `python tools/prose_words.py --write`"
                )
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems and (args.check or words > BUDGET) else 0


if __name__ == "__main__":
    sys.exit(main())
