"""Schemas for the monthly PDF reports."""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import ValidationError, fields, validates

from models import ReportKind, ReportStatus
from service.domain import periods
from service.schemas.common import AwareDateTime, Base, CountryCode, SortField, choice, period_field


class ReportSchema(Base):
    id = fields.Integer(dump_only=True)
    kind = choice(ReportKind, dump_only=True)
    country = fields.String(attribute="country_code", dump_only=True, allow_none=True,
                            metadata={"description": "none for the HQ report"})
    period = fields.String(dump_only=True)
    revision = fields.Integer(dump_only=True)
    status = choice(ReportStatus, dump_only=True)
    sha256 = fields.String(dump_only=True, allow_none=True)
    pages = fields.Integer(dump_only=True, allow_none=True)
    size = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "bytes"})
    error = fields.String(dump_only=True, allow_none=True,
                          metadata={"description": "why the last attempt failed"})
    attempts = fields.Integer(dump_only=True)
    generated_at = AwareDateTime(dump_only=True)
    generated_by = fields.String(dump_only=True, metadata={"description": "e-mail or scheduler"})
    pdf_url = fields.Method("_pdf_url", dump_only=True)

    def _pdf_url(self, report: Any) -> str | None:
        if not report.sha256:
            return None
        return url_for("reports.ReportPdf", report_id=report.id)


class ReportCreateSchema(Base):
    period = period_field(required=True)

    @validates("period")
    def _not_in_the_future(self, value: str, **_: Any) -> None:
        if value > periods.current():
            raise ValidationError("This month has not started yet.")

    country = CountryCode(load_default=None, allow_none=True,
                          metadata={"description": "omit for the HQ report (staff only)"})


class ReportQuerySchema(Base):
    country = CountryCode()
    period = period_field()
    kind = choice(ReportKind)
    sort = SortField(("period", "kind", "country", "status", "generated"), default="-period,kind,country")
