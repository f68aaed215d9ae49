"""What each page shows: today's numbers, masked phones, the report and its files, the
outcomes the MIS has not got, scenarios and the doctor's checks."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from dozvon.store import Store
from dozvon.store.models import AuditRow
from tests.integration.web.site import PATIENTS, TODAY, Seeded

PHONES = [phone for phone, _, _ in PATIENTS]
NAMES = [name for _, name, _ in PATIENTS]


def test_the_dashboard_shows_todays_numbers(login: Callable[[str], TestClient]) -> None:
    page = login("viewer").get("/").text
    row = page.split('data-campaign="confirm-tomorrow"')[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split('<td class="num">')[1:3]]
    assert cells == ["1", "1"]  # one waiting, one call in progress
    assert "подтвердил: 1" in row
    assert "нет ответа: 1" in row
    assert "не запускалась" not in page


def test_phones_and_names_are_masked_in_lists(login: Callable[[str], TestClient]) -> None:
    client = login("admin")
    attempts = client.get("/attempts").text
    assert "+*********67" in attempts
    for path in ("/", "/attempts", "/report", "/undelivered"):
        body = client.get(path).text
        assert not any(phone in body for phone in PHONES), path
        assert not any(name in body for name in NAMES), path


def test_the_task_page_shows_the_full_number_and_is_audited(
    login: Callable[[str], TestClient], seeded: Seeded, store: Store
) -> None:
    page = login("operator").get(f"/tasks/{seeded.task_ids[0]}")
    assert page.status_code == 200
    assert PHONES[0] in page.text and NAMES[0] in page.text
    with store.unit_of_work() as uow:
        audit = uow.session.scalars(select(AuditRow).where(AuditRow.action == "task.viewed"))
        assert [(a.actor, a.subject) for a in audit] == [("web:operator", str(seeded.task_ids[0]))]


def test_a_viewer_cannot_open_the_task_page(
    login: Callable[[str], TestClient], seeded: Seeded
) -> None:
    assert login("viewer").get(f"/tasks/{seeded.task_ids[0]}").status_code == 403


def test_an_unknown_task_is_404(login: Callable[[str], TestClient]) -> None:
    assert login("admin").get("/tasks/9999").status_code == 404


def test_attempts_are_paginated(login: Callable[[str], TestClient]) -> None:
    client = login("viewer")
    first = client.get(f"/attempts?date={TODAY}").text
    assert "стр. 1 из 1" in first
    assert first.count('class="phone"') == 4
    assert client.get(f"/attempts?date={TODAY}&page=2").text.count('class="phone"') == 0
    assert client.get("/attempts?page=0").status_code == 422


def test_the_report_page_shows_the_funnel(login: Callable[[str], TestClient]) -> None:
    page = login("viewer").get(f"/report?date={TODAY}").text
    assert '<td class="num">всего / all</td><td class="num">3</td>' in page
    assert "Дозвон" in page


def test_the_report_downloads_as_csv_and_xlsx(login: Callable[[str], TestClient]) -> None:
    client = login("viewer")
    answer = client.get(f"/report.csv?date={TODAY}")
    assert answer.headers["content-disposition"].endswith(f'dozvon-report-{TODAY}.csv"')
    table = list(csv.reader(io.StringIO(answer.text)))
    assert table[0][:2] == ["attempt", "dialed"]
    assert table[-1][:2] == ["all", "3"]  # three finished attempts
    book = load_workbook(io.BytesIO(client.get(f"/report.xlsx?date={TODAY}").content))
    assert book.sheetnames == ["Воронка", "Не в МИС"]
    assert book["Не в МИС"].max_row == 4  # header + three outcomes not yet in the MIS


def test_a_bad_date_is_refused(login: Callable[[str], TestClient]) -> None:
    assert login("viewer").get("/report?date=26.11.2026").status_code == 422


def test_undelivered_shows_the_mis_error(login: Callable[[str], TestClient]) -> None:
    page = login("viewer").get("/undelivered").text
    assert "МИС ответила 500" in page
    assert "V1" in page


def test_scenarios_lists_the_built_in_ones(login: Callable[[str], TestClient]) -> None:
    page = login("viewer").get("/scenarios").text
    assert "Подтверждение записи на приём" in page
    assert "<code>confirm</code>" in page


def test_the_doctor_page_shows_the_checks(login: Callable[[str], TestClient]) -> None:
    page = login("admin").get("/doctor").text
    assert "Конфигурация / config" in page
    assert "status-" in page


def test_the_api_report_and_undelivered(login: Callable[[str], TestClient]) -> None:
    client = login("viewer")
    report = client.get(f"/api/report?date={TODAY}").json()
    assert report["day"] == str(TODAY)
    assert report["outcomes"] == {"confirmed": 1, "declined": 1, "no_answer": 1}
    undelivered = client.get("/api/undelivered").json()
    assert {u["appointment_id"] for u in undelivered} == {"V1", "V2"}
    assert any(u["last_error"].startswith("МИС ответила 500") for u in undelivered)


def test_pages_carry_security_headers(login: Callable[[str], TestClient]) -> None:
    headers = login("viewer").get("/").headers
    assert headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in headers["content-security-policy"]
