"""Leaders manage the roster in chat (/roster): list, pause, resume, change a role, remove.

Each change is one transaction with its audit row (ids only). The group must never be left
without a leader who can act: pausing, demoting or removing the last active leader is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.callout.render import area_name
from bot.callout.skills import skill_labels
from bot.config import Settings
from bot.delivery.messages import OutgoingMessage
from bot.i18n import N_, Translator
from bot.people.enrolment import ROLE_LABELS
from bot.people.privacy import Erasure, PrivacyService
from bot.records.audit_trail import split_lines
from storage import privacy as privacy_sql
from storage.audit import append_audit
from storage.callouts import confirmed_on
from storage.clock import Clock
from storage.database import Database
from storage.members import MemberStore, member_in, set_member_role, set_member_status
from storage.models import Member, Role
from storage.skills import set_member_skills
from storage.sql import Connection

__all__ = ["RosterAdmin", "RosterChange", "roster_messages"]

logger = logging.getLogger(__name__)

STATUS_LABELS = {"active": N_("active"), "paused": N_("paused"), "removed": N_("removed")}


# Runs inside the pausing transaction, e.g. to stand down the member's open requests.
PausedHook = Callable[[Connection, Member, datetime], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RosterChange:
    """What a roster command did: `outcome` is "done", "unchanged", "unknown" or
    "last_leader"; `member` is the member after the change; `confirmed_on` lists the running
    call-outs a paused member still holds a confirmed place on."""

    outcome: str
    member: Member | None = None
    confirmed_on: tuple[str, ...] = ()


class RosterAdmin:
    """Pause, resume and role changes on a leader's word."""

    def __init__(self, settings: Settings, database: Database, members: MemberStore,
                 privacy: PrivacyService, clock: Clock) -> None:
        self.settings = settings
        self.db = database
        self.members = members
        self.privacy = privacy
        self.clock = clock
        # Told of each member paused, inside that transaction (the call-out service stands
        # down their open requests: a paused member is neither asked nor able to answer).
        self.on_paused: list[PausedHook] = []

    async def pause(self, leader: Member, member_id: int) -> RosterChange:
        """Stops asking a member (e.g. on leave) without removing them."""
        return await self._change(leader, member_id, status="paused")

    async def resume(self, leader: Member, member_id: int) -> RosterChange:
        """Makes a paused member active again."""
        return await self._change(leader, member_id, status="active")

    async def set_role(self, leader: Member, member_id: int, role: Role) -> RosterChange:
        """Makes a member a leader or a support person."""
        return await self._change(leader, member_id, role=role)

    async def set_skills(self, leader: Member, member_id: int,
                         skills: tuple[str, ...]) -> RosterChange:
        """Replaces a member's skills (keys from the config's list; empty clears them)."""
        now = self.clock()
        async with self.db.transaction() as tx:
            member = await member_in(tx, member_id)
            if member is None or member.status == "removed":
                return RosterChange("unknown")
            await set_member_skills(tx, member.id, skills)
            # Skills can say something about a person's background: only their count is kept
            # in the append-only audit log.
            await append_audit(tx, now, f"member:{leader.id}", "member.skills_set",
                               member_id=member.id, count=len(skills))
        logger.info("member %d skills set by member %d: %d", member.id, leader.id, len(skills))
        return RosterChange("done", member)

    async def remove(self, leader: Member | None, member_id: int) -> Erasure:
        """Erases a member's personal data (the statistics stay)."""
        actor = f"member:{leader.id}" if leader else "cli"
        return await self.privacy.erase(member_id, actor=actor)

    async def _change(self, leader: Member, member_id: int, *, status: str | None = None,
                      role: Role | None = None) -> RosterChange:
        now = self.clock()
        async with self.db.transaction() as tx:
            member = await member_in(tx, member_id)
            if member is None or member.status == "removed":
                return RosterChange("unknown")
            new_status = status or member.status
            new_role = role or member.role
            if (new_status, new_role) == (member.status, member.role):
                return RosterChange("unchanged", member)
            stays_leader = new_role == "leader" and new_status == "active"
            if member.is_leader and member.status == "active" and not stays_leader and \
                    await privacy_sql.count_active_leaders(tx, besides=member.id) == 0:
                return RosterChange("last_leader", member)
            busy: list[str] = []
            if status is not None:
                await set_member_status(tx, member.id, status)
                await append_audit(tx, now, f"member:{leader.id}",
                                   "member.paused" if status == "paused" else "member.resumed",
                                   member_id=member.id)
                if status == "paused":
                    paused = await member_in(tx, member.id)
                    for hook in self.on_paused:
                        await hook(tx, paused, now)
                    busy = await confirmed_on(tx, member.id)
            if role is not None:
                await set_member_role(tx, member.id, role)
                await append_audit(tx, now, f"member:{leader.id}", "member.role_changed",
                                   member_id=member.id, role=role)
            changed = await member_in(tx, member.id)
        logger.info("member %d changed by member %d: status=%s role=%s", member.id, leader.id,
                    changed.status, changed.role)
        return RosterChange("done", changed, tuple(busy))


def roster_messages(settings: Settings, members: list[Member], t: Translator,
                    skills: dict[int, frozenset[str]] | None = None) -> list[OutgoingMessage]:
    """/roster: every member with id, role, area, state and skills, leaders first."""
    lines = [t.ngettext("{count} member:", "{count} members:", len(members)).format(
        count=len(members))]
    for member in members:
        state = t.gettext(STATUS_LABELS.get(member.status, member.status))
        has = (skills or {}).get(member.id)
        extra = f" – {skill_labels(settings, has, t)}" if has else ""
        lines.append(f"{member.id}. {member.name} – {t.gettext(ROLE_LABELS[member.role])}, "
                     f"{area_name(settings, member.area)}, {state}{extra}")
    lines.append("")
    lines.append(t.gettext("Change: /roster pause ID, /roster resume ID, /roster leader ID, "
                           "/roster volunteer ID; erase: /remove ID"))
    if settings.skills:
        lines.append(t.gettext("Skills: /roster skills ID arabic, first_aid (or - for none). "
                               "Known: {keys}").format(
            keys=", ".join(skill.key for skill in settings.skills)))
    return split_lines(lines)
