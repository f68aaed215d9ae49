"""The day's report as files: CSV and XLSX, shared by `dozvon report` and the web UI."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import IO

from dozvon.campaign.report import CampaignReport

FUNNEL = [
    ("attempt", "Попытка / attempt"),
    ("dialed", "Набрано / dialed"),
    ("answered", "Ответили / answered"),
    ("human", "Человек / human"),
    ("identity_confirmed", "Личность / identity"),
    ("confirmed", "Подтвердили / confirmed"),
    ("declined", "Отказ / declined"),
    ("rescheduled", "Перенос / rescheduled"),
    ("written_back", "В МИС / written back"),
]


def rows(report: CampaignReport) -> list[list[object]]:
    return [[getattr(row, key) for key, _ in FUNNEL] for row in report.funnel]


def as_csv(report: CampaignReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([key for key, _ in FUNNEL])
    writer.writerows(rows(report))
    return buffer.getvalue()


def as_xlsx(report: CampaignReport, target: Path | IO[bytes]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    funnel = book.active
    assert funnel is not None
    funnel.title = "Воронка"
    funnel.append([title for _, title in FUNNEL])
    for row in rows(report):
        funnel.append(row)
    missing = book.create_sheet("Не в МИС")
    missing.append(["appointment_id", "attempt", "outcome", "tries", "last_error"])
    for item in report.not_in_mis:
        missing.append(
            [item.appointment_id, item.attempt, item.outcome, item.tries, item.last_error]
        )
    book.save(target)
