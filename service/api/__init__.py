"""The HTTP API under /api/v1: one flask-smorest Blueprint per resource."""

from __future__ import annotations

from flask import Flask

from service.api import (
    actions,
    audit,
    auth,
    bulletins,
    calendar,
    certificates,
    contracts,
    countries,
    deficiencies,
    docs,
    events,
    health,
    me,
    notifications,
    packages,
    planning,
    public_surveys,
    readiness,
    reports,
    requests,
    satisfaction,
    sla,
    staff,
    survey_templates,
    surveys,
    systems,
    trainees,
    unit_history,
    units,
    users,
)
from service.api.spec import ErrorResponsesPlugin, KSustainApi

BLUEPRINTS = [
    auth.blp, me.blp, countries.blp, systems.blp, contracts.blp, units.blp, users.blp, audit.blp,
    surveys.blp, public_surveys.blp, survey_templates.blp, satisfaction.blp, actions.blp,
    reports.blp,
]
BLUEPRINTS += [staff.blp, events.blp, requests.blp, calendar.blp, notifications.blp]
BLUEPRINTS += [deficiencies.blp, sla.blp, unit_history.blp, readiness.blp]
BLUEPRINTS += [trainees.blp, trainees.nominations_blp, certificates.blp, certificates.public_blp,
               packages.blp, packages.deliveries_blp, packages.summary_blp, planning.blp, bulletins.blp]

api = KSustainApi()


def register_api(app: Flask) -> None:
    api.init_app(app, spec_kwargs={
        "components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
        }},
        "security": [{"bearer": []}],
        "extra_plugins": [ErrorResponsesPlugin(app)],
    })
    for blp in BLUEPRINTS:
        api.register_blueprint(blp, url_prefix=f"/api/v1{blp.url_prefix}")
    app.register_blueprint(health.bp)
    app.register_blueprint(docs.bp)
