"""The answers to requests sent with an `Idempotency-Key`, kept so a retry gets them again."""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utc_field, utcnow


class IdempotencyKey(SQLModel, table=True):
    """One caller's key: the request it came with (a hash) and, once answered, the answer.

    `status` is NULL while the first request is still running."""

    __tablename__ = "idempotency_key"
    __table_args__ = (sa.UniqueConstraint("caller", "key", name="uq_idempotency_key_caller_key"),)

    id: int | None = Field(default=None, primary_key=True)
    caller: str = Field(max_length=64)
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)
    created_at: dt.datetime = utc_field(default_factory=utcnow)
    expires_at: dt.datetime = utc_field(index=True)
    status: int | None = Field(default=None)
    headers: dict[str, str] | None = Field(default=None, sa_type=sa.JSON)
    body: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
