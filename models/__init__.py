"""SQLModel table classes, one module per aggregate; importing this registers them all."""

from models.base import CountryScoped, UTCDateTime, Versioned, utcnow
from models.idempotency import IdempotencyKey
from models.identity import ApiToken, ApiTokenUse, AuditEntry, Role, User, UserSession
from models.ratelimit import RateLimit
from models.registry import (
    Contract,
    ContractLine,
    Country,
    SystemCategory,
    Unit,
    UnitStatus,
    WeaponSystem,
)
from models.reports import Report, ReportFile, ReportKind, ReportStatus
from models.services import (
    EventStaff,
    EventStatus,
    EventUnit,
    Notification,
    RequestStatus,
    ServiceEvent,
    ServiceKind,
    ServiceRequest,
    StaffMember,
)
from models.surveys import (
    ActionStatus,
    CorrectiveAction,
    Survey,
    SurveyResponse,
    SurveyStatus,
    SurveyTemplate,
)

__all__ = [
    "ActionStatus",
    "ApiToken",
    "ApiTokenUse",
    "AuditEntry",
    "Contract",
    "ContractLine",
    "CorrectiveAction",
    "Country",
    "CountryScoped",
    "EventStaff",
    "EventStatus",
    "EventUnit",
    "IdempotencyKey",
    "Notification",
    "RateLimit",
    "Report",
    "ReportFile",
    "ReportKind",
    "ReportStatus",
    "RequestStatus",
    "Role",
    "ServiceEvent",
    "ServiceKind",
    "ServiceRequest",
    "StaffMember",
    "Survey",
    "SurveyResponse",
    "SurveyStatus",
    "SurveyTemplate",
    "SystemCategory",
    "UTCDateTime",
    "Unit",
    "UnitStatus",
    "User",
    "UserSession",
    "Versioned",
    "WeaponSystem",
    "utcnow",
]
