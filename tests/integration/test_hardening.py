"""Hardening of the service as it runs (issue 12, item 7): the real server's answers to large bodies and its
headers, the files it keeps secrets and records in, and what an operator sees when configuration or the store
is wrong."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from isp_ledger.api.app import create_app
from isp_ledger.bootstrap import build_ledger
from isp_ledger.config import ConfigError, Settings, redact_url
from isp_ledger.storage.keys import exposure
from tests.cli import isp_ledger
from tests.conftest import FakeClock

PASSWORD = "s3cret-Pa55"


# ------------------------------------------------------------------------------------------ the real server


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """``isp-ledger serve`` in a process of its own, on the test's store, with a 64 KiB body limit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", "from isp_ledger.cli import main; main()", "serve", "--port", str(port)],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("ISP_LEDGER_")}, **env,
             "ISP_LEDGER_MAX_BODY_BYTES": str(64 * 1024)},
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail((tmp_path / "serve.log").read_text())
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _exchange(url: str, head: bytes, body: Iterator[bytes]) -> tuple[bytes, int]:
    """Send ``head`` and then ``body`` until the server answers or stops reading; its answer's status line, and
    how many bytes of the body it had taken."""
    host, port = url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(head)
        conn.setblocking(False)
        answer = b""
        for chunk in body:
            with contextlib.suppress(BlockingIOError):
                answer += conn.recv(65536)
            if answer:
                break
            try:
                sent += conn.send(chunk)
            except BlockingIOError:
                time.sleep(0.01)
            except OSError:  # the server closed the connection
                break
        conn.setblocking(True)
        deadline = time.monotonic() + 10
        while b"\r\n" not in answer and time.monotonic() < deadline:
            answer += conn.recv(65536)
    return answer.split(b"\r\n", 1)[0], sent


def test_the_server_refuses_a_large_body_before_reading_it_and_does_not_name_itself(server: str) -> None:
    megabyte = b"x" * (1024 * 1024)
    started = time.monotonic()
    status, sent = _exchange(
        server, b"POST /v1/plans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 209715200\r\n\r\n", iter([megabyte] * 200),  # 200 MB announced, and no token
    )
    assert status == b"HTTP/1.1 413 Request Entity Too Large"
    assert sent < 32 * 1024 * 1024, f"{sent} bytes taken before the answer"
    status, sent = _exchange(
        server, b"POST /v1/plans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n", iter([b"100000\r\n" + megabyte + b"\r\n"] * 200),
    )
    assert status == b"HTTP/1.1 413 Request Entity Too Large"
    assert sent < 32 * 1024 * 1024, f"{sent} bytes taken before the answer"
    assert time.monotonic() - started < 10
    response = httpx.get(f"{server}/healthz")
    assert "server" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


# ------------------------------------------------------------------------------------------ files


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_store_and_its_wal_are_readable_by_their_owner_only(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "store" / "ledger.db"
    env = {"ISP_LEDGER_DATABASE_URL": f"sqlite:///{path}", "ISP_LEDGER_KEY_DIR": str(tmp_path / "keys")}
    old_umask = os.umask(0o022)
    try:
        ledger = build_ledger(env, clock=clock)
        try:
            ledger.accounts.add_user(name="Ada Admin", role="admin")
            files = [path, path.with_name("ledger.db-wal"), path.with_name("ledger.db-shm")]
            assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        finally:
            ledger.close()
    finally:
        os.umask(old_umask)


def test_a_store_readable_by_others_is_made_the_owners_alone(tmp_path: Path, clock: FakeClock,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "ledger.db"
    env = {"ISP_LEDGER_DATABASE_URL": f"sqlite:///{path}", "ISP_LEDGER_KEY_DIR": str(tmp_path / "keys")}
    build_ledger(env, clock=clock).close()
    path.chmod(0o644)  # as the previous release made it
    with caplog.at_level(logging.WARNING):
        build_ledger(env, clock=clock).close()
    assert _mode(path) == 0o600
    assert any(str(path) in record.getMessage() and "owner only" in record.getMessage() for record in caplog.records)


def test_a_key_directory_or_key_others_can_read_is_warned_about_at_start_up(
    env: dict[str, str], clock: FakeClock, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_dir = Path(env["ISP_LEDGER_KEY_DIR"])
    build_ledger(env, clock=clock).close()  # makes the keys, the owner's alone
    assert exposure(key_dir) == []
    key_dir.chmod(0o755)
    (key_dir / "upn-index.key").chmod(0o644)
    warnings = exposure(key_dir)
    assert len(warnings) == 2 and all("chmod" in w for w in warnings)
    result = isp_ledger(env, "users", "list")  # every command warns
    assert result.returncode == 0
    assert str(key_dir) in result.stderr and "upn-index.key" in result.stderr and "Warning" in result.stderr
    for name, value in env.items():  # and so does the service, however it is started
        monkeypatch.setenv(name, value)
    with caplog.at_level(logging.WARNING):
        create_app().state.ledger.close()
    assert sum("upn-index.key" in r.getMessage() for r in caplog.records) == 1


# ------------------------------------------------------------------------------------------ configuration and the store


def test_a_configuration_error_never_shows_the_database_password() -> None:
    url = f"postgresql://isp:{PASSWORD}@db.example:notaport/isp"
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"ISP_LEDGER_DATABASE_URL": url})
    assert PASSWORD not in str(refused.value) and "ISP_LEDGER_DATABASE_URL" in str(refused.value)
    settings = Settings.from_env({"ISP_LEDGER_DATABASE_URL": url.replace("notaport", "5432")})
    assert PASSWORD not in repr(settings) and PASSWORD not in repr(settings.database)
    assert settings.database.password == PASSWORD  # kept, only never shown
    result = isp_ledger({"ISP_LEDGER_DATABASE_URL": url}, "users", "list")
    assert result.returncode == 2 and PASSWORD not in result.stderr + result.stdout
    assert redact_url(f"postgresql://u:{PASSWORD}@h/db") == "postgresql://u:***@h/db"
    assert redact_url(f"postgresql://u:p@ss/{PASSWORD}@h/db") == "postgresql://u:***@h/db"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


UNREACHABLE = {
    "postgresql": lambda tmp: f"postgresql://isp:{PASSWORD}@127.0.0.1:{_closed_port()}/isp",
    "sqlite": lambda tmp: f"sqlite:///{tmp}/not-a-directory/ledger.db",
}
COMMANDS = [["serve"], ["project"], ["users", "list"], ["users", "add", "--name", "Ada", "--role", "admin"],
            ["demo"], ["verify", "3fa85f64-5717-4562-b3fc-2c963f66afa6"], ["rebuild"]]


@pytest.mark.parametrize("kind", list(UNREACHABLE))
def test_a_store_that_cannot_be_reached_is_one_clear_line_from_every_command(kind: str, tmp_path: Path) -> None:
    (tmp_path / "not-a-directory").write_text("a file where the store's directory should be")
    env = {"ISP_LEDGER_DATABASE_URL": UNREACHABLE[kind](tmp_path), "ISP_LEDGER_KEY_DIR": str(tmp_path / "keys")}
    for command in COMMANDS:
        result = isp_ledger(env, *command)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 3, (command, result.stderr)
        assert len(lines) == 1 and "Traceback" not in result.stderr, (command, result.stderr)
        assert lines[0].startswith(("Cannot reach the store", "Cannot use the store")), lines[0]
        assert PASSWORD not in result.stderr + result.stdout
