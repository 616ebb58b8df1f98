"""Helpers for the real-browser tests: servers on 127.0.0.1, Debian's Chromium, offline pages.

Recipe: /work/shared/BROWSER_TESTING.md (JupyterLab and Voilà on 127.0.0.1 with their own
config folders, Playwright driving the Debian Chromium package, every request that leaves
127.0.0.1 blocked and counted, screenshots to a folder the test prints).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
LOCAL = ("http://127.0.0.1", "data:", "blob:")


def chromium_path() -> str:
    """The real Chromium executable of the Debian package (the `chromium` command is a wrapper)."""
    for path in ("/usr/lib/chromium/chromium", "/usr/lib/chromium-browser/chromium-browser"):
        if Path(path).exists():
            return path
    pytest.fail("Chromium is not installed: run `make system-deps` as root (it installs the Debian package)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(tmp: Path, quick: bool = True) -> dict[str, str]:
    """An environment of its own for a server and its kernels (no user settings, no Agg backend)."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        path = tmp / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    settings = tmp / "jupyter_config_dir" / "labconfig"
    settings.mkdir(parents=True, exist_ok=True)
    overrides = {
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}
    }
    lab_settings = Path(env["JUPYTER_DATA_DIR"]) / "lab" / "settings"
    lab_settings.mkdir(parents=True, exist_ok=True)
    (lab_settings / "overrides.json").write_text(json.dumps(overrides))
    user = tmp / "lab_user_settings"
    (user / "@jupyterlab" / "apputils-extension").mkdir(parents=True, exist_ok=True)
    (user / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env["JUPYTERLAB_SETTINGS_DIR"] = str(user)
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    if quick:
        env["CMSIM_QUICK"] = "1"
    else:
        env.pop("CMSIM_QUICK", None)
    env["CMSIM_PRECOMPILE"] = "0"
    return env


@contextmanager
def serve(cmd: list[str], url: str, env: dict[str, str], log: Path, timeout: float = 120) -> Iterator[None]:
    """Start a server in its own process group, wait until ``url`` answers; stop it at the end."""
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                cwd=env.get("SERVER_CWD", str(REPO)))  # fmt: skip
        try:
            end = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
                try:
                    urllib.request.urlopen(url, timeout=2)  # noqa: S310 - 127.0.0.1 only
                    break
                except Exception:
                    if time.monotonic() > end:
                        pytest.fail(
                            f"server did not answer {url} in {timeout:.0f} s: {log.read_text()[-2000:]}"
                        )
                    time.sleep(0.5)
            yield
        finally:
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                if proc.poll() is None:
                    try:
                        os.killpg(proc.pid, sig)
                    except ProcessLookupError:
                        break
                    try:
                        proc.wait(wait)
                    except subprocess.TimeoutExpired:
                        pass


@contextmanager
def jupyterlab(tmp: Path, notebook: Path) -> Iterator[tuple[str, str]]:
    """JupyterLab on 127.0.0.1 with a token, serving a copy of ``notebook``; yields (base url, token)."""
    root = tmp / "root"
    root.mkdir()
    shutil.copy(notebook, root / notebook.name)
    env = server_env(tmp)
    env["SERVER_CWD"] = str(root)
    port, token = free_port(), secrets.token_hex(16)
    cmd = [str(BIN / "jupyter"), "lab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with serve(cmd, f"{base}/api/status?token={token}", env, tmp / "jupyterlab.log"):
        yield base, token


@contextmanager
def voila(tmp: Path, notebook: Path, quick: bool = True) -> Iterator[str]:
    """The dashboard as `make dashboard` serves it (template `cmsim`), on a free port; yields its url."""
    env = server_env(tmp, quick)
    env["JUPYTER_PATH"] = str(REPO / "dashboard" / "share")
    port = free_port()
    cmd = [str(BIN / "voila"), str(notebook), "--template=cmsim", "--no-browser", "--Voila.ip=127.0.0.1",
           f"--port={port}"]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with serve(cmd, base + "/", env, tmp / "voila.log", timeout=60):
        yield base


class OfflinePage:
    """A Playwright page in Chromium where every request outside 127.0.0.1 is blocked and counted."""

    def __init__(self, browser: Any, shots: Path) -> None:
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.shots = shots
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(LOCAL):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_widgets_ok(self) -> None:
        text = self.page.inner_text("body")
        for bad in ("Loading widget", "Error displaying widget"):
            assert bad not in text, f"the page shows {bad!r}"

    _SIGNATURE = """() => {
        const img = document.querySelector('.cmsim-lab-chart');
        const table = document.querySelector('.cmsim-lab-table');
        const status = document.querySelector('.cmsim-lab-status');
        return [img ? img.src : '', table ? table.textContent : '', status ? status.textContent : ''];
    }"""

    def signature(self) -> tuple[str, str]:
        """What the outputs show: the chart image's source and the table's text."""
        src, table, _ = self.page.evaluate(self._SIGNATURE)
        return src, table

    def wait_for_change(
        self, before: tuple[str, str], timeout: float = 60.0
    ) -> tuple[tuple[str, str], float]:
        """Wait (polling in the page every 20 ms) until chart and table both differ from ``before``
        and the lab is no longer running; returns the new signature and the seconds waited."""
        t0 = time.monotonic()
        check = (
            "([src, table]) => { const [s, t, st] = (" + self._SIGNATURE + ")(); "
            "return s !== src && t !== table && !st.includes('running'); }"
        )
        try:
            self.page.wait_for_function(check, arg=list(before), polling=20, timeout=timeout * 1000)
        except Exception:
            pytest.fail(f"chart and table did not change within {timeout:.0f} s")
        return self.signature(), time.monotonic() - t0

    def status(self) -> str:
        return self.page.locator(".cmsim-lab-status").first.text_content() or ""

    def close(self) -> None:
        self.context.close()


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot_dir(name: str) -> Path:
    """A folder for the test's screenshots (kept after the test, and printed)."""
    root = Path(os.environ.get("CMSIM_SCREENSHOTS", REPO / "out" / "screenshots")) / name
    root.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {root}")
    return root
