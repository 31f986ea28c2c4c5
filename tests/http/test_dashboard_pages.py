"""The dashboard's pages as served, without a browser (and so without JavaScript)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from http_support import NEW, MovingClock


def test_the_agenda_fragment_is_what_the_page_refreshes_in_place(
    client: TestClient, moving_clock: MovingClock
) -> None:
    cid = client.post("/complaints", json=NEW).json()["id"]
    client.post(f"/complaints/{cid}/assign", json={"assignee": "ivo"})
    moving_clock.advance(timedelta(hours=2))  # the golden hour has passed
    page = client.get("/").text
    fragment = client.get("/ui/agenda").text
    assert 'data-refresh="http://testserver/ui/agenda"' in page
    assert fragment.startswith('<div id="agenda"')
    assert "CRM-5" in fragment
    assert "(overdue)" in fragment


def test_search_by_reference_works_without_script(client: TestClient) -> None:
    cid = client.post("/complaints", json=NEW).json()["id"]
    found = client.get("/ui/search", params={"ref": "CRM-5"}, follow_redirects=False)
    assert (found.status_code, found.headers["location"]) == (
        303,
        f"http://testserver/ui/complaints/{cid}",
    )
    missing = client.get("/ui/search", params={"ref": "CRM-404"})
    assert missing.status_code == 404
    assert "No complaint with the reference" in missing.text


def test_the_list_filters_and_pages_with_plain_links(client: TestClient) -> None:
    for number in range(3):
        cid = client.post("/complaints", json={**NEW, "external_ref": f"L-{number}"}).json()["id"]
        if number != 1:
            client.post(f"/complaints/{cid}/assign", json={"assignee": "ivo"})
    page = client.get("/ui/complaints", params={"assignee": "ivo"}).text
    assert "L-0" in page
    assert "L-2" in page
    assert "L-1" not in page
    assert 'rel="next"' not in page
