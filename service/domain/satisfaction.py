"""Satisfaction figures (SPEC §2): CSAT, NPS, response rate and dimension means.

Computed by the database in one statement of GROUP BY queries whatever the number of responses; the API,
the dashboards and the PDF reports all read their figures from here. A period is a month
`YYYY-MM`: a survey counts in the month it was sent, and its response in the same month, so
a response rate never exceeds 100 %. Every figure is computed from counts and rounded once,
at the end (`rounded`). A period without answers reports no figure (None),
never 0 and never a division error.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from models import Survey, SurveyResponse
from service.domain import periods

DIMENSIONS = ("instructors", "timeliness", "documentation", "equipment")
FEW_ANSWERS = 5  # a figure from fewer answers than this is shown, but marked as such


def few_answers(responses: int | None) -> bool:
    """Whether a figure rests on fewer than FEW_ANSWERS answers (none: no figure at all)."""
    return responses is not None and responses != 0 and responses < FEW_ANSWERS


def rounded(numerator: int, denominator: int, *, digits: int = 1) -> float | None:
    """numerator / denominator, exact until it is rounded once, half away from zero.

    No figure is computed from another rounded figure: an NPS is (promoters - detractors) /
    answers, not the difference of two rounded shares (2 promoters and 1 detractor of 3
    answers: 33.3, not 66.7 - 33.3 = 33.4).
    """
    if not denominator:
        return None
    scaled, whole = abs(numerator) * 10**digits, abs(denominator)
    units = (2 * scaled + whole) // (2 * whole)  # floor(scaled / whole + 1/2): half up on the magnitude
    return (units if numerator * denominator >= 0 else -units) / 10**digits


def _pct(part: int, whole: int) -> float | None:
    return rounded(100 * part, whole)


def _count_if(cond: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def _month_figures(*, period: str | None, sent: int, responses: int, satisfied: int,
                   promoters: int, detractors: int) -> dict[str, Any]:
    out: dict[str, Any] = {} if period is None else {"period": period}
    out.update(
        responses=responses,
        surveys_sent=sent,
        response_rate=_pct(responses, sent),
        csat=_pct(satisfied, responses),
        nps=_pct(promoters - detractors, responses),
        # unrounded, for a change between two months (`change`); no schema answers it
        exact={"response_rate": _exact(responses, sent), "csat": _exact(satisfied, responses),
               "nps": _exact(promoters - detractors, responses)},
    )
    return out


def _exact(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def change(now: dict[str, Any], before: dict[str, Any], key: str) -> float | None:
    """How far the figure `key` moved from one month's figures to another's, from the unrounded
    values (an NPS from -33.3 to 33.3 moved 66.7, not the 66.6 of the rounded pair)."""
    a, b = now.get("exact", now).get(key), before.get("exact", before).get(key)
    return round(a - b, 1) if a is not None and b is not None else None


def _source(model: Any, handling: bool) -> Any:
    """The services' surveys, or (`handling`) those on how closed deficiency reports were
    handled (SPEC §9): the two are never counted together."""
    return model.deficiency_id.is_not(None) if handling else model.deficiency_id.is_(None)


def _where(model: Any, *, country: bool, system_id: bool, kind: bool, handling: bool = False) -> list[Any]:
    clauses = [model.period >= sa.bindparam("period_from"), model.period <= sa.bindparam("period_to"),
               _source(model, handling)]
    for given, column in ((country, model.country_code), (system_id, model.system_id),
                          (kind, model.kind)):
        if given:
            clauses.append(column == sa.bindparam(column.key))
    return clauses


@functools.cache
def _by_period(country: bool, system_id: bool, kind: bool,
               handling: bool = False) -> sa.CompoundSelect[Any]:
    """Per period: surveys sent, then answers, satisfied, promoters, detractors and each
    dimension's sum and count; one statement per combination of filters, built once.

    The surveys' and the answers' groups come as separate rows of one UNION ALL (a period may
    have surveys without answers): the caller adds a period's rows up.
    """
    R = SurveyResponse
    filters = {"country": country, "system_id": system_id, "kind": kind, "handling": handling}
    zero = sa.literal_column("0", sa.Integer)
    dims: list[Any] = []
    for dim in DIMENSIONS:
        column = getattr(R, dim)
        dims += [sa.func.coalesce(sa.func.sum(column), 0), sa.func.count(column)]
    sent = (sa.select(col(Survey.period), sa.func.count(), *([zero] * (4 + len(dims))))
            .where(*_where(Survey, **filters)).group_by(col(Survey.period)))
    answered = (sa.select(col(R.period), zero, sa.func.count(), _count_if(col(R.overall) >= 4),
                          _count_if(col(R.recommend) >= 9), _count_if(col(R.recommend) <= 6), *dims)
                .where(*_where(R, **filters)).group_by(col(R.period)))
    return sa.union_all(sent, answered)


def figures(*, session: Session, country: str | None = None, system_id: int | None = None,
            kind: str | None = None, period_from: str | None = None,
            period_to: str | None = None, handling: bool = False) -> dict[str, Any]:
    """Figures for the filters, in total and `by_month` (every month of the range): of the
    services' surveys, or with `handling` of the surveys on closed deficiency reports."""
    period_to = period_to or periods.current()
    period_from = period_from or periods.shift(period_to, -11)
    filters = {"country_code": country, "system_id": system_id, "kind": kind,
               "period_from": period_from, "period_to": period_to}

    by_period: dict[str, list[int]] = {}
    for period, *values in session.execute(_by_period(bool(country), bool(system_id), bool(kind),
                                                      handling), filters):
        sums = by_period.setdefault(period, [0] * len(values))
        for i, value in enumerate(values):  # a period's sent surveys and its answers, summed
            sums[i] += int(value)

    totals = {"sent": 0, "responses": 0, "satisfied": 0, "promoters": 0, "detractors": 0}
    dim_sum = dict.fromkeys(DIMENSIONS, 0)
    dim_n = dict.fromkeys(DIMENSIONS, 0)
    by_month = []
    for period in periods.between(period_from, period_to):
        row = by_period.get(period)
        month = {"sent": 0, "responses": 0, "satisfied": 0, "promoters": 0, "detractors": 0}
        if row is not None:
            month.update(sent=row[0], responses=row[1], satisfied=row[2], promoters=row[3],
                         detractors=row[4])
            for i, dim in enumerate(DIMENSIONS):
                dim_sum[dim] += row[5 + 2 * i]
                dim_n[dim] += row[6 + 2 * i]
        for key in totals:
            totals[key] += month[key]
        by_month.append(_month_figures(period=period, **month))

    result = _month_figures(period=None, **totals)
    result["dimensions"] = {
        dim: rounded(dim_sum[dim], dim_n[dim], digits=2) for dim in DIMENSIONS
    }
    result["dimensions_n"] = dict(dim_n)  # the answers each mean is of (a dimension may be skipped)
    result.update({"from": period_from, "to": period_to, "by_month": by_month})
    return result


