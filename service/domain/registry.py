"""Registry rules: countries, the system catalogue, contracts and delivered units."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pycountry
import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import Contract, ContractLine, Country, Unit, UnitStatus, UnitStatusChange, WeaponSystem
from service.domain.bulletins.publishing import check_serial_outside_foreign_ranges
from service.domain.deficiencies import history
from service.domain.errors import Conflict, Invalid


def _apply(obj: Any, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        setattr(obj, key, value)


def create_country(*, session: Session, data: dict[str, Any]) -> Country:
    code = data["code"]
    if session.get(Country, code) is not None:
        raise Conflict(f"Country {code} exists", {"code": ["already registered"]})
    name = data.get("name")
    if not name:
        iso = pycountry.countries.get(alpha_2=code)
        if iso is None:
            raise Invalid("Unknown country code", {"code": ["not an ISO 3166-1 alpha-2 code"]})
        name = iso.name
    country = Country(code=code, name=name, timezone=data["timezone"],
                      active=data.get("active", True),
                      report_language=data.get("report_language", "en"))
    session.add(country)
    session.commit()
    return country


def update_record(*, session: Session, obj: Any, changes: dict[str, Any]) -> Any:
    """Apply validated field changes to a record and commit (version bumps on UPDATE)."""
    _apply(obj, changes)
    session.commit()
    return obj


def create_system(*, session: Session, data: dict[str, Any]) -> WeaponSystem:
    if session.scalar(select(WeaponSystem.id).where(WeaponSystem.code == data["code"])):
        raise Conflict(f"System {data['code']} exists", {"code": ["already in the catalogue"]})
    system = WeaponSystem(**data)
    session.add(system)
    session.commit()
    return system


def _check_lines(session: Session, lines: list[dict[str, Any]]) -> None:
    ids = {line["system_id"] for line in lines}
    found = set(session.scalars(select(col(WeaponSystem.id)).where(col(WeaponSystem.id).in_(ids))))
    missing = sorted(ids - found)
    if missing:
        raise Invalid("Unknown system", {"lines": [f"unknown system id {i}" for i in missing]})


def create_contract(*, session: Session, data: dict[str, Any]) -> Contract:
    country = session.get(Country, data["country_code"])
    if country is None:
        raise Invalid("Unknown country", {"country": ["no such buyer country is registered"]})
    if session.scalar(select(Contract.id).where(Contract.number == data["number"])):
        raise Conflict("Contract number taken", {"number": ["already used by another contract"]})
    _check_lines(session, data["lines"])
    contract = Contract(
        number=data["number"], country_code=country.code, signed_on=data["signed_on"],
        value=data["value"], currency=data["currency"].upper(),
        lines=[ContractLine(**line) for line in data["lines"]],
    )
    session.add(contract)
    session.commit()
    return contract


def delivered_counts(session: Session, contract_id: int) -> dict[int, int]:
    rows = session.execute(
        select(Unit.system_id, sa.func.count())
        .where(Unit.contract_id == contract_id)
        .group_by(col(Unit.system_id))
    )
    return {system_id: n for system_id, n in rows}


def update_contract(*, session: Session, contract: Contract, changes: dict[str, Any]) -> Contract:
    lines = changes.pop("lines", None)
    if "number" in changes and changes["number"] != contract.number and session.scalar(
        select(Contract.id).where(Contract.number == changes["number"])
    ):
        raise Conflict("Contract number taken", {"number": ["already used by another contract"]})
    if "currency" in changes:
        changes["currency"] = changes["currency"].upper()
    if lines is not None:
        _check_lines(session, lines)
        wanted = {line["system_id"]: line["quantity"] for line in lines}
        for system_id, n in delivered_counts(session, contract.id or 0).items():
            if wanted.get(system_id, 0) < n:
                raise Conflict(
                    "Fewer units contracted than already delivered",
                    {"lines": [f"system {system_id}: {n} units already delivered"]},
                )
        current = {line.system_id: line for line in contract.lines}
        contract.lines = [
            _line(current.get(system_id), system_id, qty) for system_id, qty in wanted.items()
        ]
        session.flush()
        if not changes:  # line edits alone still make a new version of the contract
            sa.orm.attributes.flag_modified(contract, "signed_on")
    _apply(contract, changes)
    session.commit()
    return contract


def _line(existing: ContractLine | None, system_id: int, quantity: int) -> ContractLine:
    if existing is None:
        return ContractLine(system_id=system_id, quantity=quantity)  # type: ignore[call-arg]  # contract_id comes from the contract it is appended to
    existing.quantity = quantity
    return existing


def create_unit(*, session: Session, data: dict[str, Any]) -> Unit:
    contract = session.get(Contract, data["contract_id"])
    if contract is None:
        raise Invalid("Unknown contract", {"contract_id": ["no such contract"]})
    line = next((ln for ln in contract.lines if ln.system_id == data["system_id"]), None)
    if line is None:
        raise Invalid("System not on contract",
                      {"system_id": [f"contract {contract.number} has no line for this system"]})
    if delivered_counts(session, contract.id or 0).get(line.system_id, 0) >= line.quantity:
        raise Conflict("All contracted units delivered",
                       {"contract_id": [f"all {line.quantity} units of this system delivered"]})
    if session.scalar(select(Unit.id).where(Unit.system_id == data["system_id"],
                                            Unit.serial == data["serial"])):
        raise Conflict("Serial taken", {"serial": ["already used for this system"]})
    check_serial_outside_foreign_ranges(session=session, system_id=data["system_id"], serial=data["serial"],
                                        country_code=contract.country_code)
    unit = Unit(**data, country_code=contract.country_code)
    session.add(unit)
    history.record_start(session=session, unit=unit)
    session.commit()
    return unit


def update_unit(*, session: Session, unit: Unit, changes: dict[str, Any]) -> Unit:
    delivered = changes.get("delivered_on", unit.delivered_on)
    ends = changes.get("warranty_ends_on", unit.warranty_ends_on)
    if delivered and ends and ends < delivered:
        raise Invalid("Warranty before delivery",
                      {"warranty_ends_on": ["cannot end before delivery"]})
    if "serial" in changes and changes["serial"] != unit.serial and session.scalar(
        select(Unit.id).where(Unit.system_id == unit.system_id, Unit.serial == changes["serial"])
    ):
        raise Conflict("Serial taken", {"serial": ["already used for this system"]})
    if "serial" in changes and changes["serial"] != unit.serial:
        check_serial_outside_foreign_ranges(session=session, system_id=unit.system_id,
                                            serial=changes["serial"], country_code=unit.country_code)
    changes = dict(changes)
    if "status" in changes:  # every status change is in the unit's history
        history.set_status(session=session, unit=unit, status=changes.pop("status"),
                           reason=changes.pop("status_reason", None))
    changes.pop("status_reason", None)
    return update_record(session=session, obj=unit, changes=changes)


def systems_by_country(*, session: Session) -> dict[str, list[tuple[int, str, str]]]:
    """(id, code, name) of the systems each visible country has a contract for, in one query.

    These are the systems a country operates: the ones its requests and services may name.
    """
    rows = session.execute(
        sa.select(col(Contract.country_code), col(WeaponSystem.id), col(WeaponSystem.code),
                  col(WeaponSystem.name))
        .join(ContractLine, col(ContractLine.contract_id) == Contract.id)
        .join(WeaponSystem, col(WeaponSystem.id) == ContractLine.system_id)
        .distinct().order_by(Contract.country_code, WeaponSystem.code)
    ).all()
    out: dict[str, list[tuple[int, str, str]]] = {}
    for code, system_id, system_code, name in rows:
        out.setdefault(code, []).append((system_id, system_code, name))
    return out


def operates(*, session: Session, country_code: str, system_id: int) -> bool:
    """Whether the country has a contract for the system."""
    return session.scalar(
        sa.select(col(ContractLine.id))
        .join(Contract, col(Contract.id) == ContractLine.contract_id)
        .where(col(Contract.country_code) == country_code, col(ContractLine.system_id) == system_id)
        .limit(1)
    ) is not None


def _count_if(cond: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


_COUNTRY: sa.BindParameter[str] = sa.bindparam("country")
_TODAY: sa.BindParameter[dt.date] = sa.bindparam("today")
_SOON: sa.BindParameter[dt.date] = sa.bindparam("soon")
_CONTRACTED = (
    sa.select(col(ContractLine.system_id), sa.func.sum(col(ContractLine.quantity)).label("contracted"))
    .join(Contract, col(Contract.id) == ContractLine.contract_id)
    .where(col(Contract.country_code) == _COUNTRY)
    .group_by(col(ContractLine.system_id))
).subquery("contracted")
_DELIVERED = (
    sa.select(
        col(Unit.system_id),
        sa.func.count().label("delivered"),
        _count_if(col(Unit.status) == UnitStatus.operational).label("operational"),
        _count_if(col(Unit.status) == UnitStatus.under_repair).label("under_repair"),
        _count_if(col(Unit.status) == UnitStatus.non_operational).label("non_operational"),
        _count_if(col(Unit.warranty_ends_on) >= _TODAY).label("in_warranty"),
        _count_if(sa.and_(col(Unit.warranty_ends_on) >= _TODAY,
                          col(Unit.warranty_ends_on) <= _SOON)).label("warranty_ending_90d"),
    )
    .where(col(Unit.country_code) == _COUNTRY)
    .group_by(col(Unit.system_id))
)


def _fleet(units: Any) -> Any:
    """The fleet statement over `units`, a grouped select of the country's units per system."""
    delivered = units.subquery("delivered")
    return (
        sa.select(
            col(WeaponSystem.id).label("system_id"),
            col(WeaponSystem.code).label("system_code"),
            col(WeaponSystem.name).label("system_name"),
            sa.func.coalesce(_CONTRACTED.c.contracted, 0).label("contracted"),
            *(sa.func.coalesce(delivered.c[name], 0).label(name) for name in (
                "delivered", "operational", "under_repair", "non_operational", "in_warranty",
                "warranty_ending_90d")),
    )
    .outerjoin(_CONTRACTED, _CONTRACTED.c.system_id == WeaponSystem.id)
    .outerjoin(delivered, delivered.c.system_id == WeaponSystem.id)
    .where(sa.or_(_CONTRACTED.c.system_id.is_not(None), delivered.c.system_id.is_not(None)))
    .order_by(WeaponSystem.code)
    )


