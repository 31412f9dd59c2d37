"""The app (notebooks/app.ipynb in Voila, started by `python3 tools/lab.py --app`), used as a person uses it.

The browser test starts the launcher from a temporary root without checkpoints (as on Binder, or a
fresh clone), opens the page in Chromium and times the first screen, checks that no code shows, moves
the learning-rate slider, trains, makes a run diverge, waits while the page trains the drawing pad's
networks, draws two digits with the mouse, opens a second tab (a kernel of its own), closes both
tabs (their kernels end), and stops the launcher with Ctrl-C. Memory of the server and kernel is
measured throughout the single-tab part. Screenshots go to test-output/app/ (app.png is the README's
picture: copy it to docs/app.png). The headless test runs the notebook without a browser, with
checkpoints in place.
"""

import re
import signal
import time
from pathlib import Path

import nbformat
import pytest
from browser_support import (
    BINDER_MEMORY,
    CHROMIUM_ARGS,
    Launched,
    PeakMemory,
    draw_stroke,
    launcher_root,
    port_is_free,
    require_chromium,
)
from nbclient import NotebookClient
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "notebooks" / "app.ipynb"
SHOTS = ROOT / "test-output" / "app"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
EMPTY = "Nothing drawn yet: draw a digit."  # helpers.drawing's message, as notebook 08 shows it


# --- without a browser ---------------------------------------------------------------------------
def test_app_notebook_shows_only_widgets_and_loads_saved_networks(tmp_path):
    from helpers.checkpoint import save_checkpoint
    from helpers.config import CNN_RECIPE, Config
    from helpers.model import build

    root = tmp_path / "root"
    (root / "notebooks").mkdir(parents=True)
    for name, config in {"04_reference.pt": Config(), "cnn.pt": Config(**CNN_RECIPE)}.items():
        save_checkpoint(root / "checkpoints" / name, build(config), config)  # untrained: only loading is tested
    nb = nbformat.read(APP, as_version=4)
    cells = len(nb.cells)
    nb.cells.append(  # test-only: wait for the networks' thread, then report what the page shows
        nbformat.v4.new_code_cell(
            "import threading\n"
            "[t.join(90) for t in threading.enumerate() if t.name == 'app-networks']\n"
            "print(pad_status.value)\n"
            "print(len(pad_area.children), len(pg.fit_set), len(pg.val_set), sorted(networks))"
        )
    )
    NotebookClient(nb, timeout=180, resources={"metadata": {"path": str(root / "notebooks")}}).execute()
    app_outputs = [o for cell in nb.cells[:cells] for o in cell.get("outputs", [])]
    assert not [o for o in app_outputs if o["output_type"] in ("error", "stream")], "the page shows text or errors"
    assert sum(WIDGET_VIEW in o.get("data", {}) for o in app_outputs) == 2, "the playground and the pad's area"
    said = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "Loaded the MLP from ../checkpoints/04_reference.pt" in said, said
    assert "Loaded the CNN from ../checkpoints/cnn.pt" in said, said
    assert "2 55000 5000 ['CNN', 'MLP']" in said, said  # the pad is shown; the playground trains on the fit set


# --- in the browser ------------------------------------------------------------------------------
@pytest.mark.browser
def test_app_in_the_browser(tmp_path):
    chromium = require_chromium()
    SHOTS.mkdir(parents=True, exist_ok=True)
    root = launcher_root(tmp_path / "root", files=["notebooks/app.ipynb"])  # no checkpoints/: as on Binder
    with Launched(root, tmp_path / "home", "--app") as app, sync_playwright() as p:
        log = app.log_path.read_text()
        assert f"127.0.0.1:{app.port}/voila/render/notebooks/app.ipynb?token=" in log, "the printed link opens the app"
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        tabs = browser.new_context(viewport={"width": 1280, "height": 1000})  # one window: its pages are tabs
        page = tabs.new_page()
        page.set_default_timeout(60_000)
        with PeakMemory(app.rss) as memory:
            seconds = first_screen(page, app)
            use_the_playground(page)
            use_the_pad(page)
        page.set_viewport_size({"width": 1280, "height": 1380})  # the whole app, for the README
        page.screenshot(path=str(SHOTS / "app.png"))
        second_tab(tabs, page, app)
        browser.close()
        code, output = app.interrupt(signal.SIGINT)  # Ctrl-C in the launcher's terminal
        assert code == 0 and "Traceback" not in output.partition("SIGINT received")[2], output[-3000:]
        assert port_is_free(app.port) and not app.left(), "the server or a kernel outlived Ctrl-C"
    print(
        f"\napp: title after {seconds[0]:.1f} s, controls after {seconds[1]:.1f} s; "
        f"server + kernel peaked at {memory.peak / 2**20:.0f} MiB"
    )
    assert memory.peak < BINDER_MEMORY, f"server + kernel peaked at {memory.peak / 1e9:.2f} GB, over Binder's 2 GB"


