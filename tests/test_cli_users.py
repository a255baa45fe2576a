"""`bizext users set-password` and the demo's accounts: people get passwords from the command line too, and
`bizext demo` prints logins that sign in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bizext.api.app import create_app
from bizext.cli import app as cli
from bizext.config import Settings
from bizext.db.session import Database
from bizext.services import customers, passwords, staff
from bizext.services.principals import BOOTSTRAP_ADMIN
from tests.instants import TUE_01_DEC_2026_NOON_UTC

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite file with a staff member (with an e-mail address) and a customer (with a CRM number)."""
    url = f"sqlite:///{tmp_path / 'users.db'}"
    assert CliRunner().invoke(cli, ["migrate"], env={"BIZEXT_DATABASE_URL": url}).exit_code == 0
    database = Database(url, pool_size=1)
    with database.uow(write=True) as uow:
        staff.create(uow, BOOTSTRAP_ADMIN, name="Li Min", region="pudong", roles=["planner"],
                     email="li.min@example.com", phone=None, active=True, now=TUE_01_DEC_2026_NOON_UTC)
    with database.uow(write=True) as uow:
        customers.create(uow, BOOTSTRAP_ADMIN, name="Cold Store", contact_name=None, phone=None, email=None,
                         external_ref="CRM-0042", now=TUE_01_DEC_2026_NOON_UTC)
    yield database
    database.dispose()


def _run(database: Database, args: list[str], input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, args, input=input, env={"BIZEXT_DATABASE_URL": database.url},
                              catch_exceptions=False)


def _signs_in(database: Database, login: str, password: str) -> int:
    with TestClient(create_app(Settings(database_url=database.url), database=database)) as client:
        return client.post("/v1/sessions", json={"login": login, "password": password}).status_code


def test_set_password_from_stdin_lets_the_person_sign_in_with_their_default_login(database):
    result = _run(database, ["users", "set-password", "Li.Min@example.com", "--password-stdin"], PASSWORD + "\n")

    assert result.exit_code == 0, result.output
    assert "password set for li.min@example.com (staff: Li Min)" in result.output
    assert PASSWORD not in result.output
    assert _signs_in(database, "li.min@example.com", PASSWORD) == 201


def test_set_password_prompts_twice_without_echo(database):
    result = _run(database, ["users", "set-password", "crm-0042"], f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "(customer: Cold Store)" in result.output
    assert PASSWORD not in result.output
    assert _signs_in(database, "CRM-0042", PASSWORD) == 201


def test_set_password_again_changes_it(database):
    _run(database, ["users", "set-password", "crm-0042", "--password-stdin"], PASSWORD + "\n")

    again = _run(database, ["users", "set-password", "crm-0042", "--password-stdin"], "another long passphrase\n")

    assert again.exit_code == 0, again.output
    assert _signs_in(database, "crm-0042", PASSWORD) == 401
    assert _signs_in(database, "crm-0042", "another long passphrase") == 201


@pytest.mark.parametrize("login, password, message", [
    ("nobody@example.com", PASSWORD, "no account, staff e-mail or customer external_ref"),
    ("li.min@example.com", "too short", "15 to 256 characters"),
])
def test_set_password_refuses_an_unknown_login_or_a_short_password(database, login, password, message):
    result = _run(database, ["users", "set-password", login, "--password-stdin"], password + "\n")

    assert result.exit_code == 2
    assert message in result.stderr


def test_demo_prints_accounts_that_sign_in_and_the_console_and_portal_addresses(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = CliRunner().invoke(cli, ["demo"], env={"BIZEXT_DATABASE_URL": url}, catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8000/console/" in result.output
    assert "http://127.0.0.1:8000/portal/" in result.output
    password = re.search(r"password is\s+(\S+)", result.output).group(1)  # type: ignore[union-attr]
    logins = dict(re.findall(r"^  (\S+)\s+.*?: (admin|customer manager|customer \(portal\))", result.output, re.M))
    assert {"admin", "customer manager", "customer (portal)"} <= set(logins.values()), result.output
    database = Database(url, pool_size=1)
    try:
        for login in logins:
            assert _signs_in(database, login, password) == 201, login
        again = CliRunner().invoke(cli, ["demo"], env={"BIZEXT_DATABASE_URL": url}, catch_exceptions=False)
        assert re.findall(r"^  \S+", again.output, re.M)[:len(logins)] == \
            re.findall(r"^  \S+", result.output, re.M)[:len(logins)]
    finally:
        database.dispose()
