"""Request logging: one line per request, and never a customer's personal data."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from http_support import NEW


def test_each_request_is_logged_by_route_template_without_personal_data(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = {
        **NEW,
        "customer": {"id": "C-9", "name": "Zora Tajna", "email": "zora@tajna.example"},
        "external_ref": "CRM-zora-tajna",
    }
    with caplog.at_level(logging.INFO, logger="complaintlog.http"):
        cid = client.post("/complaints", json=secret).json()["id"]
        client.get(f"/complaints/{cid}")
        client.get("/complaints/by-ref/CRM-zora-tajna")
        client.get("/complaints", params={"assignee": "Zora Tajna"})
        client.post("/complaints", json={**secret, "channel": "pigeon"})
        client.get("/ui/search", params={"ref": "zora@tajna.example"})
    lines = [r.getMessage() for r in caplog.records if r.name == "complaintlog.http"]
    assert [line.rsplit(" ", 1)[0] for line in lines] == [
        "POST /complaints 201",
        "GET /complaints/{complaint_id} 200",
        "GET /complaints/by-ref/{external_ref} 200",
        "GET /complaints 200",
        "POST /complaints 422",
        "GET /ui/search 404",
    ]
    text = "\n".join(lines).lower()
    for personal in ("zora", "tajna", cid):
        assert personal not in text
