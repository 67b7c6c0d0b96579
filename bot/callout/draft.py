"""Who issues a call-out, and the one validator of what a call-out may say.

`/activate` and the alarm intake both go through `check_draft`, so a call-out has the same
limits whoever asks for it: a known kind and area, 1–20 people, a summary that fits on a phone
screen, a briefing of at most a page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from bot.config import Settings
from bot.typed import clean_text
from storage.callouts import NewActivation
from storage.models import Member
from storage.shifts import ShiftPlan

__all__ = [
    "MAX_BRIEFING",
    "MAX_NEEDED",
    "MAX_PLACE",
    "MAX_SKILLS",
    "MAX_SUMMARY",
    "Actor",
    "DraftRefused",
    "check_draft",
    "check_needed",
    "check_shifts",
    "check_text",
]

MAX_NEEDED = 20
MAX_SUMMARY = 300
MAX_BRIEFING = 2500
MAX_PLACE = 300  # a typed meeting place or address
MAX_SKILLS = 5  # skills one call-out may ask for
MIN_SHIFT, MAX_SHIFT = timedelta(minutes=30), timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who issues a call-out: a leader in chat, or a requester from outside (e.g. SOS Alarm
    through the intake), who need not be a member.

    `audit` is how the audit log names them ("member:12", "requester:3"); `name` is what the
    leaders are told. `requested_by` is who outside the group asked for the call-out (shown in
    /status CODE), and `intake_id` the intake request it answers (bot.intake), when there is one.
    """

    name: str
    audit: str
    member: Member | None = None
    requested_by: str | None = None
    intake_id: int | None = None

    @classmethod
    def leader(cls, member: Member) -> Actor:
        """A member (a leader) acting in chat."""
        return cls(member.name, f"member:{member.id}", member)

    @classmethod
    def requester(cls, name: str, audit: str) -> Actor:
        """Someone outside the group, e.g. "SOS Alarm", audited as `audit`."""
        return cls(name, audit, requested_by=name)

    def on_behalf_of(self, requested_by: str, intake_id: int) -> Actor:
        """The same actor issuing a call-out that an intake request asked for."""
        return replace(self, requested_by=requested_by, intake_id=intake_id)


class DraftRefused(ValueError):
    """A call-out that may not be sent as it is; `field` names what is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def check_needed(needed: int) -> int:
    """How many support persons: 1 to 20."""
    if not 1 <= needed <= MAX_NEEDED:
        raise DraftRefused("needed", f"must be from 1 to {MAX_NEEDED}")
    return needed


def check_text(field: str, text: str | None, limit: int, *, required: bool = True) -> str | None:
    """A typed text, cleaned of invisible marks and stripped: present when required and at
    most `limit` characters. Control characters are refused, not dropped: chat input is cleaned
    before it gets here (handlers.chat), so only a caller of the intake's API can send them, and
    it is told which field is wrong."""
    if not _printable(text or ""):
        raise DraftRefused(field, "contains characters that are not text")
    value = clean_text(text or "").strip()
    if not value:
        if required:
            raise DraftRefused(field, "must not be empty")
        return None
    if len(value) > limit:
        raise DraftRefused(field, f"at most {limit} characters")
    return value


def check_shifts(settings: Settings, plan: ShiftPlan) -> ShiftPlan:
    """Shifts of half an hour to a day, at least one and at most `shifts.max_shifts`."""
    if not MIN_SHIFT <= plan.length <= MAX_SHIFT:
        raise DraftRefused("shift_length", "from 30 minutes to 24 hours")
    if not 1 <= plan.count <= settings.shifts.max_shifts:
        raise DraftRefused("shift_count", f"from 1 to {settings.shifts.max_shifts}")
    if plan.first_start.tzinfo is None:
        raise DraftRefused("first_start", "needs a time zone")
    return plan
def _printable(text: str) -> bool:
    """No control characters but line breaks and tabs, and no lone surrogates (which can be
    neither stored as UTF-8 nor sent)."""
    if any((ord(char) < 32 and char not in "\n\r\t") or ord(char) == 127 for char in text):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_draft(settings: Settings, draft: NewActivation) -> NewActivation:
    """The draft with its texts stripped, or DraftRefused naming the first field that is wrong."""
    if settings.callout.kind(draft.kind) is None:
        raise DraftRefused("kind", f"unknown kind {draft.kind!r}")
    if settings.area(draft.area) is None:
        raise DraftRefused("area", f"unknown area {draft.area!r}")
    check_needed(draft.needed)
    summary = check_text("summary", draft.summary, MAX_SUMMARY)
    briefing = check_text("briefing", draft.briefing, MAX_BRIEFING, required=False)
    title = check_text("location_title", draft.location_title, MAX_PLACE, required=False)
    place = check_text("location_address", draft.location_address, MAX_PLACE, required=False)
    if (draft.location_lat is None) != (draft.location_lon is None):
        raise DraftRefused("location", "latitude and longitude go together")
    if draft.location_lat is not None and not (-90 <= draft.location_lat <= 90
                                               and -180 <= draft.location_lon <= 180):
        raise DraftRefused("location", "not a place on Earth")
    if draft.shifts is not None:
        if draft.kind not in settings.shifts.kinds:
            raise DraftRefused("shifts", f"{draft.kind!r} is not staffed in shifts "
                                         "(shifts.kinds)")
        check_shifts(settings, draft.shifts)
    unknown = [key for key in draft.skills if settings.skill(key) is None]
    if unknown:
        raise DraftRefused("skills", f"unknown skill {unknown[0]!r}")
    if len(set(draft.skills)) > MAX_SKILLS:
        raise DraftRefused("skills", f"at most {MAX_SKILLS} skills")
    return replace(draft, summary=summary, briefing=briefing, location_title=title,
                   location_address=place, skills=tuple(dict.fromkeys(draft.skills)))
