"""Changes through the UI and the API: roles, CSRF, the store's state and the audit log."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from dozvon.store import CampaignState, Store
from dozvon.store.models import AuditRow
from tests.integration.web.conftest import csrf_of
from tests.integration.web.site import PASSWORDS
from tests.integration.web.test_login import basic

CAMPAIGN = "confirm-tomorrow"


def state_of(store: Store, name: str = CAMPAIGN) -> CampaignState | None:
    with store.unit_of_work() as uow:
        row = uow.campaigns.get(name)
        return row.state if row else None


def audit(store: Store, prefix: str) -> list[tuple[str, str, str]]:
    with store.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(AuditRow).where(AuditRow.action.startswith(prefix)).order_by(AuditRow.id)
        )
        return [(r.actor, r.action, r.subject) for r in rows]


def pause_form(client: TestClient, name: str = CAMPAIGN, **extra: str) -> int:
    token = csrf_of(client.get("/").text)
    return client.post(
        f"/campaigns/{name}/pause", data={"csrf_token": token}, headers=extra
    ).status_code


def test_a_viewer_cannot_pause(login: Callable[[str], TestClient], store: Store) -> None:
    assert pause_form(login("viewer")) == 403
    assert state_of(store) is CampaignState.RUNNING


def test_an_operator_pauses_and_resumes(login: Callable[[str], TestClient], store: Store) -> None:
    client = login("operator")
    assert pause_form(client) == 303
    assert state_of(store) is CampaignState.PAUSED
    token = csrf_of(client.get("/").text)
    assert "Продолжить" in client.get("/").text
    client.post(f"/campaigns/{CAMPAIGN}/resume", data={"csrf_token": token})
    assert state_of(store) is CampaignState.RUNNING
    assert [a[:2] for a in audit(store, "campaign.")] == [
        ("web:operator", "campaign.paused"),
        ("web:operator", "campaign.running"),
    ]


def test_htmx_gets_the_table_back(login: Callable[[str], TestClient], store: Store) -> None:
    client = login("operator")
    token = csrf_of(client.get("/").text)
    answer = client.post(
        f"/campaigns/{CAMPAIGN}/pause", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert answer.status_code == 200
    assert answer.text.startswith('<table id="campaigns"')
    assert "на паузе" in answer.text


def test_a_post_without_csrf_token_is_forbidden(
    login: Callable[[str], TestClient], store: Store
) -> None:
    client = login("admin")
    assert client.post(f"/campaigns/{CAMPAIGN}/pause").status_code == 403
    assert client.post(f"/campaigns/{CAMPAIGN}/pause", data={"csrf_token": "x"}).status_code == 403
    assert state_of(store) is CampaignState.RUNNING


def test_an_unknown_campaign_is_404(login: Callable[[str], TestClient]) -> None:
    assert pause_form(login("admin"), "no-such") == 404


def test_a_configured_campaign_never_run_can_be_paused(
    login: Callable[[str], TestClient], store: Store
) -> None:
    with store.unit_of_work() as uow:
        uow.session.delete(uow.campaigns.get("lab-results"))
        uow.commit()
    client = login("operator")
    assert "не запускалась" in client.get("/").text
    assert pause_form(client, "lab-results") == 303
    assert state_of(store, "lab-results") is CampaignState.PAUSED


def test_the_api_with_a_session_needs_the_csrf_header(
    login: Callable[[str], TestClient], store: Store
) -> None:
    client = login("operator")
    assert client.post(f"/api/campaigns/{CAMPAIGN}/pause").status_code == 403
    token = csrf_of(client.get("/").text)
    answer = client.post(f"/api/campaigns/{CAMPAIGN}/pause", headers={"X-CSRF-Token": token})
    assert answer.json() == {"campaign": CAMPAIGN, "state": "paused"}
    assert state_of(store) is CampaignState.PAUSED


def test_the_api_by_basic_auth_follows_the_roles(client: TestClient, store: Store) -> None:
    viewer = basic("viewer", PASSWORDS["viewer"])
    operator = basic("operator", PASSWORDS["operator"])
    assert client.post(f"/api/campaigns/{CAMPAIGN}/pause", headers=viewer).status_code == 403
    assert state_of(store) is CampaignState.RUNNING
    assert client.post(f"/api/campaigns/{CAMPAIGN}/pause", headers=operator).status_code == 200
    assert state_of(store) is CampaignState.PAUSED
    assert client.post(f"/api/campaigns/{CAMPAIGN}/resume", headers=operator).status_code == 200
    assert state_of(store) is CampaignState.RUNNING


def test_do_not_call_add_and_remove_in_the_ui(
    login: Callable[[str], TestClient], store: Store
) -> None:
    client = login("operator")
    token = csrf_of(client.get("/do-not-call").text)
    form = {"phone": "8 (916) 000-11-22", "reason": "просил не звонить", "csrf_token": token}
    assert client.post("/do-not-call", data=form).status_code == 303
    with store.unit_of_work() as uow:
        assert uow.do_not_call.contains("+79160001122")
    page = client.get("/do-not-call").text
    assert "+79160001122" in page and "просил не звонить" in page
    removal = {"phone": "+79160001122", "csrf_token": token}
    assert client.post("/do-not-call/remove", data=removal).status_code == 303
    with store.unit_of_work() as uow:
        assert not uow.do_not_call.contains("+79160001122")
    assert audit(store, "do_not_call.") == [
        ("web:operator", "do_not_call.add", "+*********22"),
        ("web:operator", "do_not_call.remove", "+*********22"),
    ]


def test_a_bad_number_is_refused_with_a_reason(
    login: Callable[[str], TestClient], store: Store
) -> None:
    client = login("operator")
    token = csrf_of(client.get("/do-not-call").text)
    answer = client.post("/do-not-call", data={"phone": "12", "csrf_token": token})
    assert answer.status_code == 422
    assert "Номер не принят" in answer.text
    assert audit(store, "do_not_call.") == []


def test_a_viewer_sees_the_list_masked_and_cannot_edit(
    login: Callable[[str], TestClient], client: TestClient, store: Store
) -> None:
    operator = basic("operator", PASSWORDS["operator"])
    added = client.post("/api/do-not-call", json={"phone": "+79160001122"}, headers=operator)
    assert added.status_code == 201 and added.json() == {"phone": "+79160001122", "added": True}
    viewer = basic("viewer", PASSWORDS["viewer"])
    assert client.get("/api/do-not-call", headers=viewer).json()[0]["phone"] == "+*********22"
    assert client.get("/api/do-not-call", headers=operator).json()[0]["phone"] == "+79160001122"
    assert (
        client.post("/api/do-not-call", json={"phone": "+79160003344"}, headers=viewer).status_code
        == 403
    )
    page = login("viewer").get("/do-not-call").text
    assert "+79160001122" not in page and "+*********22" in page
    assert 'action="/do-not-call/remove"' not in page


def test_the_api_removes_a_number_given_in_the_body(client: TestClient, store: Store) -> None:
    operator = basic("operator", PASSWORDS["operator"])
    client.post("/api/do-not-call", json={"phone": "+79160001122"}, headers=operator)
    answer = client.request(
        "DELETE", "/api/do-not-call", json={"phone": "+79160001122"}, headers=operator
    )
    assert answer.json() == {"removed": True}
    again = client.request(
        "DELETE", "/api/do-not-call", json={"phone": "+79160001122"}, headers=operator
    )
    assert again.json() == {"removed": False}
    bad = client.post("/api/do-not-call", json={"phone": "abc"}, headers=operator)
    assert bad.status_code == 422