def _status_at() -> Any:
    """A unit's status at `:as_of` from its history (the last change before that moment, an
    index seek on `unit_id, at`); its current status when no change is recorded before it."""
    usc = UnitStatusChange
    last = (sa.select(col(usc.to_status))
            .where(col(usc.unit_id) == Unit.id, col(usc.at) < sa.bindparam("as_of"))
            .order_by(sa.desc(col(usc.at)), sa.desc(col(usc.id))).limit(1)
            .correlate(Unit).scalar_subquery())
    return sa.func.coalesce(last, Unit.status)


def _delivered_as_of() -> Any:
    status = _status_at()
    return (
        sa.select(
            col(Unit.system_id),
            sa.func.count().label("delivered"),
            _count_if(status == UnitStatus.operational.value).label("operational"),
            _count_if(status == UnitStatus.under_repair.value).label("under_repair"),
            _count_if(status == UnitStatus.non_operational.value).label("non_operational"),
            _count_if(col(Unit.warranty_ends_on) >= _TODAY).label("in_warranty"),
            _count_if(sa.and_(col(Unit.warranty_ends_on) >= _TODAY,
                              col(Unit.warranty_ends_on) <= _SOON)).label("warranty_ending_90d"),
        )
        .where(col(Unit.country_code) == _COUNTRY, col(Unit.delivered_on) <= sa.bindparam("delivered_by"))
        .group_by(col(Unit.system_id))
    )


