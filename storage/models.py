"""The rows storage hands to the core, as plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from storage.clock import from_db

__all__ = ["Activation", "Address", "Deadline", "Gender", "Invite", "Member", "Request", "Role"]

Role = Literal["leader", "volunteer"]
Gender = Literal["female", "male", "other", "undisclosed"]
ROLES: tuple[Role, ...] = ("leader", "volunteer")
GENDERS: tuple[Gender, ...] = ("female", "male", "other", "undisclosed")


@dataclass(frozen=True, slots=True, order=True)
class Address:
    """A person's chat on one transport: ("telegram", "123456789"), ("signal", "+4670…").

    `id` is always a string, whatever the transport uses (a Telegram user id, a Signal number
    or UUID). `str(address)` is the stored form, "telegram:123456789".
    """

    transport: str
    id: str

    def __post_init__(self) -> None:
        if not self.transport or ":" in self.transport or not self.id:
            raise ValueError(f"not an address: {self.transport!r}, {self.id!r}")

    def __str__(self) -> str:
        return f"{self.transport}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> Address:
        """Reads the stored form, "telegram:123456789"."""
        transport, separator, ident = text.partition(":")
        if not separator:
            raise ValueError(f"not an address: {text!r}")
        return cls(transport, ident)


@dataclass(frozen=True, slots=True)
class Member:
    """A member as the core knows them; `address` is where messages to them go (their reachable,
    most recently linked address on any transport), None while they have none."""

    id: int
    name: str
    phone: str | None
    area: str | None
    gender: Gender
    role: Role
    locale: str | None
    status: str
    away_until: datetime | None
    source: str
    created_at: datetime
    address: Address | None = None
    reported_locale: str | None = None  # the language the address's transport last reported
    unreachable: bool = False  # every address they have was refused

    @property
    def is_leader(self) -> bool:
        return self.role == "leader"

    @classmethod
    def from_row(cls, row: Any) -> Member:
        """Reads a row of the member_contacts view (or of members, without an address)."""
        keys = row.keys()
        transport = row["address_transport"] if "address_transport" in keys else None
        return cls(
            id=row["id"],
            name=row["name"],
            phone=row["phone"],
            area=row["area"],
            gender=row["gender"],
            role=row["role"],
            locale=row["locale"],
            status=row["status"],
            away_until=from_db(row["away_until"]),
            source=row["source"],
            created_at=from_db(row["created_at"]),
            address=Address(transport, row["address_id"]) if transport else None,
            reported_locale=row["reported_locale"] if "reported_locale" in keys else None,
            unreachable=bool(row["unreachable"]) if "unreachable" in keys else False,
        )


@dataclass(frozen=True, slots=True)
class Invite:
    id: int
    role: Role
    area: str | None
    expires_at: datetime
    used_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Invite:
        return cls(
            id=row["id"],
            role=row["role"],
            area=row["area"],
            expires_at=from_db(row["expires_at"]),
            used_at=from_db(row["used_at"]),
        )


ActivationState = Literal["open", "staffed", "closed", "cancelled"]
RequestState = Literal["pending", "tentative", "confirmed", "reserve", "declined", "stood_down",
                       "withdrawn", "released"]


@dataclass(frozen=True, slots=True)
class Activation:
    id: int
    code: str
    kind: str
    area: str
    needed: int
    summary: str
    briefing: str | None
    location_lat: float | None
    location_lon: float | None
    location_title: str | None
    location_address: str | None
    exercise: bool
    state: ActivationState
    created_by: int | None
    created_at: datetime
    staffed_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    unstaffed_alert_at: datetime | None = None
    required_skills: tuple[str, ...] = ()  # skill keys the team should include (issue 16)
    requested_by: str | None = None  # who outside the group asked for it (the alarm intake)

    @property
    def is_active(self) -> bool:
        return self.state in ("open", "staffed")

    @classmethod
    def from_row(cls, row: Any) -> Activation:
        keys = row.keys()  # a sqlite3.Row's `in` looks at values, not at column names
        return cls(
            id=row["id"], code=row["code"], kind=row["kind"], area=row["area"],
            needed=row["needed"], summary=row["summary"], briefing=row["briefing"],
            location_lat=row["location_lat"], location_lon=row["location_lon"],
            location_title=row["location_title"], location_address=row["location_address"],
            exercise=bool(row["exercise"]), state=row["state"], created_by=row["created_by"],
            created_at=from_db(row["created_at"]), staffed_at=from_db(row["staffed_at"]),
            closed_at=from_db(row["closed_at"]), cancelled_at=from_db(row["cancelled_at"]),
            unstaffed_alert_at=from_db(row["unstaffed_alert_at"]),
            required_skills=_keys(row["required_skills"]) if "required_skills" in keys else (),
            requested_by=row["requested_by"] if "requested_by" in keys else None,
        )


def _keys(text: str | None) -> tuple[str, ...]:
    """Comma-separated keys as stored ("arabic,priest") as a tuple."""
    return tuple(key for key in (text or "").split(",") if key)


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    activation_id: int
    member_id: int
    state: RequestState
    wave: int
    asked_at: datetime
    answered_at: datetime | None
    confirmed_at: datetime | None
    arrived_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Request:
        return cls(
            id=row["id"], activation_id=row["activation_id"], member_id=row["member_id"],
            state=row["state"], wave=row["wave"], asked_at=from_db(row["asked_at"]),
            answered_at=from_db(row["answered_at"]), confirmed_at=from_db(row["confirmed_at"]),
            arrived_at=from_db(row["arrived_at"]),
        )


@dataclass(frozen=True, slots=True)
class Deadline:
    """A moment something must happen (a reminder, the next wave, an alert), kept as a row."""

    id: int
    kind: str
    activation_id: int | None
    request_id: int | None
    step: int
    due_at: datetime
    # When the row was written, on the same clock as due_at: due_at - created_at is the delay
    # it was given, whatever the wall clock did since.
    created_at: datetime | None = None

    @property
    def delay(self) -> timedelta | None:
        """The delay the deadline was set with (None if its creation time is unknown)."""
        return None if self.created_at is None else self.due_at - self.created_at
    intake_id: int | None = None  # a request of the alarm intake (bot.intake)

    @classmethod
    def from_row(cls, row: Any) -> Deadline:
        return cls(id=row["id"], kind=row["kind"], activation_id=row["activation_id"],
                   request_id=row["request_id"], step=row["step"], due_at=from_db(row["due_at"]),
                   created_at=from_db(row["created_at"]),
                   intake_id=row["intake_id"] if "intake_id" in tuple(row.keys()) else None)
