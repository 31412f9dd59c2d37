"""How long each notebook takes a learner, by one formula, and the workshop's core path: `python tools/prose_words.py`.

The formula, the same for every stated time (the notebooks' "**Time:**" lines, README's table,
workshop/INSTRUCTOR.md's plan):

    minutes = words of prose / WORDS_PER_MINUTE
            + lines of code read x CODE_SECONDS_PER_LINE / 60
            + each exercise's minutes (estimated by trying it; `minutes=` in helpers/exercises/nbNN.py)
            + the notebook's measured run time (docs/run_times.json, written by tools/refresh_notebooks.py)

Prose is the text of the markdown cells without folded solutions (<details> blocks), code blocks and
HTML tags; code is the non-blank lines of the code cells, except the exercises' own cells (their
minutes cover them). A notebook's sections are its `## ` headings; those that start with
"## Going further" are homework, the rest its core. The **core path** is what the workshop teaches:
the core sections of 01-06 (06's core is one playground session), each with its core exercises, and the
notebooks' run times. Outputs are read along with the prose that explains them and are not counted apart.

`--write` puts the times where readers find them; `--check` exits 1 when any differs from what
`--write` would write, the words are over BUDGET, or the core path is over CORE_TARGET minutes.
"""

import argparse
import json
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMES = ROOT / "docs" / "run_times.json"
README = ROOT / "README.md"
INSTRUCTOR = ROOT / "workshop" / "INSTRUCTOR.md"
BUDGET = 10_000  # words across all numbered notebooks
WORDS_PER_MINUTE = 200  # a careful reader of technical prose
CODE_SECONDS_PER_LINE = 6  # reading a line of code and seeing what it does
CORE_NOTEBOOKS = ("01", "02", "03", "04", "05", "06")  # the workshop's path; 07 and 08 are homework
CORE_TARGET = 75  # minutes of learner time the core path may take
WORKSHOP, WELCOME, BREAK, TALK = 120, 10, 10, 3  # minutes: the workshop, its welcome, its break, talk per notebook
GOING_FURTHER = "## Going further"
TRY_IT = "### ✏️ Try it "


def prose(markdown: str) -> str:
    """The words a reader reads in one markdown cell."""
    text = re.sub(r"<details>.*?</details>", " ", markdown, flags=re.S)
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"\*\*Time:\*\*.*", " ", text)  # the line this tool writes is not part of the lesson
    return re.sub(r"<[^>]+>", " ", text)


def words(markdown: str) -> int:
    """How many words a markdown cell's prose has."""
    return len(re.findall(r"[\w'’.,%-]*\w", prose(markdown)))


