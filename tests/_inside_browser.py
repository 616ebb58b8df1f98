"""Browser helpers of the *inside the model* tests: servers on 127.0.0.1, Debian's Chromium, offline.

The recipe of ``/work/shared/BROWSER_TESTING.md``: each server in its own process group with its
own Jupyter folders, stopped (SIGTERM, then SIGKILL) at the end; Playwright drives the Debian
Chromium package (never ``playwright install``); every request that leaves 127.0.0.1 is blocked
and counted; screenshots go to a folder the test prints.
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
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")


def chromium_path() -> str:
    """The real Chromium executable of the Debian package (the ``chromium`` command is a wrapper)."""
    for path in ("/usr/lib/chromium/chromium", "/usr/lib/chromium-browser/chromium-browser"):
        if Path(path).exists():
            return path
    pytest.fail("Chromium is not installed: run `make system-deps` as root (it installs the Debian package)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(tmp: Path) -> dict[str, str]:
    """An environment of its own for a server and its kernels: no user settings, no Agg backend,
    no news pop-up, the reduced sizes of ``CMSIM_QUICK=1``."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        (tmp / name.lower()).mkdir(parents=True, exist_ok=True)
        env[name] = str(tmp / name.lower())
    lab_settings = tmp / "jupyter_data_dir" / "lab" / "settings"
    lab_settings.mkdir(parents=True, exist_ok=True)
    news = {"fetchNews": "false", "checkForUpdates": False}
    (lab_settings / "overrides.json").write_text(
        json.dumps({"@jupyterlab/apputils-extension:notification": news})
    )
    user = tmp / "lab_user_settings" / "@jupyterlab" / "apputils-extension"
    user.mkdir(parents=True, exist_ok=True)
    (user / "notification.jupyterlab-settings").write_text(json.dumps(news))
    env["JUPYTERLAB_SETTINGS_DIR"] = str(tmp / "lab_user_settings")
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    env["CMSIM_QUICK"] = "1"
    env["CMSIM_PRECOMPILE"] = "0"
    return env


@contextmanager
def serve(
    cmd: list[str], url: str, env: dict[str, str], log: Path, cwd: Path, timeout: float = 180
) -> Iterator[None]:
    """Start a server in its own process group and wait until ``url`` answers; stop it at the end."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=cwd
        )
        try:
            end = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
                try:
                    urllib.request.urlopen(url, timeout=5)  # noqa: S310 - 127.0.0.1 only
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
    port, token = free_port(), secrets.token_hex(16)
    cmd = [str(BIN / "jupyter"), "lab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with serve(cmd, f"{base}/api/status?token={token}", server_env(tmp), tmp / "jupyterlab.log", root):
        yield base, token


@contextmanager
def solara_app(tmp: Path, app: Path) -> Iterator[str]:
    """``solara run APP`` on 127.0.0.1 (production mode, no browser); yields its url."""
    port = free_port()
    env = server_env(tmp)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    cmd = [str(BIN / "solara"), "run", str(app), "--host=127.0.0.1", f"--port={port}", "--production",
           "--no-open", "--no-check-version"]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with serve(cmd, base + "/", env, tmp / "solara.log", REPO):
        yield base


class OfflinePage:
    """A Playwright page in Chromium where every request outside 127.0.0.1 is blocked and counted."""

    def __init__(self, browser: Any, shots: Path) -> None:
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.shots = shots
        self.context = browser.new_context(viewport={"width": 1500, "height": 1100})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.missing: list[str] = []  # local addresses that answered 4xx or 5xx
        self.page.on(
            "response", lambda r: self.missing.append(f"{r.status} {r.url}") if r.status >= 400 else None
        )

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

    def images(self, selector: str = "img") -> list[str]:
        """The sources of the page's images (a signature of what the pictures show)."""
        return self.page.locator(selector).evaluate_all("els => els.map(e => e.src || '')")

    def wait_until(self, what: str, check: Any, timeout: float = 60.0) -> None:
        """Poll ``check()`` every 100 ms until it is true."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if check():
                return
            time.sleep(0.1)
        pytest.fail(f"{what}: not seen within {timeout:.0f} s (screenshots in {self.shots})")

    def close(self) -> None:
        self.context.close()


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (skips only where Playwright is not installed)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra: make test")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def shots_folder(name: str) -> Path:
    """A folder for the screenshots of one test, printed so a person can look at them."""
    folder = REPO / "out" / "screenshots" / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"\nscreenshots: {folder}")
    return folder


@contextmanager
def static_files(tmp: Path, folder: Path) -> Iterator[str]:
    """``python -m http.server`` on 127.0.0.1 serving ``folder``; yields its url."""
    port = free_port()
    cmd = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(folder)]
    base = f"http://127.0.0.1:{port}"
    with serve(cmd, base + "/", server_env(tmp), tmp / "http.log", folder, timeout=30):
        yield base