# Built once, only the parameters change per request: today's fleet, and a past day's (the
# units delivered by that day, each in the status its history gives at the day's end).
FLEET = _fleet(_DELIVERED)
FLEET_DELIVERED_BY = _fleet(_delivered_as_of())


def fleet(*, session: Session, country_code: str, today: dt.date | None = None,
          delivered_by: dt.date | None = None) -> list[dict[str, Any]]:
    """Per system: contracted, delivered, by status, in warranty, warranty ending in 90 days;
    with `delivered_by`, only the units delivered by that day count, each in its status at the
    end of that day (from the unit status history), so a past month's fleet stays the same.

    One statement (two grouped subqueries joined to the catalogue), whatever the fleet's size.
    """
    today = today or dt.date.today()
    params: dict[str, Any] = {"country": country_code, "today": today, "soon": today + dt.timedelta(days=90)}
    if delivered_by is not None:
        params["delivered_by"] = delivered_by
        params["as_of"] = dt.datetime.combine(delivered_by + dt.timedelta(days=1), dt.time(), dt.UTC)
    rows = session.execute(FLEET if delivered_by is None else FLEET_DELIVERED_BY, params)
    return [{key: (int(value) if key not in ("system_code", "system_name") else value)
             for key, value in row._mapping.items()} for row in rows]
