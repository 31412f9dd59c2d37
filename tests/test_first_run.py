"""A newcomer's first ten minutes: the README's two commands, as written, on a fresh clone in a virtual environment.

The fresh-clone test clones the repository's last commit (uncommitted changes are not in it, as on
CI), makes a virtual environment that sees this Python's packages through a .pth file, with pip barred
from every index (nothing downloads: a package the command needs and this Python lacks fails the test),
and runs the README's first command verbatim: it must install the clone's `helpers` into the venv and
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
import site
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser_support import free_port

from helpers.data import FILES, mnist_root, raw_folder

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
    # the first installs what a reader needs (requirements.txt), the second the test tools on top
    assert test.startswith("pip install -q -r requirements-test.txt && python3 -m pytest"), test
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q -r requirements-test.txt" in ci and re.search(r"^python3? -m pytest$", ci, re.M)
    assert re.search(r'"\$status" -eq 5', ci), ".ci/run must fail when pytest collects no tests (exit 5)"


def test_readme_shows_the_app_and_how_to_start_it():
    readme = (ROOT / "README.md").read_text()
    assert "python3 tools/lab.py --app" in readme, "README.md: say how to start the app"
    assert "](docs/app.png)" in readme and (ROOT / "docs" / "app.png").is_file(), "README.md: show docs/app.png"


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


def offline_venv(venv: Path) -> dict:
    """A virtual environment at `venv` that sees this Python's packages, and the environment to run commands in.

    No pip of its own (it would bring an old setuptools that cannot build `-e .`): its `pip` runs this
    Python's pip inside the venv, with no index and no build isolation, so that nothing is downloaded.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site_packages = next(venv.glob("lib/python3*/site-packages"))
    (site_packages / "this_python.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    pip = venv / "bin" / "pip"
    pip.write_text(f'#!/bin/sh\nexec "{venv / "bin" / "python"}" -m pip "$@"\n')
    pip.chmod(0o755)
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(venv)}
    env.update(PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    return env


def wait_for_server(server, base: str, token: str, log: Path, *, timeout: float = 300) -> None:
    """Wait until the server at `base` answers; fail with the end of `log` if it exits or `timeout` s pass."""
    deadline = time.monotonic() + timeout  # pip resolving from this disk, then the server's start
    while True:
        assert server.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, "JupyterLab did not answer:\n" + log.read_text()[-3000:]
        try:
            _get(f"{base}/api/status?token={token}")
            return
        except OSError:
            time.sleep(0.5)


def test_readme_first_command_on_a_fresh_clone_in_a_venv(tmp_path):
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    clone, venv, home = tmp_path / "clone", tmp_path / "venv", tmp_path / "home"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    port, token = free_port(), "first-run-test"
    env = {
        **offline_venv(venv),
        "JUPYTER_PORT": str(port),
        "JUPYTER_TOKEN": token,
        "BROWSER": "true",  # `true`: a browser that opens nothing
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
    }
    start, _ = readme_commands()
    log = (tmp_path / "lab.log").open("wb")
    server = subprocess.Popen(
        ["bash", "-c", start], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(server, base, token, tmp_path / "lab.log")
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
    """SIGTERM to the process and everything it started (bash, pip, the launcher, which stops its server), then
    SIGKILL to whatever is left, also outside the group (the launcher runs its server in a session of its own)."""
    import psutil

    try:
        family = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:  # already gone
            break
        try:
            process.wait(timeout=20)
            break
        except subprocess.TimeoutExpired:
            continue
    _, alive = psutil.wait_procs(family, timeout=10)
    for leftover in alive:
        leftover.kill()


def _checkout_copy(copy: Path) -> Path:
    """A copy of this checkout without its data, so that a first run's data/ is the copy's own."""
    shutil.copytree(
        ROOT, copy, ignore=shutil.ignore_patterns(".git", "data", "test-output", "checkpoints", "*.egg-info")
    )
    return copy


def _pytest_offline_in(copy: Path):
    """One MNIST-free test of the suite in a fresh pytest in `copy`, MNIST_ROOT unset, every download refused at once."""
    env = {k: v for k, v in os.environ.items() if k not in ("MNIST_ROOT", "PYTHONPATH")}
    env.update(PYTHONPATH=str(copy), https_proxy="http://127.0.0.1:9", http_proxy="http://127.0.0.1:9")  # a closed port
    test = "tests/test_config.py::test_config_defaults_are_dl4j_settings"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_without_mnist_and_network_the_run_stops_at_once_with_one_message_and_leaves_nothing(tmp_path):
    copy = _checkout_copy(tmp_path / "clone")
    done = _pytest_offline_in(copy)
    output = done.stdout + done.stderr
    assert done.returncode == 4, output
    assert output.count("The tests need MNIST and could not get it.") == 1
    assert "MNIST_ROOT" in output and "Ways out" in output and "the download failed" in output
    assert not re.search(r"\d+ (passed|failed|errors?)\b", output) and "ERROR" not in output  # no test ran
    assert not (copy / "data").exists(), "a failed first download leaves no empty folders"


def test_missing_mnist_is_fetched_once_into_data_before_the_tests(tmp_path):
    copy = _checkout_copy(tmp_path / "clone")
    raw = raw_folder(copy / "data")  # .gz copies there stand in for the network: torchvision unpacks and checks them
    raw.mkdir(parents=True)
    for name in FILES:
        with (
            open(raw_folder(mnist_root()) / name, "rb") as src,
            gzip.open(raw / f"{name}.gz", "wb", compresslevel=1) as dst,
        ):
            shutil.copyfileobj(src, dst)
    done = _pytest_offline_in(copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("fetching it once") == 1 and "1 passed" in done.stdout
    assert all((raw / name).is_file() for name in FILES)
