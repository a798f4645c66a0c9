"""Planning: when a staff member is away (leave, travel, courses), beside their bookings."""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utc_field, utcnow


class StaffUnavailability(SQLModel, table=True):
    """A window in which a staff member cannot be booked, with the reason (staff eyes only)."""

    __tablename__ = "staff_unavailability"
    __table_args__ = (
        # A range's windows for the people asked about, without reading anyone's history.
        sa.Index("ix_staff_unavailability_staff_window", "staff_id", "starts_at", "ends_at"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_staff_unavailability_window"),
    )

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff_member.id")
    starts_at: dt.datetime = utc_field()
    ends_at: dt.datetime = utc_field()
    reason: str = Field(max_length=200)
    created_at: dt.datetime = utc_field(default_factory=utcnow)
