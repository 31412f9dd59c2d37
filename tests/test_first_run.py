"""A newcomer's first ten minutes: the README's two commands, as written, on a fresh clone in a virtual environment.

The fresh-clone test clones the repository's last commit (uncommitted changes are not in it, as on
CI), makes a virtual environment that sees this Python's packages (so nothing large downloads), and
runs the README's first command verbatim: it must install the clone's `helpers` into the venv and
start JupyterLab at the repository's root, on notebook 01, also as root. CI (.ci/run) runs the
second command the same way on its own clean clone; a test below keeps the two the same.
"""

import gzip
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser_support import free_port

from helpers.data import FILES, data_root, raw_folder

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("lab", ROOT / "tools" / "lab.py")  # the README's launcher
lab = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lab)


def readme_commands() -> list:
    """The indented command lines of README.md's "Two commands" section, in order."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ") and line.strip()]


def test_readme_has_exactly_two_commands_and_ci_runs_the_second():
    start, test = readme_commands()
    assert start == "pip install -r requirements.txt && python3 tools/lab.py", start
    assert test.startswith("pip install -q -r requirements.txt && python3 -m pytest"), test
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q -r requirements.txt" in ci and re.search(r"^python3? -m pytest$", ci, re.M)


def test_launcher_allows_root_only_for_root_and_opens_the_repository_on_01():
    as_root, as_user = lab.command(euid=0), lab.command(euid=1000)
    for cmd in (as_root, as_user):
        assert (
            f"--ServerApp.root_dir={ROOT}" in cmd and "--LabApp.default_url=/lab/tree/notebooks/01_dataset.ipynb" in cmd
        )
    assert "--allow-root" in as_root and "--allow-root" not in as_user
    assert lab.command(["--no-browser", "--port=9000"], euid=1000)[-2:] == ["--no-browser", "--port=9000"]
    assert (ROOT / lab.FIRST).is_file()


def _get(url, timeout=5):
    request = urllib.request.Request(url)
    opener = urllib.request.build_opener(_NoRedirect)
    return opener.open(request, timeout=timeout)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # show the redirect itself


def test_readme_first_command_on_a_fresh_clone_in_a_venv(tmp_path):
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    clone, venv, home = tmp_path / "clone", tmp_path / "venv", tmp_path / "home"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    port, token = free_port(), "first-run-test"
    env = {
        **os.environ,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(venv),
        "JUPYTER_PORT": str(port),
        "JUPYTER_TOKEN": token,
        "BROWSER": "true",  # `true`: a browser that opens nothing
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
    }
    env.pop("PYTHONPATH", None)
    start, _ = readme_commands()
    log = (tmp_path / "lab.log").open("wb")
    server = subprocess.Popen(
        ["bash", "-c", start], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # pip resolving from this disk, then the server's start
        while True:
            assert server.poll() is None, (tmp_path / "lab.log").read_text()[-3000:]
            assert time.monotonic() < deadline, (
                "JupyterLab did not answer:\n" + (tmp_path / "lab.log").read_text()[-3000:]
            )
            try:
                _get(f"{base}/api/status?token={token}")
                break
            except OSError:
                time.sleep(0.5)
        names = {item["name"] for item in json.load(_get(f"{base}/api/contents/?token={token}"))["content"]}
        assert {"README.md", "notebooks", "workshop", "helpers"} <= names  # the repository is the root, as on Binder
        try:
            _get(f"{base}/?token={token}")
            raise AssertionError("the start page did not redirect")
        except urllib.error.HTTPError as redirect:
            assert redirect.code == 302 and redirect.headers["Location"].startswith(
                "/lab/tree/notebooks/01_dataset.ipynb"
            )
        helpers_file = subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import helpers; print(helpers.__file__)"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout.strip()
        assert Path(helpers_file).is_relative_to(clone), f"pip installed helpers from {helpers_file}, not the clone"
        printed = (tmp_path / "lab.log").read_text()
        assert f"127.0.0.1:{port}/lab/tree/notebooks/01_dataset.ipynb?token=" in printed  # the link to open by hand
    finally:
        _stop_group(server)
        log.close()


def _stop_group(process):
    """SIGTERM to the process and everything it started (bash, pip, jupyter), then SIGKILL if needed."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:  # already gone
            return
        try:
            process.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            continue


def _pytest_with_mnist_root(root, tmp_path, **env):
    """Run one MNIST-free test of this suite in a fresh pytest, with MNIST_ROOT at `root`."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_config.py::test_config_defaults_are_dl4j_settings",
        ],
        cwd=ROOT,
        env={**os.environ, "MNIST_ROOT": str(root), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_without_mnist_and_network_the_run_stops_at_once_with_one_message(tmp_path):
    # a proxy on a closed port: every download attempt is refused at once, as on a machine offline
    done = _pytest_with_mnist_root(
        tmp_path / "empty", tmp_path, https_proxy="http://127.0.0.1:9", http_proxy="http://127.0.0.1:9"
    )
    output = done.stdout + done.stderr
    assert done.returncode == 4, output
    assert output.count("The tests need MNIST and could not get it.") == 1
    assert "MNIST_ROOT" in output and "Ways out" in output
    assert (
        not re.search(r"\d+ (passed|failed|errors?)\b", output) and "ERROR" not in output
    )  # no test ran, none errored


def test_missing_mnist_is_fetched_once_before_the_tests(tmp_path):
    # the .gz files in the raw folder stand in for the network: download() unpacks and checks them the same way
    raw = raw_folder(tmp_path / "data")
    raw.mkdir(parents=True)
    for name in FILES:
        with (
            open(raw_folder(data_root()) / name, "rb") as src,
            gzip.open(raw / f"{name}.gz", "wb", compresslevel=1) as dst,
        ):
            shutil.copyfileobj(src, dst)
    done = _pytest_with_mnist_root(tmp_path / "data", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("fetching it once") == 1 and "1 passed" in done.stdout
    assert all((raw / name).is_file() for name in FILES)
