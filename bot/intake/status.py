"""What a requester sees of their request: a pure function of the request, its call-out and the
people asked. Never the briefing or the place; volunteers' names and phones only when the
organisation shares them (intake.share_team).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from bot.callout.render import area_name
from bot.config import Settings
from bot.i18n import Translator
from storage.intake import IntakeRecord
from storage.models import Activation, Member, Request

__all__ = ["FINAL_STATES", "RequestStatus", "TeamPerson", "request_status", "status_line"]

State = Literal["received", "taken", "declined", "asking", "staffed", "on_site", "closed",
                "cancelled"]
FINAL_STATES = ("declined", "closed", "cancelled")


@dataclass(frozen=True, slots=True)
class TeamPerson:
    name: str
    phone: str | None


@dataclass(frozen=True, slots=True)
class RequestStatus:
    """The state of one request, as the API returns it and the callbacks post it."""

    id: str
    state: State
    received_at: datetime
    kind: str
    area: str
    area_name: str
    needed: int
    exercise: bool
    summary: str
    leader_name: str | None
    leader_phone: str | None
    code: str | None
    asked: int
    confirmed: int
    staffed_at: datetime | None
    arrived_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    escalated: bool
    duty_phone: str | None
    team: tuple[TeamPerson, ...] | None

    @property
    def final(self) -> bool:
        """Nothing more will happen to the request."""
        return self.state in FINAL_STATES

    def as_json(self) -> dict[str, Any]:
        """The JSON form (times as ISO 8601 in UTC)."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat().replace("+00:00", "Z")
        data["team"] = [dict(person) for person in data["team"]] if self.team is not None \
            else None
        return data

    def fingerprint(self) -> str:
        """Changes whenever anything the requester sees changes ('final:' once it is over)."""
        digest = hashlib.sha256(json.dumps(self.as_json(), sort_keys=True).encode()).hexdigest()
        return f"final:{digest}" if self.final else digest


def request_status(settings: Settings, record: IntakeRecord, activation: Activation | None,
                   people: Sequence[tuple[Request, Member]],
                   leader: Member | None) -> RequestStatus:
    """The requester's view of a request and what became of it."""
    confirmed = [(request, member) for request, member in people if request.state == "confirmed"]
    arrivals = [request.arrived_at for request, _ in confirmed if request.arrived_at]
    state: State
    if activation is None:
        state = {"received": "received", "taken": "taken"}.get(record.state, "declined")
    elif activation.state == "open":
        state = "asking"
    elif activation.state == "staffed":
        state = "on_site" if arrivals else "staffed"
    else:
        state = activation.state
    team = None
    if settings.intake.share_team and activation is not None:
        team = tuple(TeamPerson(member.name, member.phone) for _, member in confirmed)
    return RequestStatus(
        id=record.public_id, state=state, received_at=record.created_at,
        kind=record.kind, area=record.area, area_name=area_name(settings, record.area),
        needed=activation.needed if activation else record.needed, exercise=record.exercise,
        summary=record.summary,
        leader_name=leader.name if leader else None,
        leader_phone=leader.phone if leader else None,
        code=activation.code if activation else None,
        asked=len(people), confirmed=len(confirmed),
        staffed_at=activation.staffed_at if activation else None,
        arrived_at=min(arrivals) if arrivals else None,
        closed_at=activation.closed_at if activation else None,
        cancelled_at=activation.cancelled_at if activation else None,
        escalated=record.alerted_at is not None and state == "received",
        duty_phone=settings.organisation.duty_phone, team=team)


def status_line(status: RequestStatus, t: Translator) -> str:
    """One line saying where the request stands, e.g. "2 av 2 på väg"."""
    if status.state == "received":
        if status.escalated:
            return t.gettext("No leader has answered yet. Call the duty phone: {phone}").format(
                phone=status.duty_phone or "–")
        return t.gettext("Received – waiting for a duty leader.")
    if status.state == "taken":
        return t.gettext("Taken by {name} – the call-out is being prepared.").format(
            name=status.leader_name or "–")
    if status.state == "declined":
        return t.gettext("Declined by {name}. Call {phone} for more.").format(
            name=status.leader_name or "–", phone=status.leader_phone or status.duty_phone
            or "–")
    if status.state == "asking":
        return t.ngettext("Asked {asked} support person – {confirmed} of {needed} confirmed.",
                          "Asked {asked} support persons – {confirmed} of {needed} confirmed.",
                          status.asked).format(asked=status.asked, confirmed=status.confirmed,
                                               needed=status.needed)
    if status.state == "staffed":
        # Translators: the requester's status once the team is complete, e.g. "2 av 2 på väg".
        return t.gettext("{confirmed} of {needed} on the way").format(
            confirmed=status.confirmed, needed=status.needed)
    if status.state == "on_site":
        return t.gettext("On site since {time}.").format(time=t.time(status.arrived_at))
    if status.state == "closed":
        return t.gettext("Finished {time}.").format(time=t.time(status.closed_at))
    return t.gettext("Called off {time}.").format(time=t.time(status.cancelled_at))