def by_country(*, session: Session, period_from: str, period_to: str,
               countries: Iterable[str] | None = None, handling: bool = False) -> dict[str, dict[str, Any]]:
    """CSAT, NPS and response rate for every country side by side, in two queries (of the
    services' surveys, or with `handling` of those on closed deficiency reports)."""
    R = SurveyResponse
    sent: dict[str, int] = dict(session.execute(
        sa.select(col(Survey.country_code), sa.func.count())
        .where(col(Survey.period) >= period_from, col(Survey.period) <= period_to, _source(Survey, handling))
        .group_by(Survey.country_code)).all())
    rows = session.execute(
        sa.select(col(R.country_code), sa.func.count(), _count_if(col(R.overall) >= 4),
                  _count_if(col(R.recommend) >= 9), _count_if(col(R.recommend) <= 6))
        .where(col(R.period) >= period_from, col(R.period) <= period_to, _source(R, handling))
        .group_by(R.country_code)).all()
    answered = {row[0]: row for row in rows}
    out = {}
    for code in countries if countries is not None else sorted(set(sent) | set(answered)):
        row = answered.get(code)
        out[code] = _month_figures(
            period=None, sent=sent.get(code, 0), responses=int(row[1]) if row else 0,
            satisfied=int(row[2]) if row else 0, promoters=int(row[3]) if row else 0,
            detractors=int(row[4]) if row else 0,
        )
    return out


def with_handling(*, session: Session, country: str | None = None, system_id: int | None = None,
                  kind: str | None = None, period_from: str | None = None,
                  period_to: str | None = None) -> dict[str, Any]:
    """The services' figures with, apart, `deficiency_handling`: the same months' figures of
    the surveys on closed deficiency reports (one statement more; `kind` does not apply)."""
    out = figures(session=session, country=country, system_id=system_id, kind=kind,
                  period_from=period_from, period_to=period_to)
    out["deficiency_handling"] = figures(session=session, country=country, system_id=system_id,
                                         period_from=out["from"], period_to=out["to"], handling=True)
    return out
