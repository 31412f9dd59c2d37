"""The notebooks in a real browser, as readers use them: JupyterLab in headless Chromium (Playwright).

The playground's widgets must render as widgets, react to the mouse and keyboard, and train; the
notebooks whose outputs need a front end (widgets, live curves) or run another path with the browser's
parameters must run all their cells without an error, with the server and kernel under Binder's 2 GB.
02 and 03 show only text and pictures, which the headless run checks as well, and peak far below
(0.85 and 1.07 GB measured), so they do not run here a second time. The server serves a temporary copy of notebooks/ (autosave rewrites what it opens) and is stopped
by its process id at the end, pass or fail. Some notebooks run with other parameters than their headless
run (BROWSER_PARAMETERS), and what those change is checked. Screenshots go to test-output/browser/.
Select with `-m browser`, skip with `-m "not browser"`.
Widget logic that a kernel can check (set .value, .click()) is tested without a browser, in
tests/test_playground.py; here only what needs a browser: rendering, the front end, the wiring.
"""

import json
import os
import re
import time

import papermill
import pytest
from browser_support import (
    BINDER_MEMORY,
    CHROMIUM_ARGS,
    JupyterLab,
    PeakMemory,
    copy_notebooks,
    draw_stroke,
    open_notebook,
    prompts,
    require_chromium,
    run_all,
    save,
    settle,
)
from nbrun import NOTEBOOKS, ROOT, cell_with, errors_in, executed, exercises_in, notebook_paths, text_of
from playwright.sync_api import expect

from helpers.checkpoint import load_checkpoint
from helpers.config import Config

pytestmark = pytest.mark.browser

