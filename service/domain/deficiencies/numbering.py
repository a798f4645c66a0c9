"""Report numbers `CC-YYYY-NNNN`, consecutive per country and year, never reused.

The counter row of (country, year) is incremented with UPDATE … RETURNING inside the filing
transaction: a second filer waits on the row (PostgreSQL's row lock; SQLite's write lock,
taken at BEGIN) until the first commits, and a filing rolled back gives its number back.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col

from models import DeficiencyCounter


def format_number(country_code: str, year: int, seq: int) -> str:
    return f"{country_code}-{year:04d}-{seq:04d}"


def take(*, session: Session, country_code: str, year: int) -> int:
    """The next number of (country, year), held by this transaction until it ends."""
    counter = DeficiencyCounter
    bump = (sa.update(counter)
            .where(col(counter.country_code) == country_code, col(counter.year) == year)
            .values(last=col(counter.last) + 1)
            .returning(col(counter.last)))
    seq = session.execute(bump).scalar()
    if seq is None:  # the year's first: create the row (once, whoever else tries), then bump it
        from sqlalchemy.dialects import postgresql, sqlite  # the one in use is loaded by now

        insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
                  else sqlite.insert)(counter.__table__)  # type: ignore[attr-defined]  # SQLModel does not declare __table__
        session.execute(insert.values(country_code=country_code, year=year, last=0)
                        .on_conflict_do_nothing())
        seq = session.execute(bump).scalar_one()
    return int(seq)
