"""CSAT, NPS and response rate against hand-computed values on small fixed data."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from models import ServiceEvent, Survey, SurveyResponse, SurveyTemplate
from service.core.db import SCOPE_KEY, session_scope
from service.domain import periods, satisfaction
from tests.conftest import QueryCounter


def _seed(engine, world, answers):
    """answers: (country, period, overall, recommend, instructors) or (country, period) unanswered."""
    with session_scope(engine) as s:
        template = s.exec(select(SurveyTemplate)).first()
        if template is None:
            template = SurveyTemplate(name="standard", questions=[])
            s.add(template)
            s.flush()
        for n, row in enumerate(answers):
            country, period = row[0], row[1]
            start = periods.bounds(period)[0] + dt.timedelta(days=2, hours=n)
            event = ServiceEvent(kind="joint_training", title=f"E{n}", country_code=country,
                                 system_id=world.ids["k9"], starts_at=start,
                                 ends_at=start + dt.timedelta(hours=1), timezone="UTC",
                                 status="completed")
            s.add(event)
            s.flush()
            survey = Survey(event_id=event.id, country_code=country, system_id=event.system_id,
                            kind=event.kind, template_id=template.id, token=f"t{event.id}", period=period,
                            sent_at=start, expires_at=start + dt.timedelta(days=30))
            s.add(survey)
            s.flush()
            if len(row) > 2:
                s.add(SurveyResponse(survey_id=survey.id, event_id=event.id, country_code=country,
                                     system_id=event.system_id, kind=event.kind,
                                     template_id=template.id, period=period, overall=row[2],
                                     recommend=row[3], instructors=row[4]))


def test_figures_match_hand_computed_values(engine, world):
    _seed(engine, world, [
        ("PL", "2026-03", 5, 10, 5), ("PL", "2026-03", 4, 9, 3), ("PL", "2026-03", 2, 3, None),
        ("PL", "2026-03", 3, 7, 4), ("PL", "2026-03"),  # 4 answers of 5 sent
        ("PL", "2026-04", 1, 0, 1),
        ("NO", "2026-03", 5, 10, 5),
    ])
    with Session(engine) as s:
        f = satisfaction.figures(session=s, country="PL", period_from="2026-02", period_to="2026-04")
    # March: CSAT 2/4 = 50 %, promoters 2/4, detractors 1/4 -> NPS 25; rate 4/5 = 80 %
    march = f["by_month"][1]
    assert march == {"period": "2026-03", "responses": 4, "surveys_sent": 5, "response_rate": 80.0,
                     "csat": 50.0, "nps": 25.0,
                     "exact": {"response_rate": 80.0, "csat": 50.0, "nps": 25.0}}  # for a change
    # An empty month reports no figure rather than 0
    assert f["by_month"][0] == {"period": "2026-02", "responses": 0, "surveys_sent": 0,
                                "response_rate": None, "csat": None, "nps": None,
                                "exact": {"response_rate": None, "csat": None, "nps": None}}
    # Whole range: 5 answers of 6 sent; CSAT 2/5 = 40; NPS 40 - 40 = 0
    assert (f["responses"], f["surveys_sent"], f["response_rate"], f["csat"], f["nps"]) == (
        5, 6, 83.3, 40.0, 0.0)
    assert f["dimensions"]["instructors"] == round((5 + 3 + 4 + 1) / 4, 2)
    assert f["dimensions"]["equipment"] is None


def test_a_liaison_scope_limits_figures_whatever_the_filter(engine, world):
    _seed(engine, world, [("PL", "2026-03", 5, 10, 5), ("NO", "2026-03", 1, 0, 1)])
    with Session(engine) as s:
        s.info[SCOPE_KEY] = "PL"
        f = satisfaction.figures(session=s, period_from="2026-03", period_to="2026-03")
        assert f["responses"] == 1 and f["csat"] == 100.0
        f = satisfaction.figures(session=s, country="NO", period_from="2026-03", period_to="2026-03")
        assert f["responses"] == 0 and f["surveys_sent"] == 0


def test_figures_take_one_statement_whatever_the_volume(engine, world):
    def count() -> int:
        with Session(engine) as s, QueryCounter(engine) as q:
            satisfaction.figures(session=s, period_from="2026-01", period_to="2026-12")
        return q.count

    _seed(engine, world, [("PL", "2026-03", 5, 10, 5)])
    few = count()
    _seed(engine, world, [("NO", "2026-05", 4, 8, 4)] * 40)
    assert few == count() == 1


def test_every_figure_comes_from_counts_and_is_rounded_once(engine, world):
    # 2 promoters, 1 detractor of 3 answers: NPS 100 * 1/3 = 33.3 (not 66.7 - 33.3 = 33.4)
    _seed(engine, world, [("PL", "2026-03", 5, 10, 2), ("PL", "2026-03", 5, 9, 2),
                          ("PL", "2026-03", 2, 0, 3),
                          # 1 promoter, 2 detractors: -33.3 (not 33.3 - 66.7 = -33.4)
                          ("NO", "2026-03", 5, 10, 1), ("NO", "2026-03", 1, 0, 1),
                          ("NO", "2026-03", 1, 0, 2)])
    with Session(engine) as s:
        pl = satisfaction.figures(session=s, country="PL", period_from="2026-03", period_to="2026-03")
        both = satisfaction.by_country(session=s, period_from="2026-03", period_to="2026-03")
    assert (pl["csat"], pl["nps"]) == (66.7, 33.3)
    assert pl["dimensions"]["instructors"] == 2.33
    assert (both["PL"]["nps"], both["NO"]["nps"]) == (33.3, -33.3)
    assert both["NO"]["response_rate"] == 100.0


def test_halves_round_away_from_zero_not_to_even():
    # 1/16 = 6.25 % and 2.125: Python's round() on floats would give 6.2 and 2.12
    assert satisfaction.rounded(100, 16) == 6.3
    assert satisfaction.rounded(17, 8, digits=2) == 2.13
    assert satisfaction.rounded(-100, 16) == -6.3
    assert satisfaction.rounded(-100, 300) == -0.3 and satisfaction.rounded(0, 7) == 0.0
    assert satisfaction.rounded(1, 0) is None


def test_a_change_between_two_months_comes_from_the_unrounded_figures():
    # NPS -1/3 then +1/3 of three answers: shown -33.3 and 33.3; moved 66.7, not the rounded pair's 66.6
    before = satisfaction._month_figures(period="2026-10", sent=3, responses=3, satisfied=1,
                                         promoters=0, detractors=1)
    now = satisfaction._month_figures(period="2026-11", sent=3, responses=3, satisfied=2,
                                      promoters=1, detractors=0)
    assert (before["nps"], now["nps"]) == (-33.3, 33.3)
    assert satisfaction.change(now, before, "nps") == 66.7
    assert satisfaction.change(now, before, "csat") == 33.3
    empty = satisfaction._month_figures(period="2026-09", sent=0, responses=0, satisfied=0,
                                        promoters=0, detractors=0)
    assert satisfaction.change(now, empty, "nps") is None  # no figure the month before: no change
