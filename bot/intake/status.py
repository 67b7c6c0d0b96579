"""What a requester sees of their request: a pure function of the request, its call-out and the
people asked. Never the briefing or the place; volunteers' names and phones only when the
organisation shares them (intake.share_team).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.callout.render import area_name
from bot.config import Settings
from bot.i18n import Translator
from storage.intake import IntakeRecord
from storage.models import Activation, Member, Request

__all__ = ["FINAL_STATES", "RequestStatus", "TeamPerson", "request_status", "status_line"]

State = Literal["received", "taken", "declined", "asking", "staffed", "on_site", "closed",
                "cancelled"]
FINAL_STATES = ("declined", "closed", "cancelled")


class TeamPerson(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    phone: str | None


class RequestStatus(BaseModel):
    """Where a request stands, as the API returns it and the callbacks post it. Never the
    briefing or the place; the support persons' names only when the organisation shares them."""

    model_config = ConfigDict(frozen=True)
    id: str = Field(description="The request's id, for GET /api/v1/requests/{id}.")
    state: State = Field(description=(
        "received: waiting for a duty leader; taken: a leader prepares the call-out; declined: "
        "see leader_phone; asking: support persons are asked; staffed: the team is on its way; "
        "on_site: arrived; closed; cancelled."))
    received_at: datetime
    kind: str
    area: str
    area_name: str
    needed: int
    exercise: bool
    summary: str
    leader_name: str | None = Field(description="The duty leader who took or declined it.")
    leader_phone: str | None
    code: str | None = Field(description="The call-out's code once activated, e.g. 2026-014.")
    asked: int = Field(description="Support persons asked so far.")
    confirmed: int = Field(description="Support persons who said yes and go.")
    staffed_at: datetime | None
    arrived_at: datetime | None = Field(description="When the first support person arrived.")
    closed_at: datetime | None
    cancelled_at: datetime | None
    escalated: bool = Field(description="No leader has answered in time; call duty_phone.")
    duty_phone: str | None
    team: tuple[TeamPerson, ...] | None = Field(
        description="Only when the organisation shares it (intake.share_team).")

    @property
    def final(self) -> bool:
        """Nothing more will happen to the request."""
        return self.state in FINAL_STATES

    def fingerprint(self) -> str:
        """Changes whenever anything the requester sees changes ('final:' once it is over)."""
        digest = hashlib.sha256(self.model_dump_json().encode()).hexdigest()
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
        team = tuple(TeamPerson(name=member.name, phone=member.phone)
                     for _, member in confirmed)
    call_out = record.call_out
    return RequestStatus(
        id=record.public_id, state=state, received_at=record.created_at,
        kind=call_out.kind, area=call_out.area, area_name=area_name(settings, call_out.area),
        needed=activation.needed if activation else call_out.needed, exercise=call_out.exercise,
        summary=call_out.summary,
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
