"""SQLModel table classes, one module per aggregate; importing this registers them all."""

from models.base import CountryScoped, UTCDateTime, Versioned, utcnow
from models.identity import ApiToken, AuditEntry, Role, User
from models.registry import (
    Contract,
    ContractLine,
    Country,
    SystemCategory,
    Unit,
    UnitStatus,
    WeaponSystem,
)

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Contract",
    "ContractLine",
    "Country",
    "CountryScoped",
    "Role",
    "SystemCategory",
    "UTCDateTime",
    "Unit",
    "UnitStatus",
    "User",
    "Versioned",
    "WeaponSystem",
    "utcnow",
]
