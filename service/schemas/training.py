"""Schemas for trainees, nominations, certificates and their public verification (SPEC §11)."""

from __future__ import annotations

from marshmallow import fields, validate

from models import CertificateStatus, ServiceKind
from service.schemas.common import AwareDateTime, Base, CountryCode, VersionedSchema, choice, past_day, text


class TraineeCreateSchema(Base):
    country = CountryCode(attribute="country_code",
                          metadata={"description": "a liaison's own country by default; staff give it"})
    name = text(120)
    rank = text(60, required=False, min_length=0)
    organisation = text(120, required=False, min_length=0)
    service_number = fields.String(allow_none=True, validate=validate.Length(min=1, max=40))


class TraineeUpdateSchema(Base):
    name = text(120, required=False)
    rank = text(60, required=False, min_length=0)
    organisation = text(120, required=False, min_length=0)
    service_number = fields.String(allow_none=True, validate=validate.Length(min=1, max=40))


class TraineeSchema(VersionedSchema):
    id = fields.Integer()
    country = fields.String(attribute="country_code")
    name = fields.String()
    rank = fields.String()
    organisation = fields.String()
    service_number = fields.String(allow_none=True)
    anonymised = fields.Function(lambda t: t.anonymised_at is not None)
    anonymised_at = AwareDateTime(allow_none=True)
    created_at = AwareDateTime()


class TraineeQuerySchema(Base):
    country = CountryCode()
    q = fields.String(validate=validate.Length(min=1, max=120), metadata={"description": "name contains"})


class AnonymiseSchema(Base):
    reason = text(1000)


class NominateSchema(Base):
    trainee_id = fields.Integer(required=True, validate=validate.Range(min=1))


class NominationSchema(Base):
    id = fields.Integer()
    event_id = fields.Integer()
    trainee_id = fields.Integer()
    country = fields.String()
    name = fields.String()
    rank = fields.String()
    organisation = fields.String()
    status = fields.String()
    result = fields.String(allow_none=True)
    score = fields.Float(allow_none=True)
    version = fields.Integer()
    created_at = AwareDateTime()
    withdrawn_at = AwareDateTime(allow_none=True)


class CertificateQuerySchema(Base):
    country = CountryCode()
    system = fields.Integer()
    kind = choice(ServiceKind)
    trainee = fields.Integer()
    status = choice(CertificateStatus)


class CertificateSchema(Base):
    id = fields.Integer()
    number = fields.String()
    check_code = fields.String(metadata={"description": "printed on the certificate; with the number "
                                                        "it opens the public verification"})
    trainee_id = fields.Integer()
    name = fields.String()
    country = fields.String()
    event_id = fields.Integer()
    system_id = fields.Integer()
    system_code = fields.String()
    kind = fields.String()
    course = fields.String()
    issued_on = fields.Date()
    valid_until = fields.Date()
    status = fields.String(metadata={"description": "valid, expiring (within 90 days) or expired"})


class VerifyQuerySchema(Base):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))


class PublicCertificateSchema(Base):
    number = fields.String()
    name = fields.String()
    course = fields.String()
    issued_on = fields.Date()
    valid_until = fields.Date()
    status = fields.String()


class RefresherSchema(Base):
    description = text(4000, required=False, min_length=0)


class ValiditySchema(Base):
    system_id = fields.Integer(required=True, validate=validate.Range(min=1))
    kind = fields.String(required=True, validate=validate.OneOf(["joint_training", "tech_education"]))
    months = fields.Integer(required=True, validate=validate.Range(min=1, max=240))


class QualifiedQuerySchema(Base):
    country = CountryCode()
    system = fields.Integer()
    as_of = past_day("the figures of that day (a monthly report's: its month's last day); default today")


class QualifiedSchema(Base):
    country = fields.String()
    system_id = fields.Integer()
    system_code = fields.String()
    qualified = fields.Integer(metadata={"description": "people whose latest certificate has not expired"})
    expiring = fields.Integer(metadata={"description": "of them, running out within 90 days"})
    expired_in_month = fields.Integer(metadata={"description": "people whose latest certificate ran out "
                                                               "this month"})