def first_screen(page, app: Launched) -> tuple:
    """Open the app; return the seconds until its title and until its sliders show; check that no code shows and
    that the pad says what it waits for."""
    opened = time.monotonic()
    page.goto(app.url("voila/render/notebooks/app.ipynb"), wait_until="commit", timeout=120_000)
    page.get_by_role("heading", name=re.compile("MNIST for Beginners")).wait_for(timeout=120_000)
    title = time.monotonic() - opened
    page.locator("[role=slider]").first.wait_for(timeout=120_000)
    seconds = (title, time.monotonic() - opened)
    # markdown renders inside an input area too: only code cells' inputs, editors and prompts count
    expect(page.locator(".jp-CodeCell .jp-InputArea, .jp-Editor, .cm-editor, .jp-InputPrompt")).to_have_count(0)
    text = page.locator("body").inner_text()
    assert not re.search(r"\bimport |load_mnist\(|Traceback|Error", text), f"code or an error on the page: {text[:500]}"
    # no checkpoints here: the pad's networks train first, and the page says so while the playground is usable
    expect(page.get_by_text(re.compile(r"Training the (MLP|CNN) for 1 epoch, since \.\./checkpoints/"))).to_be_visible()
    page.screenshot(path=str(SHOTS / "1-first-screen.png"))
    return seconds


def slider(page, label: str):
    """The slider whose label reads `label`."""
    return page.locator("div.widget-slider").filter(
        has=page.locator("label.widget-label", has_text=re.compile(f"^{re.escape(label)}$"))
    )


def press(page, label: str, *keys: str, shows: str) -> None:
    """Focus a slider's handle and press `keys`, as with the keyboard; check its readout, then let the kernel have it."""
    handle = slider(page, label).locator("[role=slider]")
    handle.focus()
    for key in keys:
        handle.press(key)
    expect(slider(page, label).locator(".widget-readout")).to_have_text(shows)
    time.sleep(1.0)  # ipywidgets sends a slider's moves throttled, a click at once: a reader's pause


def rows(page) -> list:
    """The run table as [{column: text}], one per run."""
    table = page.locator(".widget-html table").filter(has=page.locator("th", has_text="learning rate"))
    if not table.count():
        return []
    header = [h.strip() for h in table.locator("th").all_inner_texts()]
    return [
        dict(zip(header, (c.strip() for c in r.locator("td").all_inner_texts())))
        for r in table.locator("tbody tr").all()
    ]


def train(page, *, runs: int, timeout: float = 240) -> dict:
    """Click Train; wait until the table has `runs` rows, the last one finished, and the curves were redrawn; its row."""
    curves = page.locator("img.widget-image").first
    before = curves.get_attribute("src")
    page.locator("button.widget-button", has_text=re.compile("^Train$")).click()
    deadline = time.monotonic() + timeout
    while not (len(rows(page)) == runs and rows(page)[-1]["status"] != "running"):
        assert time.monotonic() < deadline, f"run #{runs} did not finish within {timeout:.0f} s: {rows(page)}"
        time.sleep(0.3)
    assert curves.get_attribute("src") != before, "the curves were not redrawn"
    return rows(page)[-1]