SHOTS = ROOT / "test-output" / "browser"
PLAYGROUND = "06_playground"
HANDWRITING = "08_your_handwriting"
HEADLESS_ONLY = ("02_hyperparameters", "03_building_layers")  # text and pictures only (module docstring)
OTHERS = [p.stem for p in notebook_paths() if p.stem not in (PLAYGROUND, HANDWRITING, *HEADLESS_ONLY)]
# Seconds for Run All in one notebook: ~30 s on 2 free cores, far longer on a busy machine (raise it
# there with BROWSER_TEST_TIMEOUT); a hung notebook fails, it does not hang CI.
RUN_TIMEOUT = float(os.environ.get("BROWSER_TEST_TIMEOUT", 900))
# The browser runs these notebooks with other parameters than the headless run of tests/nbrun.py (their real
# settings): together the two runs cover those notebooks' parameters cells, and no notebook runs a third time.
# 04 trains 1 epoch (on all 60,000 images, so memory is what Binder sees); 05 and 08 find no checkpoint
# and train their own briefly, as for a learner who skipped 04.
BROWSER_PARAMETERS = {
    "01_dataset": {"seed": 7},  # other random digits in the grid
    "04_training": {"epochs": 1},
    "06_playground": {"train_fraction": 0.05, "experiment_fraction": 0.02},  # its quick settings: seconds a run
    "07_next_steps": {"epochs": 1},
    "05_evaluating": {"checkpoint_path": "missing.pt", "epochs": 1, "train_fraction": 0.1},
    "08_your_handwriting": {"mlp_checkpoint": "none-mlp.pt", "cnn_checkpoint": "none-cnn.pt"},
}
# What JupyterLab shows instead of a widget when the widget front end is missing: the widget's repr.
WIDGET_AS_TEXT = re.compile(
    r"\b\w*(Slider|Box|Button|Dropdown|Output|Text|HTML|Checkbox|Tab)\((value|children|description|layout|outputs)="
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 (free port, random token) serving a copy of notebooks/, set up as on Binder."""
    require_chromium()
    root = tmp_path_factory.mktemp("lab")
    copy_notebooks(NOTEBOOKS, root)  # ../checkpoints written by 04 lands inside the copy too
    for name, parameters in BROWSER_PARAMETERS.items():  # papermill only writes them into the copy; nothing runs
        path = str(root / "notebooks" / f"{name}.ipynb")
        papermill.execute_notebook(path, path, parameters=parameters, prepare_only=True, progress_bar=False)
    binder_settings = json.loads((ROOT / "binder" / "overrides.json").read_text())
    env = {**os.environ, "GOMP_SPINCOUNT": "1000"}  # as binder/start and .ci/run set it
    with JupyterLab(root, tmp_path_factory.mktemp("lab-home"), settings=binder_settings, env=env) as server:
        yield server


@pytest.fixture(scope="module")
def browser(lab):
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    chromium = require_chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, lab):
    """A fresh page; afterwards the notebook's kernel is shut down so the next one starts clean."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(60_000)
    yield page
    page.close()
    lab.shutdown_kernels()


def run_all_and_check(page, lab, name: str) -> dict:
    """Open notebooks/<name>.ipynb, Run All, save; assert every cell ran without an error; return the saved JSON."""
    start = time.monotonic()
    open_notebook(page, lab, f"notebooks/{name}.ipynb", workspace=name.replace("_", "-"))
    with PeakMemory(lab.rss) as memory:
        run_all(page, timeout=RUN_TIMEOUT)
    nb = save(page, lab.root / "notebooks" / f"{name}.ipynb")
    print(
        f"\n{name}: Run All took {time.monotonic() - start:.0f} s; server + kernel peaked at {memory.peak / 2**20:.0f} MiB"
    )
    assert memory.peak < BINDER_MEMORY, (
        f"{name}: server + kernel peaked at {memory.peak / 1e9:.2f} GB, over a Binder session's 2 GB"
    )
    assert not errors_in(nb), f"{name} shows an error in the browser: {errors_in(nb)}"
    not_run = [i for i, p in enumerate(prompts(page)) if not re.search(r"\d", p)]
    assert not not_run, f"{name}: code cells {not_run} did not run (prompts {prompts(page)})"
    shown = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output").all_inner_texts()
    as_text = [t[:80] for t in shown if WIDGET_AS_TEXT.search(t) or "Error displaying widget" in t]
    assert not as_text, f"{name}: widgets shown as text, not rendered: {as_text}"
    return nb


# --- the playground ----------------------------------------------------------------------------
# Found as a reader finds them: the widget output that holds the "learning rate" slider, and in it
# each slider by its label, the Train button by its name, the run table by its header, the curves
# as the widget's image (helpers/playground.py: Playground).
SLIDERS = ("learning rate", "momentum", "L2", "epochs", "training share")


def slider(scope, label: str):
    """The slider (ipywidgets' div.widget-slider) in `scope` (a page or a locator) whose label reads `label`."""
    page = getattr(scope, "page", scope)
    return scope.locator("div.widget-slider").filter(
        has=page.locator("label.widget-label", has_text=re.compile(f"^{re.escape(label)}$"))
    )


def move(controls, label: str, to: str) -> str:
    """Focus the slider's handle and press Home, then ArrowRight until its readout shows `to`, as a reader could."""
    handle, readout = (
        slider(controls, label).locator("[role=slider]"),
        slider(controls, label).locator(".widget-readout"),
    )
    handle.focus()
    handle.press("Home")
    for _ in range(100):
        if readout.inner_text().strip() == to:
            settle(controls.page)  # the kernel has the new value before anything is clicked
            return to
        handle.press("ArrowRight")
    raise AssertionError(f"the {label!r} slider never showed {to!r} (it shows {readout.inner_text()!r})")


def rows_of(table) -> list:
    """The run table as a list of {column: text}, one per run."""
    header = [h.strip() for h in table.locator("th").all_inner_texts()]
    return [
        dict(zip(header, (c.strip() for c in row.locator("td").all_inner_texts())))
        for row in table.locator("tbody tr").all()
    ]


def train_and_wait(page, controls, table, curves) -> dict:
    """Click Train; wait until the run's row is in the table, finished, and the curves were redrawn; return the row."""
    runs, src = len(rows_of(table)), curves.get_attribute("src")
    controls.locator("button.widget-button", has_text=re.compile("^Train$")).click()
    page.wait_for_function(  # this playground's table: the notebook shows others further down
        "([table, n]) => { const r = table.querySelectorAll('tbody tr'); return r.length > n && !/running/.test(r[r.length - 1].textContent); }",
        arg=[table.element_handle(), runs],
        timeout=RUN_TIMEOUT * 1000,
    )
    assert len(rows_of(table)) == runs + 1, "Train did not add exactly one run to the table"
    assert curves.get_attribute("src") != src, "the curves were not redrawn"
    return rows_of(table)[-1]


def test_playground_widgets_render_and_train(page, lab):
    text = text_of(run_all_and_check(page, lab, PLAYGROUND))
    assert (
        "Run #1: lr 0.006, momentum 0.9, L2 0.0001, batch 128, 1 epoch on 2,750 training images" in text
    )  # 5% of 55,000

    controls = page.locator(".jp-OutputArea-output").filter(has=slider(page, "learning rate")).first
    controls.scroll_into_view_if_needed()
    # Rendered as widgets (not their text repr): every slider has a handle, Train is a real button.
    for label in SLIDERS:
        expect(slider(controls, label).locator("[role=slider]"), f"no {label!r} slider rendered").to_have_count(1)
    train = controls.locator("button.widget-button", has_text=re.compile("^Train$"))
    expect(train).to_be_enabled()
    curves = controls.locator("img.widget-image")
    expect(curves, "the curves (an Image widget) are not shown").to_have_count(1)
    table = controls.locator(".widget-html").filter(has=page.locator("th", has_text=re.compile("^learning rate$")))
    expect(table, "the run table is not shown (Run All makes the notebook's own runs)").to_have_count(1)
    controls.screenshot(path=str(SHOTS / f"{PLAYGROUND}-1-rendered.png"))

    # Back to DL4J's settings with the button, then short runs set with the keyboard as a reader
    # would: 1 epoch on 10% of the training images.
    controls.locator("button.widget-button", has_text="Reset to DL4J").click()
    for label, value in (
        ("learning rate", "0.006"),
        ("momentum", "0.90"),
        ("L2", "0.0001"),
        ("epochs", "15"),
        ("training share", "100%"),
    ):
        expect(
            slider(controls, label).locator(".widget-readout"), f"Reset to DL4J: {label} should show {value}"
        ).to_have_text(value)
    move(controls, "epochs", to="1")
    move(controls, "training share", to="10%")
    row = train_and_wait(page, controls, table, curves)
    # What the kernel trained with is what the reader sees: showing a slider must not move its value
    # (a log slider snaps 0.006 to its grid, 0.00631, and sends that back to the kernel).
    assert row["learning rate"] == "0.006" and row["epochs"] == "1" and row["training images"].startswith("10%"), row

    # Now a larger learning rate.
    move(controls, "learning rate", to="0.02")
    row = train_and_wait(page, controls, table, curves)
    expect(train, "Train stays disabled after the run").to_be_enabled()
    assert row["learning rate"] == "0.02" and row["epochs"] == "1" and row["status"] == "done", row
    controls.screenshot(path=str(SHOTS / f"{PLAYGROUND}-2-trained.png"))
    print(f"runs from the browser: {rows_of(table)[-2:]}; screenshots in {SHOTS}")


# --- the drawing pad --------------------------------------------------------------------------
def test_drawing_pad_reads_what_the_mouse_draws(page, lab):
    text = text_of(run_all_and_check(page, lab, HANDWRITING))
    # BROWSER_PARAMETERS name checkpoints that are not there: 08 trains both networks briefly and says so
    assert (
        "Note: none-mlp.pt does not exist (run notebook 04 to create it), so the MLP is trained here: 1 epoch(s)"
        in text
    )
    assert "Note: none-cnn.pt does not exist" in text and "so the CNN is trained here: 1 epoch(s) on 100%" in text
    canvas = page.locator("canvas.mnist-pad")
    expect(canvas, "the drawing pad (a canvas) is not rendered").to_have_count(1)
    canvas.scroll_into_view_if_needed()
    reader = page.locator(".jp-OutputArea-output").filter(has=canvas).first
    summary = reader.locator(".widget-html").first
    preview = reader.locator(".widget-output img").first
    expect(summary).to_contain_text("reads")  # the preset drawing, read when the cell ran

    reader.locator("button.mnist-pad-clear").click()
    expect(summary, "Clear should empty the pad").to_contain_text("draw a digit")
    before = preview.get_attribute("src")

    draw_stroke(page, canvas, [(0.5, 0.15), (0.5, 0.85)])  # a 1: one straight stroke down
    expect(summary, "a vertical stroke should read as 1").to_contain_text(re.compile(r"MLP reads 1\b"))
    expect(preview, "the 28 x 28 preview did not change after drawing").not_to_have_attribute("src", before)
    one = preview.get_attribute("src")
    reader.screenshot(path=str(SHOTS / f"{HANDWRITING}-1.png"))

    reader.locator("button.mnist-pad-clear").click()
    expect(summary).to_contain_text("draw a digit")
    draw_stroke(page, canvas, [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])  # a 7: across, then down to the left
    expect(summary, "the digit read should change with the drawing").not_to_contain_text(re.compile(r"MLP reads 1\b"))
    expect(preview, "the preview did not follow the new drawing").not_to_have_attribute("src", one)
    reader.screenshot(path=str(SHOTS / f"{HANDWRITING}-7.png"))
    print(f"after drawing a 7: {summary.inner_text()}")


# --- the exercises' solutions, before any cell runs ------------------------------------------------
def test_a_solution_is_one_clear_line_and_opens_with_one_click(page, lab):
    """Opened before any cell runs: each solution shows as its rendered summary line, no raw HTML; one click opens it."""
    name = "01_dataset"
    open_notebook(page, lab, f"notebooks/{name}.ipynb", workspace="solutions")
    raw = [t for t in ("<details>", "<summary>") for e in page.get_by_text(t).all() if e.is_visible()]
    assert not raw, f"raw HTML on the page: {raw}"
    for exercise, solution, _ in exercises_in(json.loads((NOTEBOOKS / f"{name}.ipynb").read_text())):
        code = solution.splitlines()[0].split("#")[0].strip()  # its first line of code
        summary = page.locator(".jp-RenderedMarkdown summary", has_text=f"Solution {exercise}")
        summary.scroll_into_view_if_needed()
        shown = page.locator(".jp-RenderedMarkdown code", has_text=code)
        assert not shown.first.is_visible(), f"{exercise}'s code shows before it is asked for"
        summary.click()  # one click
        shown.first.wait_for(state="visible")


# --- every other numbered notebook -------------------------------------------------------------
@pytest.mark.parametrize("name", OTHERS)
def test_notebook_runs_all_cells_in_the_browser(page, lab, name):
    nb = run_all_and_check(page, lab, name)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    if name in FOLLOWS_ITS_PARAMETERS:
        FOLLOWS_ITS_PARAMETERS[name](nb, lab.root)


# --- what the browser's parameters change (BROWSER_PARAMETERS) ----------------------------------


def _png(nb, snippet) -> str:
    """The first PNG (base64) shown by the code cell containing `snippet`."""
    return next(o["data"]["image/png"] for o in cell_with(nb, snippet)["outputs"] if "image/png" in o.get("data", {}))


def _01_grid_follows_the_seed(nb, root):
    snippet = "show_digits(digits"
    assert _png(nb, snippet) != _png(executed("01_dataset"), snippet), "seed 7 draws other digits than seed 123"


def _04_custom_run_skips_the_checks_and_keeps_the_reference(nb, root):
    text = text_of(nb)
    assert "A custom run: its numbers will differ from the text's." in text
    assert "saved to ../checkpoints/04_custom.pt" in text
    assert not (root / "checkpoints" / "04_reference.pt").exists(), "a custom run must not overwrite the reference"
    assert load_checkpoint(root / "checkpoints" / "04_custom.pt")["config"] == Config(epochs=1)


def _05_trains_the_model_itself_when_04_has_not_run(nb, root):
    text = text_of(nb)
    assert "Note: missing.pt does not exist" in text and "so the MLP is trained here: 1 epoch(s) on 10%" in text
    assert not (root / "notebooks" / "missing.pt").exists()


FOLLOWS_ITS_PARAMETERS = {  # notebook -> a check of its browser run
    "01_dataset": _01_grid_follows_the_seed,
    "04_training": _04_custom_run_skips_the_checks_and_keeps_the_reference,
    "05_evaluating": _05_trains_the_model_itself_when_04_has_not_run,
}
