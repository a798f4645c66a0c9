"""Schemas for countries, systems, contracts, units and the fleet."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from models import SystemCategory, UnitStatus
from service.core.config import REPORT_LANGUAGES
from service.schemas.common import (
    Base,
    CountryCode,
    VersionedSchema,
    choice,
    text,
    validate_currency,
    validate_timezone,
)


def report_language(**kwargs: Any) -> fields.String:
    """The language of a country's monthly report (SPEC §12) and of its liaisons' messages."""
    return fields.String(validate=validate.OneOf(REPORT_LANGUAGES),
                         metadata={"description": "en or ko: the country's monthly report language"},
                         **kwargs)


class CountrySchema(VersionedSchema):
    code = CountryCode(required=True)
    name = text(120, required=False, metadata={"description": "defaults to the ISO name"})
    timezone = fields.String(required=True, validate=validate_timezone)
    active = fields.Boolean(load_default=True)
    report_language = report_language(load_default="en")


class CountryUpdateSchema(Base):
    name = text(120, required=False)
    timezone = fields.String(validate=validate_timezone)
    active = fields.Boolean()
    report_language = report_language()


class CountryQuerySchema(Base):
    active = fields.Boolean()


class SystemSchema(VersionedSchema):
    id = fields.Integer(dump_only=True)
    code = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=32), validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9-]*$")],
    )
    name = text(120)
    category = choice(SystemCategory, required=True)
    manufacturer = text(120)


class SystemUpdateSchema(Base):
    name = text(120, required=False)
    category = choice(SystemCategory)
    manufacturer = text(120, required=False)


class SystemQuerySchema(Base):
    category = choice(SystemCategory)
    q = fields.String(validate=validate.Length(max=64), metadata={"description": "code or name"})


class ContractLineSchema(Base):
    system_id = fields.Integer(required=True, validate=validate.Range(min=1))
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=100000))


class ContractSchema(VersionedSchema):
    id = fields.Integer(dump_only=True)
    number = text(64)
    country = CountryCode(required=True, attribute="country_code")
    signed_on = fields.Date(required=True)
    value = fields.Decimal(required=True, places=2, as_string=True,
                           validate=validate.Range(min=0, max=10**15))
    currency = fields.String(required=True, validate=validate_currency)
    lines = fields.List(fields.Nested(ContractLineSchema), required=True,
                        validate=validate.Length(min=1, max=200))

    @validates_schema
    def _distinct_systems(self, data: dict[str, Any], **_: Any) -> None:
        systems = [line["system_id"] for line in data.get("lines", [])]
        if len(systems) != len(set(systems)):
            raise ValidationError("Each system appears once per contract.", "lines")


class ContractUpdateSchema(Base):
    number = text(64, required=False)
    signed_on = fields.Date()
    value = fields.Decimal(places=2, as_string=True, validate=validate.Range(min=0, max=10**15))
    currency = fields.String(validate=validate_currency)
    lines = fields.List(fields.Nested(ContractLineSchema), validate=validate.Length(min=1, max=200))

    _distinct_systems = ContractSchema._distinct_systems


class ContractQuerySchema(Base):
    country = CountryCode()
    system = fields.Integer(metadata={"description": "contracts with a line for this system"})


class UnitSchema(VersionedSchema):
    id = fields.Integer(dump_only=True)
    serial = text(64)
    system_id = fields.Integer(required=True)
    contract_id = fields.Integer(required=True)
    country = fields.String(dump_only=True, attribute="country_code")
    delivered_on = fields.Date(allow_none=True)
    warranty_ends_on = fields.Date(allow_none=True)
    status = choice(UnitStatus, load_default=UnitStatus.operational.value)

    @validates_schema
    def _warranty_after_delivery(self, data: dict[str, Any], **_: Any) -> None:
        delivered, ends = data.get("delivered_on"), data.get("warranty_ends_on")
        if delivered and ends and ends < delivered:
            raise ValidationError("Warranty cannot end before delivery.", "warranty_ends_on")


class UnitUpdateSchema(Base):
    serial = text(64, required=False)
    delivered_on = fields.Date(allow_none=True)
    warranty_ends_on = fields.Date(allow_none=True)
    status = choice(UnitStatus)
    status_reason = text(1000, required=False, load_only=True,
                         metadata={"description": "why the status changes (kept in its history)"})

    _warranty_after_delivery = UnitSchema._warranty_after_delivery


class UnitQuerySchema(Base):
    country = CountryCode()
    system = fields.Integer()
    contract = fields.Integer()
    status = choice(UnitStatus)
    serial = fields.String(validate=validate.Length(max=64))


class FleetQuerySchema(Base):
    as_of = fields.Date(metadata={"description": "the fleet at the end of this day: units delivered "
                                                "by it, in their status then (from the status "
                                                "history); default: now"})


class FleetLineSchema(Base):
    system_id = fields.Integer()
    system_code = fields.String()
    system_name = fields.String()
    contracted = fields.Integer()
    delivered = fields.Integer()
    operational = fields.Integer()
    under_repair = fields.Integer()
    non_operational = fields.Integer()
    in_warranty = fields.Integer()
    warranty_ending_90d = fields.Integer()
