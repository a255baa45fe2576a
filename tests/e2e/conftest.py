"""Browser tests: a real `bizext serve` on a free port, on the suite's database (a fresh SQLite file, or a
fresh PostgreSQL database under BIZEXT_TEST_DATABASE_URL), driven through Debian's Chromium by Playwright.

Playwright's own browser download is never used (this machine's network reaches only package registries):
Chromium comes from Debian (`apt-get install chromium`; `.ci/run` installs it when missing). Screenshots of
every page a test visits go to tests/e2e/artifacts/ (kept out of git).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN
from tests.world import World

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")

CHROMIUM = os.environ.get("BIZEXT_E2E_CHROMIUM", "/usr/bin/chromium")
#: As root and without internet: no sandbox, and none of Chromium's own calls home.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PASSWORD = "e2e-password-1234"
STARTUP_SECONDS = 60
TIMEOUT_MS = 30_000  # generous: CI shares two cores


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(database: Any, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server process on the suite's (migrated) database; each test empties the tables first (`db`)."""
    port = _free_port()
    log = tmp_path_factory.mktemp("e2e") / "server.log"
    env = {**os.environ, "BIZEXT_DATABASE_URL": database_url, "BIZEXT_ADMIN_TOKEN": ADMIN_TOKEN,
           "BIZEXT_DB_POOL_SIZE": "3", "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "bizext", "serve", "--host", "127.0.0.1", "--port",
                                    str(port), "--no-worker"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{server.base_url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not ready after {STARTUP_SECONDS}s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the group of the one server this fixture started
                process.wait(timeout=15)


@pytest.fixture
def http(server: Server, db: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def world(http: httpx.Client) -> World:
    return World.build(http, ADMIN_TOKEN)  # type: ignore[arg-type]  # httpx.Client has TestClient's API


def give_password(world: World, login: str, *, staff_id: str | None = None, customer_id: str | None = None) -> str:
    """Give a person a login and password through the admin API, as an admin would."""
    path = f"/v1/staff/{staff_id}/password" if staff_id else f"/v1/customers/{customer_id}/password"
    world.ok(world.client.put(path, json={"login": login, "password": PASSWORD}, headers=world.admin.headers))
    return login


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    for old in ARTIFACTS.glob("*.png"):  # this run's screenshots only
        old.unlink()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Screens:
    """Numbered screenshots of one test, full page."""

    def __init__(self, test_name: str):
        self.prefix = re.sub(r"\W+", "-", test_name).strip("-")
        self.n = 0
        ARTIFACTS.mkdir(exist_ok=True)

    def __call__(self, page: Any, what: str) -> Path:
        self.n += 1
        path = ARTIFACTS / f"{self.prefix}-{self.n:02d}-{what}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def screens(request: pytest.FixtureRequest) -> Screens:
    return Screens(request.node.name)


@pytest.fixture
def new_page(browser: Any, server: Server) -> Iterator[Any]:
    """new_page(lang="en"): a page in a context of its own (its own sessionStorage: one person each).
    JavaScript errors on the page fail the test."""
    contexts, errors = [], []

    def make(lang: str = "en") -> Any:
        context = browser.new_context(base_url=server.base_url, viewport={"width": 1280, "height": 900},
                                      locale="zh-CN" if lang == "zh" else "en-GB", timezone_id="Asia/Shanghai")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def sign_in(page: Any, app: str, login: str, password: str = PASSWORD) -> None:
    page.goto(f"/{app}/")
    page.get_by_label(re.compile("^(Login|账号)$")).fill(login)
    page.get_by_label(re.compile("^(Password|密码)$")).fill(password)
    page.get_by_role("button", name=re.compile("^(Sign in|登录)$")).click()
    page.get_by_role("button", name=re.compile("^(Sign out|退出)$")).wait_for()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name=re.compile("^(Sign out|退出)$")).click()
    page.get_by_role("heading", name=re.compile("^(Sign in|登录)$")).wait_for()


UNLABELLED_FIELDS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter((el) => el.type !== 'hidden' && !(el.labels && el.labels.length)
    && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map((el) => el.outerHTML.slice(0, 120))"""
UNNAMED_CONTROLS = """() => [...document.querySelectorAll('button, a[href], summary')]
  .filter((el) => !(el.textContent || '').trim() && !el.getAttribute('aria-label'))
  .map((el) => el.outerHTML.slice(0, 120))"""


def check_accessibility_basics(page: Any) -> None:
    """Every form field has a label, every button, link and disclosure has a name."""
    assert page.evaluate(UNLABELLED_FIELDS) == [], "form fields without a label"
    assert page.evaluate(UNNAMED_CONTROLS) == [], "controls without an accessible name"
