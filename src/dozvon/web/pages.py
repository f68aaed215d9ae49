"""The read-only pages. Phone numbers appear masked everywhere except the task page, which
only operators and admins may open, and which leaves a line in the audit log."""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from dozvon.campaign.queries import not_in_mis
from dozvon.campaign.report_files import FUNNEL, as_csv, as_xlsx, rows
from dozvon.dialog.library import builtin, builtin_names
from dozvon.doctor import Status, run_checks
from dozvon.web import guards, queries
from dozvon.web.actions import actor
from dozvon.web.auth import Role, User
from dozvon.web.rendering import render
from dozvon.web.site import Site, get_site

router = APIRouter()
Viewer = Annotated[User, Depends(guards.page(Role.VIEWER))]
Operator = Annotated[User, Depends(guards.page(Role.OPERATOR))]
SiteDep = Annotated[Site, Depends(get_site)]
Day = Annotated[date | None, Query(alias="date")]


@router.get("/")
def dashboard(request: Request, user: Viewer, site: SiteDep) -> Response:
    return render(request, "dashboard.html", campaigns_context(site))


@router.get("/partials/campaigns")
def campaigns_partial(request: Request, user: Viewer, site: SiteDep) -> Response:
    """The table alone, for htmx's auto-refresh and for the pause/resume buttons."""
    return render(request, "_campaigns.html", campaigns_context(site))


def campaigns_context(site: Site) -> dict[str, object]:
    return {"day": site.today(), "campaigns": site.campaigns_today()}


@router.get("/report")
def report(request: Request, user: Viewer, site: SiteDep, day: Day = None) -> Response:
    result = site.report(day or site.today())
    context = {"report": result, "funnel_columns": FUNNEL, "funnel_rows": rows(result)}
    return render(request, "report.html", context)


@router.get("/report.csv")
def report_csv(user: Viewer, site: SiteDep, day: Day = None) -> Response:
    result = site.report(day or site.today())
    return Response(
        as_csv(result),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(f"dozvon-report-{result.day}.csv"),
    )


@router.get("/report.xlsx")
def report_xlsx(user: Viewer, site: SiteDep, day: Day = None) -> Response:
    result = site.report(day or site.today())
    buffer = io.BytesIO()
    as_xlsx(result, buffer)
    return Response(
        buffer.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=_attachment(f"dozvon-report-{result.day}.xlsx"),
    )


@router.get("/attempts")
def attempts(
    request: Request,
    user: Viewer,
    site: SiteDep,
    day: Day = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    the_day = day or site.today()
    lines, total = queries.attempts_of_day(site.store, the_day, site.zone, page)
    pages = max(1, -(-total // queries.PAGE_SIZE))
    context = {"day": the_day, "attempts": lines, "total": total, "page": page, "pages": pages}
    return render(request, "attempts.html", context)


@router.get("/tasks/{task_id}")
def task(request: Request, task_id: int, user: Operator, site: SiteDep) -> Response:
    detail = queries.task_detail(site.store, task_id)
    if detail is None:
        raise HTTPException(404, "Задачи нет / no such task")
    with site.store.unit_of_work() as uow:
        uow.audit.record(site.clock.now(), actor(user), "task.viewed", str(task_id))
        uow.commit()
    return render(request, "task.html", {"detail": detail})


@router.get("/undelivered")
def undelivered(request: Request, user: Viewer, site: SiteDep) -> Response:
    return render(request, "undelivered.html", {"items": not_in_mis(site.store)})


@router.get("/do-not-call")
def do_not_call(request: Request, user: Viewer, site: SiteDep) -> Response:
    context = {
        "entries": queries.do_not_call(site.store),
        "audit": queries.audit_trail(site.store, "do_not_call."),
        "editable": user.may(Role.OPERATOR),
    }
    return render(request, "do_not_call.html", context)


@router.get("/doctor")
def doctor(request: Request, user: Viewer, site: SiteDep) -> Response:
    """Runs in a worker thread: the checks touch the disk, the database and the trunk."""
    checks = run_checks(site.config_path)
    failed = sum(1 for check in checks if check.status is Status.FAIL)
    return render(request, "doctor.html", {"checks": checks, "failed": failed})


@router.get("/scenarios")
def scenarios(request: Request, user: Viewer) -> Response:
    listed = [
        {"name": name, "purpose": s.header.purpose.value, "title": s.header.title}
        for name in builtin_names()
        for s in [builtin(name)]
    ]
    return render(request, "scenarios.html", {"scenarios": listed})


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
