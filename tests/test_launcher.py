"""tools/lab.py ends what it starts, and gives JupyterLab Binder's settings without touching the user's own.

The launcher runs for real, from a copy under a temporary root (browser_support.launcher_root), and is
stopped as a person stops it: Ctrl-C or a closed terminal (a signal to its process group) or `kill`
(SIGTERM to it alone). Afterwards the port must be free, no server or kernel process left, and no
traceback printed. The browser test opens three notebooks in JupyterLab's tabs and closes them.
"""

import importlib.util
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS, Launched, launcher_root, port_is_free, require_chromium

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("lab", ROOT / "tools" / "lab.py")
lab = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lab)

# one cell: an empty notebook gets a cell on opening, and "Save your work?" when it closes
TINY = {"cells": [{"cell_type": "code", "id": "tiny", "metadata": {}, "source": "1 + 1", "outputs": [], "execution_count": None}], "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip


# --- the command line, without starting anything ---------------------------------------------------
def test_app_runs_voila_in_a_jupyter_server_at_binders_address_with_the_labs_root():
    as_root, as_user = lab.command(euid=0, app=True), lab.command(["--port=9000"], euid=1000, app=True)
    for cmd in (as_root, as_user):
        assert cmd[1:4] == ["-m", "jupyter", "server"], cmd
        assert f"--ServerApp.root_dir={ROOT}" in cmd
        assert "--ServerApp.default_url=/voila/render/notebooks/app.ipynb" in cmd  # Binder's urlpath, the same page
    assert "--allow-root" in as_root and "--allow-root" not in as_user and as_user[-1] == "--port=9000"
    assert (ROOT / lab.APP).is_file()


def test_app_without_voila_says_how_to_install_it(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "voila" else real(name, *a))
    assert lab.main(["--app"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "voila is not installed" in err and "pip install -r requirements.txt" in err
    assert lab.missing(app=False) == ""  # JupyterLab alone needs no Voila


def test_binder_settings_go_to_a_config_path_of_the_launchers_own(tmp_path):
    defaults, server = lab.binder_settings(tmp_path)
    assert defaults == tmp_path / "labconfig" / "default_setting_overrides.json"
    assert json.loads(defaults.read_text()) == json.loads((ROOT / "binder" / "overrides.json").read_text())
    assert server.read_text() == (ROOT / "binder" / "jupyter_server_config.py").read_text()
    env = lab.environment(tmp_path, base={"JUPYTER_CONFIG_PATH": "/mine", "GOMP_SPINCOUNT": "7"})
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == ["/mine", str(tmp_path)]  # a folder you named comes first
    assert env["GOMP_SPINCOUNT"] == "7"
    assert lab.environment(tmp_path, base={})["GOMP_SPINCOUNT"] == "1000"


# --- real servers, real signals --------------------------------------------------------------------
def stopped_cleanly(launched: Launched, sig: int, *, group: bool) -> str:
    """Signal the launcher; assert it exits 0 without a traceback, frees the port and leaves no process; its output."""
    code, output = launched.interrupt(sig, group=group)
    assert code == 0, f"tools/lab.py exited with {code} after {signal.Signals(sig).name}:\n{output[-3000:]}"
    stopping = output.partition(f"{signal.Signals(sig).name} received: stopping the server and its kernels")[2]
    assert stopping, f"tools/lab.py did not say it was stopping:\n{output[-3000:]}"
    # from then on nothing may print a traceback (before, the server logs its own races, e.g. a 500 while a kernel starts)
    assert "Traceback" not in stopping, stopping[-3000:]
    assert port_is_free(launched.port), f"something still listens on port {launched.port}"
    left = launched.left()
    assert not left, f"left running after {signal.Signals(sig).name}: {[(p.pid, p.name()) for p in left]}"
    return output


def start_kernel(launched: Launched) -> None:
    """Start a kernel through the REST API, as a notebook does, and wait until it answers."""
    from jupyter_client import BlockingKernelClient

    kernel = launched.api("POST", "api/kernels", {"name": "python3"})
    client = BlockingKernelClient(connection_file=str(launched.home / "runtime" / f"kernel-{kernel['id']}.json"))
    client.load_connection_file()
    client.start_channels(hb=False)  # no heartbeat: on a busy machine a slow first beat reads as a dead kernel
    try:  # ready, not just started: a kernel stopped while it still imports prints its KeyboardInterrupt
        client.kernel_info()
        client.get_shell_msg(timeout=60)  # the request waits in the socket until the kernel listens
    finally:
        client.stop_channels()
    launched.family()  # remembered, to check that it ends with the launcher


@pytest.mark.parametrize(
    ("sig", "group", "args"),
    [(signal.SIGHUP, True, ()), (signal.SIGTERM, False, ("--app",))],
    ids=["closed-terminal-lab", "kill-app"],
)
def test_signal_stops_the_server_and_its_kernels(tmp_path, sig, group, args):
    root = launcher_root(tmp_path / "root", files=["notebooks/app.ipynb"])
    with Launched(root, tmp_path / "home", *args) as launched:
        start_kernel(launched)
        stopped_cleanly(launched, sig, group=group)


@pytest.mark.skipif(sys.platform != "linux", reason="the server follows a killed launcher through Linux's prctl")
def test_a_killed_launcher_takes_its_server_and_kernels_along(tmp_path):
    # SIGKILL cannot be caught: the server, in a session of its own, is told by the kernel (PR_SET_PDEATHSIG)
    root = launcher_root(tmp_path / "root")
    with Launched(root, tmp_path / "home") as launched:
        start_kernel(launched)
        code, output = launched.interrupt(signal.SIGKILL, group=False)
        assert code == -signal.SIGKILL
        wait_for(lambda: port_is_free(launched.port) and not launched.left(), "the server and its kernel ended")


@pytest.mark.browser
def test_lab_closes_kernels_with_their_tabs_without_news_and_ctrl_c_ends_it(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    chromium = require_chromium()
    root = launcher_root(tmp_path / "root")
    names = ["first.ipynb", "second.ipynb", "third.ipynb"]
    (root / "notebooks").mkdir()
    for name in names:
        (root / "notebooks" / name).write_text(json.dumps(TINY))
    with Launched(root, tmp_path / "home") as launched, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(launched.url("lab/workspaces/launcher/tree/notebooks"), timeout=120_000)
        for name in names:  # opened as a person does: a double-click in the file browser, one tab each
            page.locator(".jp-DirListing-item").filter(has_text=name).dblclick()
            expect(tab(page, name)).to_have_count(1)
        wait_for(lambda: len(launched.api("GET", "api/kernels")) == 3, "three kernels, one per notebook")
        expect(page.get_by_text("official Jupyter news"), "the news question should not be asked").to_have_count(0)
        for name in names:
            close(page, name)
        wait_for(lambda: launched.api("GET", "api/kernels") == [], "every kernel shut down when its tab closed")
        browser.close()
        written = list((tmp_path / "home" / "settings").rglob("*.jupyterlab-settings"))
        assert not written, f"the launcher wrote the user's own JupyterLab settings: {written}"
        start_kernel(launched)  # one still running when Ctrl-C comes
        stopped_cleanly(launched, signal.SIGINT, group=True)


def tab(page, name: str):
    """JupyterLab's tab of the document `name`."""
    return page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=name)


def close(page, name: str) -> None:
    """Close the tab of `name` with its x; if JupyterLab asks to save (the kernel filled in the notebook's
    language_info), answer Discard, as a reader who changed nothing would."""
    from playwright.sync_api import expect

    tab(page, name).locator(".lm-TabBar-tabCloseIcon").click()
    discard = page.locator(".jp-Dialog button", has_text="Discard")
    wait_for(lambda: not tab(page, name).count() or discard.count(), f"{name} closed, or a question about saving it")
    if discard.count():
        discard.click()
    expect(tab(page, name)).to_have_count(0)


def wait_for(condition, what: str, timeout: float = 30) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds.

    An error from the server counts as "not yet": jupyter_server answers 500 to a kernel list asked
    for while a kernel is still starting (its last_activity is not set yet).
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except OSError:  # urllib's HTTPError included
            pass
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        time.sleep(0.2)
