"""``pdacmine serve``: binds locally by default, refuses other hosts without a token, stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import Result

from pdacmine.web.security import check_bind, session_secret


def test_other_host_without_token_refuses_to_start(run_cli: Callable[..., Result]) -> None:
    result = run_cli("serve", "--host", "0.0.0.0")
    assert result.exit_code == 3
    assert "needs an access token" in result.stderr and "PDACMINE_SERVE_TOKEN" in result.stderr


def test_check_bind() -> None:
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "token")
    with pytest.raises(Exception, match="access token"):
        check_bind("192.168.1.5", None)


def test_session_secret_is_kept_private_and_stable(tmp_path: Path) -> None:
    first = session_secret(tmp_path)
    assert session_secret(tmp_path) == first and len(first) >= 32
    assert (tmp_path / "serve-secret").stat().st_mode & 0o077 == 0


def test_serve_prints_the_url_answers_and_stops_on_ctrl_c(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "none.toml").write_text("")  # an empty config file: no user settings (a missing one is an error)
    env = {**os.environ, "PDACMINE_CONFIG": str(tmp_path / "none.toml"), "XDG_CONFIG_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pdacmine", "--db", db_url, "serve", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("pdacmine workspace at http://127.0.0.1:"):
            pytest.fail(f"serve did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
        url = line.split()[3]
        page = httpx.get(url + "findings", timeout=30)
        assert page.status_code == 200 and "no findings" in page.text.lower()
        # a Host header naming another site is refused (DNS rebinding)
        assert httpx.get(url, headers={"Host": "evil.example"}, timeout=30).status_code == 400
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "stopped" in out


def test_busy_port_is_one_line(run_cli: Callable[..., Result]) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        result = run_cli("serve", "--port", str(port))
    assert result.exit_code == 3
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_connections_to_the_listening_socket_send_without_delay() -> None:
    """asyncio (so uvicorn) turns Nagle off on connections to a TCP-protocol socket: a response written as
    headers then body does not wait for the client's delayed ACK (40 ms a page on a kept-alive connection)."""
    import asyncio
    import socket

    from pdacmine.cli.serve import _listen

    sock = _listen("127.0.0.1", 0)
    flags: list[int] = []

    async def main() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            flags.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection(*sock.getsockname())
            while not flags:
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(main())
    assert flags and flags[0] != 0


def test_warm_up_moves_the_long_lived_objects_out_of_the_collectors_way() -> None:
    import gc

    from pdacmine.web import warm_up

    try:
        warm_up()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
