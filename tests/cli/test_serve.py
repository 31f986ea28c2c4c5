"""``complaintlog serve``: the HTTP API and dashboard on a store, loopback unless locked."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from complaintlog.cli import app
from complaintlog.cli._serve import is_loopback


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(demo: tuple[str, str]) -> Iterator[str]:
    """`complaintlog --store DEMO serve --read-only` in a process of its own."""
    port = free_port()
    command = [sys.executable, "-m", "complaintlog.cli", "--store", demo[0], "--quiet"]
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port), "--read-only"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output = process.communicate()[0].decode(errors="replace")
            pytest.fail(f"complaintlog serve did not start: {output[-2000:]}")
        time.sleep(0.1)
    try:
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_serve_answers_the_endpoints_on_the_demo_store(served: str) -> None:
    with httpx.Client(base_url=served, timeout=30) as client:
        page = client.get("/complaints", params={"limit": 3}).json()
        assert len(page["items"]) == 3
        assert page["next_cursor"]
        first = page["items"][0]
        assert client.get(f"/complaints/by-ref/{first['external_ref']}").json() == {
            "id": first["id"]
        }
        state = client.get(f"/complaints/{first['id']}").json()
        assert state["external_ref"] == first["external_ref"]
        history = client.get(f"/complaints/{first['id']}/history").json()["items"]
        assert history[0]["event"] == "Received"
        for path in ("/agenda", "/breaches", "/statistics?period=year", "/health", "/"):
            assert client.get(path).status_code == 200, path
        refused = client.post("/complaints", json={})
        assert refused.status_code == 405  # --read-only: nothing records


def test_serve_refuses_another_host_without_authentication(demo: tuple[str, str]) -> None:
    result = CliRunner().invoke(app, ["--store", demo[0], "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refusing to serve on 0.0.0.0 without authentication" in result.output


def test_a_policy_without_required_authentication_does_not_unlock_another_host(
    demo: tuple[str, str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[roles.agent]\ncommands = ["receive"]\n', encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["--store", demo[0], "serve", "--host", "192.0.2.1", "--access-policy", str(policy)],
    )
    assert result.exit_code == 2
    assert "refusing to serve" in result.output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.0.2.1", False),
        ("example.org", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