def use_the_playground(page) -> None:
    """A short run after moving the learning rate, then one so large that it diverges, with the notebooks' message."""
    assert page.get_by_text("No runs yet.").is_visible()
    press(page, "learning rate", "ArrowRight", shows="0.01")  # from DL4J's 0.006
    press(page, "epochs", "Home", shows="1")
    press(page, "training share", "Home", "ArrowRight", "ArrowRight", "ArrowRight", shows="10%")
    row = train(page, runs=1)
    # 10% of the 55,000 images left after the validation split: the playground trains on the fit set
    assert row["learning rate"] == "0.01" and row["training images"] == "10% (5,500)" and row["status"] == "done", row
    assert re.fullmatch(r"\d\d\.\d\d%", row["validation accuracy"]), row
    page.screenshot(path=str(SHOTS / "2-trained.png"))
    press(page, "learning rate", "End", shows="10")
    row = train(page, runs=2)
    assert row["status"] == "diverged", row
    status = page.locator(".widget-html", has_text="Run #2 diverged")
    expect(status).to_contain_text("Diverged: at step")  # helpers.guard's words, as in notebook 06
    expect(status).to_contain_text("the learning rate 10 is too high")


def readings(summary) -> dict:
    """{'MLP': '1 (97%)', 'CNN': ...} from the reader's line 'MLP reads 1 (97%) · CNN reads 1 (99%)'."""
    return dict(re.findall(r"(MLP|CNN) reads (\d \(\d+%\))", summary.inner_text()))


def use_the_pad(page) -> None:
    """Wait for the pad; Clear shows the plain message; a 1, then a 7, drawn with the mouse change both readings."""
    canvas = page.locator("canvas.mnist-pad")
    canvas.wait_for(timeout=300_000)  # both networks train first: 1 epoch each
    expect(page.get_by_text("so the MLP is trained here: 1 epoch(s)")).to_be_visible()
    expect(page.get_by_text("so the CNN is trained here: 1 epoch(s)")).to_be_visible()
    canvas.scroll_into_view_if_needed()
    summary = page.locator(".widget-html").filter(has_text=re.compile("draw a digit|reads")).last
    preview = page.locator(".widget-output img").last
    expect(summary).to_have_text(EMPTY)
    blank = preview.get_attribute("src")
    draw_stroke(page, canvas, [(0.5, 0.15), (0.5, 0.85)])  # a 1: one stroke down
    expect(summary).to_contain_text("CNN reads")
    one = readings(summary)
    assert one.keys() == {"MLP", "CNN"}, summary.inner_text()
    expect(preview).not_to_have_attribute("src", blank)
    page.locator("button.mnist-pad-clear").click()
    expect(summary).to_have_text(EMPTY)
    expect(preview).to_have_attribute("src", blank)
    draw_stroke(page, canvas, [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])  # a 7: across, then down to the left
    expect(summary).to_contain_text("CNN reads")
    expect(preview).not_to_have_attribute("src", blank)  # the picture follows the words (it comes a moment later)
    seven = readings(summary)
    changed = [name for name in one if one[name] != seven[name]]
    assert changed == ["MLP", "CNN"], f"after a 1: {one}; after a 7: {seven}"
    print(f"\napp: a 1 reads {one}, a 7 reads {seven}")


def second_tab(tabs, page, app: Launched) -> None:
    """A second tab gets a kernel of its own and a fresh app; closing a tab ends its kernel, not the other's."""
    assert len(app.api("GET", "api/kernels")) == 1
    other = tabs.new_page()
    other.goto(app.url("voila/render/notebooks/app.ipynb"), timeout=120_000)
    other.locator("[role=slider]").first.wait_for(timeout=120_000)
    expect(other.get_by_text("No runs yet.")).to_be_visible()  # the first tab has two runs: not shared
    expect(slider(other, "learning rate").locator(".widget-readout")).to_have_text("0.006")
    assert len(app.api("GET", "api/kernels")) == 2, "each tab has a kernel of its own"
    other.close(run_before_unload=True)  # as closing a tab does: Voila's page tells the server
    wait_until(lambda: len(app.api("GET", "api/kernels")) == 1, "the closed tab's kernel ended")
    page.locator("button.widget-button", has_text="Reset to DL4J").click()  # the first tab still works
    expect(slider(page, "learning rate").locator(".widget-readout")).to_have_text("0.006")
    page.close(run_before_unload=True)
    wait_until(lambda: app.api("GET", "api/kernels") == [], "the last tab's kernel ended")


def wait_until(condition, what: str, timeout: float = 30) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        time.sleep(0.2)
