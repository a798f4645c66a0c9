"""The planning board for staff: who and what is free per day, and suggested slots that open
the schedule form filled in (SPEC §10)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from models import Country, WeaponSystem
from service.core.auth import STAFF, access
from service.core.db import get_session
from service.domain.errors import DomainError
from service.domain.planning import board as boards
from service.domain.planning import suggest
from service.schemas.planning import BoardQuerySchema, SuggestSchema
from service.web import bp
from service.web.forms import flat_errors, refused, whole
from service.web.services import choices, offered_systems

board_query = BoardQuerySchema()
suggest_schema = SuggestSchema()
SUGGEST_FIELDS = ("kind", "duration", "per", "units", "earliest", "latest", "work_start", "work_end",
                  *(f"{k}_{n}" for n in (1, 2, 3) for k in ("skill", "count")))


def _board_args() -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]:
    raw: dict[str, Any] = {k: request.args.get(k, "").strip()[:100]
                           for k in ("country", "system", "from", "to", "staff_page", "unit_page")}
    raw["skill"] = [s.strip()[:80] for s in request.args.getlist("skill")[:10] if s.strip()]
    wanted = {k: v for k, v in raw.items() if v not in ("", [])}
    try:
        return board_query.load(wanted), raw, {}
    except ValidationError as err:
        errors = flat_errors(err.messages_dict)
        if not request.args:  # opened from the menu: nothing chosen yet is nothing wrong
            errors = {k: v for k, v in errors.items() if k not in ("country", "system")}
        kept = {k: v for k, v in wanted.items() if k not in errors and k not in ("from_",)}
        try:
            return board_query.load(kept), raw, errors
        except ValidationError:
            return {}, raw, errors


def _suggest_body(form: dict[str, str], country: Country, system: WeaponSystem) -> dict[str, Any]:
    """The suggest form's values in the API's JSON shape (dates are local days)."""
    body: dict[str, Any] = {"kind": form["kind"], "country": country.code, "system": system.id,
                            "earliest_start": form["earliest"], "latest_end": form["latest"],
                            "units": {"count": whole(form["units"] or "0") if form["units"] else 0}}
    tz = ZoneInfo(country.timezone)
    for key, name in (("earliest_start", "earliest"), ("latest_end", "latest")):
        try:  # a day in the country's calendar: from its midnight
            day = dt.date.fromisoformat(form[name]) + dt.timedelta(days=name == "latest")
            body[key] = dt.datetime.combine(day, dt.time(), tz).isoformat()
        except ValueError:
            pass
    duration = whole(form["duration"]) if form["duration"] else None
    body["duration_hours" if form["per"] == "hours" else "duration_days"] = (
        duration if duration is not None else form["duration"])
    if form["work_start"] or form["work_end"]:
        body["working_hours"] = {"start": form["work_start"] or "08:00", "end": form["work_end"] or "17:00"}
    body["requirements"] = [{"skill": form[f"skill_{n}"], "count": whole(form[f"count_{n}"] or "1") or form[
        f"count_{n}"]} for n in (1, 2, 3) if form[f"skill_{n}"]]
    return body


def schedule_link(country: Country, system: WeaponSystem, kind: str, proposal: dict[str, Any]) -> str:
    """The schedule form filled in with a proposal (the form reads these query parameters)."""
    tz = ZoneInfo(country.timezone)
    staff = [str(s["id"]) for s in proposal["staff"]]
    return url_for("web.service_new", country=country.code, system_id=system.id, kind=kind,
                   starts_at=proposal["starts_at"].astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
                   ends_at=proposal["ends_at"].astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
                   staff=staff, lead=staff[0] if staff else "",
                   unit_ids=[str(u["id"]) for u in proposal["units"]])


@bp.get("/planning")
@access(*STAFF)
def planning_board() -> Any:
    """Staff × days and units × days for a country and system; suggested slots on request."""
    session = get_session()
    query, raw, errors = _board_args()
    country = session.get(Country, query["country"]) if "country" in query else None
    system = session.get(WeaponSystem, query["system"]) if "system" in query else None
    today = dt.datetime.now(ZoneInfo(country.timezone) if country else dt.UTC).date()
    first = query.get("from_", today)
    last: dt.date = query.get("to") or first + dt.timedelta(days=boards.DEFAULT_DAYS - 1)
    if (last - first).days >= boards.MAX_DAYS:
        errors["to"] = [_("At most %(num)s days are shown; the board stops there.", num=boards.MAX_DAYS)]
    grid = proposals = None
    form = {k: request.args.get(k, "").strip()[:100] for k in SUGGEST_FIELDS}
    form["kind"] = form["kind"] or "joint_training"
    form["earliest"] = form["earliest"] or first.isoformat()
    form["latest"] = form["latest"] or last.isoformat()
    suggest_errors: dict[str, list[str]] = {}
    skills = boards.known_skills(session)
    if system is not None and not request.args.get("suggest") and not form["skill_1"]:
        form["skill_1"] = default_skill(skills, system.code)
    if country is not None and system is not None:
        grid = boards.board(session=session, country=country, system=system, first=first, last=last,
                            skills=query.get("skill"), staff_page=query.get("staff_page", 1),
                            unit_page=query.get("unit_page", 1))
        if request.args.get("suggest"):
            try:
                proposals = suggest.suggest(session=session, data=suggest_schema.load(
                    _suggest_body(form, country, system)))
                for p in proposals["proposals"]:
                    p["link"] = schedule_link(country, system, form["kind"], p)
            except (ValidationError, DomainError) as err:
                suggest_errors = _suggest_errors(refused(err).errors)
    elif "country" in request.args or "system" in request.args:
        errors.setdefault("country", [_("Choose a country and one of its systems.")])
    args = {k: v for k, v in raw.items() if v not in ("", []) and k not in ("staff_page", "unit_page")}
    return render_template("planning.html", grid=grid, query=query, raw=raw, errors=errors, args=args,
                           choices=choices(session), offered=offered_systems(session),
                           skill_options=[(k, k) for k in skills], form=form,
                           proposals=proposals,
                           suggest_errors=suggest_errors, first=first, last=last)


def default_skill(skills: list[str], system_code: str) -> str:
    """What a first suggestion asks for: an instructor of the system, else anyone skilled in it
    (none known: nothing, the officer picks)."""
    wanted = f"instructor:{system_code}"
    if wanted in skills:
        return wanted
    return next((s for s in skills if s.endswith(f":{system_code}")), "")


def _suggest_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """The API's field names as the form's."""
    names = {"earliest_start": "earliest", "latest_end": "latest", "duration_days": "duration",
             "duration_hours": "duration", "requirements": "skill_1", "units": "units",
             "working_hours": "work_start"}
    out: dict[str, list[str]] = {}
    for key, messages in errors.items():
        out.setdefault(names.get(key, key), []).extend(messages)
    return out
