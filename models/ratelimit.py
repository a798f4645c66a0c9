"""Counters of the sign-in rate limit, shared by every process through the database."""


from sqlmodel import Field, SQLModel


class RateLimit(SQLModel, table=True):
    """How many attempts `key` made in the fixed window starting at `window_start` (epoch s)."""

    __tablename__ = "rate_limit"
    __audit__ = False

    key: str = Field(primary_key=True, max_length=128)
    window_start: int = Field(primary_key=True, index=True)
    count: int = Field(default=0)