def sections(path: Path) -> list:
    """[(heading, core?, [cells])] of the notebook at `path`; the title cell opens a core section."""
    found = []
    for cell in json.loads(Path(path).read_text())["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and source.startswith("## ") or not found:
            heading = source.splitlines()[0] if source else ""
            found.append((heading, not heading.startswith(GOING_FURTHER), []))
        found[-1][2].append(cell)
    return found


def measure(cells: list) -> dict:
    """Words, code lines and exercise ids of some cells."""
    m = {"words": 0, "code": 0, "exercises": []}
    in_exercise = False
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            m["words"] += words(source)
            if source.startswith(TRY_IT):
                m["exercises"].append(source[len(TRY_IT) :].split(":")[0].strip())
                in_exercise = True
            elif not source.startswith("<details>"):
                in_exercise = False
        elif not in_exercise:
            m["code"] += sum(1 for line in source.splitlines() if line.strip())
    return m


def exercise_minutes(ids) -> int:
    """The minutes of these exercises, as their checks declare them."""
    sys.path.insert(0, str(ROOT))  # helpers/, when run as a script from anywhere
    from helpers.exercises import EXERCISES

    return sum(EXERCISES[i].minutes for i in ids)


def minutes(m: dict, seconds: float) -> int:
    """The formula: prose, code, exercises and run time, in whole minutes (rounded up)."""
    reading = m["words"] / WORDS_PER_MINUTE + m["code"] * CODE_SECONDS_PER_LINE / 60
    return math.ceil(reading + exercise_minutes(m["exercises"]) + seconds / 60)


def times(path: Path) -> dict:
    """A notebook's measures and minutes: of its core, and with its going-further sections."""
    seconds = json.loads(RUN_TIMES.read_text())["seconds"][path.stem]
    parts = sections(path)
    core = measure([c for _, is_core, cells in parts for c in cells if is_core])
    every = measure([c for _, _, cells in parts for c in cells])
    return {
        "core": core,
        "all": every,
        "seconds": seconds,
        "core_minutes": minutes(core, seconds),
        "total": minutes(every, seconds),
    }


def time_line(t: dict) -> str:
    """The notebook's "**Time:**" line."""
    c = t["core"]
    exercises = f", {len(c['exercises'])} exercise{'s' * (len(c['exercises']) != 1)}" if c["exercises"] else ""
    return (
        f"**Time:** about {t['core_minutes']} minutes for the core ({c['words']:,} words, {c['code']} lines of code"
        f"{exercises}, {t['seconds']:.0f} s to run); {t['total']} with the *Going further* sections."
    )


def notebooks() -> list:
    """The numbered notebooks, in order."""
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def title(path: Path) -> str:
    """The notebook's heading without the '# ', like '01 · The MNIST dataset'."""
    return "".join(json.loads(path.read_text())["cells"][0]["source"]).splitlines()[0].removeprefix("# ")


def plan(all_times: dict) -> str:
    """INSTRUCTOR.md's plan at a glance: the core path, each notebook with the instructor's talk, the break, questions."""
    from helpers.exercises import EXERCISES

    rows, clock = (
        [
            f"| 0:00 | {WELCOME} | Welcome (the app on the projector); everyone opens JupyterLab and runs the first cell of 01 | |"
        ],
        WELCOME,
    )
    for path, t in all_times.items():
        if path.name[:2] not in CORE_NOTEBOOKS:
            continue
        if path.name[:2] == "04":  # the break: 04's run trains while people are away
            rows.append(
                f"| {clock // 60}:{clock % 60:02d} | {BREAK} | Everyone runs **04** (Run All), then **break** | |"
            )
            clock += BREAK
        span = t["core_minutes"] + TALK
        core = ", ".join(f"{i} {EXERCISES[i].title.lower()}" for i in t["core"]["exercises"])
        rows.append(
            f"| {clock // 60}:{clock % 60:02d} | {span} | **{title(path)}**: core, and {TALK} min of your talk | {core} |"
        )
        clock += span
    rows.append(
        f"| {clock // 60}:{clock % 60:02d} | {WORKSHOP - clock} | Questions; 07, 08 and the *Going further* sections as homework | |"
    )
    head = "| Start | Min | What | Core exercises |\n|------:|----:|------|------|\n"
    return head + "\n".join(rows) + "\n"


def written(all_times: dict) -> dict:
    """{file: its text with every stated time as `all_times` gives it}: notebooks, README, INSTRUCTOR.md."""
    out = {}
    for path, t in all_times.items():
        nb = json.loads(path.read_text())
        first = re.sub(r"^\*\*Time:\*\*.*$", time_line(t), "".join(nb["cells"][0]["source"]), count=1, flags=re.M)
        nb["cells"][0]["source"] = first.splitlines(keepends=True)
        out[path] = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    readme = README.read_text()
    for path, t in all_times.items():  # the last column of the notebook's row in README's table
        readme = re.sub(
            rf"^(\| \[[^]]*\]\(notebooks/{re.escape(path.name)}\) \|[^|]*\|)[^|]*\|$",
            rf"\g<1> {t['core_minutes']} min core, {t['total']} in all ({t['seconds']:.0f} s to run) |",
            readme,
            flags=re.M,
        )
    out[README] = readme
    text = INSTRUCTOR.read_text()
    out[INSTRUCTOR] = re.sub(
        r"(<!-- plan -->\n).*?(<!-- /plan -->)", lambda m: m[1] + plan(all_times) + m[2], text, flags=re.S
    )
    return out


def main(argv=None) -> int:
    """Print each notebook's minutes and the core path; --write or --check the stated times."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--write", action="store_true", help="write the times into the notebooks, README and INSTRUCTOR.md"
    )
    mode.add_argument(
        "--check", action="store_true", help="exit 1 when a stated time, the word budget or the core path is off"
    )
    args = parser.parse_args(argv)
    all_times = {path: times(path) for path in notebooks()}
    for path, t in all_times.items():
        c, a = t["core"], t["all"]
        print(
            f"{path.name:<28} core {t['core_minutes']:>3} min ({c['words']:>5,} words, {c['code']:>3} lines, "
            f"exercises {','.join(c['exercises']) or '-'})  all {t['total']:>3} min ({a['words']:>5,} words, "
            f"{a['code']:>3} lines)  {t['seconds']:>4.0f} s to run"
        )
    total_words = sum(t["all"]["words"] for t in all_times.values())
    core_path = sum(t["core_minutes"] for p, t in all_times.items() if p.name[:2] in CORE_NOTEBOOKS)
    print(
        f"words: {total_words:,} (budget {BUDGET:,}); every notebook in full: {sum(t['total'] for t in all_times.values())} min"
    )
    print(f"core path: {core_path} min (target {CORE_TARGET})")
    problems = [f"{total_words:,} words is over the budget of {BUDGET:,}"] * (total_words > BUDGET)
    problems += [f"the core path takes {core_path} min, more than {CORE_TARGET}"] * (core_path > CORE_TARGET)
    texts = written(all_times)
    for path, t in all_times.items():
        if time_line(t) not in texts[path]:
            problems.append(f"{path.name}: its first cell needs a line starting with **Time:** (this tool fills it in)")
    for path, text in texts.items():
        if args.write and path.read_text() != text:
            path.write_text(text)
        elif not args.write and path.read_text() != text:
            problems.append(f"{path.relative_to(ROOT)} states other times; run `python tools/prose_words.py --write`")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
