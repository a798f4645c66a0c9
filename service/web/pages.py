"""The dashboards: a liaison's home, all countries at a glance, one country's overview."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup
from marshmallow import ValidationError

from models import utcnow
from service.core.auth import STAFF, access, require_principal
from service.core.db import get_session
from service.core.reads import country_or_404
from service.domain import dashboard, periods, report_data
from service.domain.charts import trend_chart_svg
from service.schemas.dashboard import GlanceQuerySchema
from service.web import bp
from service.web.filters import country_label

glance_query = GlanceQuerySchema()
COLUMNS = [  # (sort key, heading) of the countries table
    ("name", "Country"), ("next_service", "Next service"), ("csat", "CSAT"), ("nps", "NPS"),
    ("overdue_actions", "Overdue actions"), ("fleet", "Fleet"),
]


def _render_overview(code: str) -> str:
    session = get_session()
    country = country_or_404(session, code)  # held while the page renders: the layout's name
    overview = dashboard.country_overview(session=session, country=country, now=utcnow())
    # Safe to mark: the SVG is built by our own function from numbers and escaped labels.
    chart = Markup(trend_chart_svg(  # noqa: S704
        overview["satisfaction"]["by_month"], title=_("Satisfaction, last 12 months"),
        note=_("months without answers are left blank"), counts="responses",
        labels={m: _(report_data.SERIES_LABELS[m]) for m in ("csat", "nps")}))
    ready = overview["deficiencies"]
    known = {m["period"]: m for m in ready["availability_trend"]}
    sat = overview["satisfaction"]  # the same twelve months; a month without a unit is a gap
    months = [known.get(p, {"period": p, "availability": None})
              for p in periods.between(sat["from"], sat["to"])]
    availability_chart = Markup(trend_chart_svg(  # noqa: S704
        months, metrics=("availability",), scale=(0.0, 100.0), ticks=(0, 25, 50, 75, 100),
        target=ready["availability_target"], title=_("Fleet availability, last 12 months"),
        note=_("months without a delivered unit are left blank"),
        labels={"availability": _(report_data.SERIES_LABELS["availability"])},
        target_label=_("target %(target)s%%", target=format_decimal(ready["availability_target"]))))
    return render_template("overview.html", o=overview, chart=chart,
                           availability_chart=availability_chart, report_language=country.report_language)


@bp.get("/")
def home() -> Any:
    """A liaison's home: their country's overview; staff start at the countries table."""
    principal = require_principal()
    if principal.country_code is None:
        return redirect(url_for("web.countries"))
    return _render_overview(principal.country_code)


@bp.get("/countries")
@access(*STAFF)
def countries() -> Any:
    """Every country side by side, sortable by column."""
    try:
        sort = glance_query.load({"sort": request.args.get("sort", "name")})["sort"]
    except ValidationError:
        sort = "name"
    rows = dashboard.countries_at_a_glance(session=get_session(), now=utcnow(), sort=sort)
    if sort.lstrip("-") == "name":  # in the order of the names the page shows (가나다 on a Korean page)
        rows = sorted(rows, key=country_label, reverse=sort.startswith("-"))
    return render_template("countries.html", rows=rows, sort=sort, columns=COLUMNS)


@bp.get("/countries/<code>")
def country(code: str) -> Any:
    """One country's overview, as its liaison sees it (a liaison sees only their own)."""
    return _render_overview(code)
