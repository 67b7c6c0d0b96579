"""Members and invites: who may use the bot, in which role and area."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from storage.audit import append_audit
from storage.clock import to_db
from storage.database import Database
from storage.models import Address, Gender, Invite, Member, Role
from storage.skills import set_member_skills
from storage.sql import fetch_all, fetch_one

__all__ = ["AddressTaken", "DuplicatePhone", "InviteUnavailable", "MemberStore", "NewMember",
           "leaders_in", "mark_reachable", "member_in", "set_member_role", "set_member_status"]


# Called inside the roster import's transaction with each member added and its index.
RosterHook = Callable[[object, Member, int], Awaitable[None]]


class DuplicatePhone(Exception):
    """Another active member already has this phone number."""


class InviteUnavailable(Exception):
    """The invite was used or expired between /start and the end of the dialogue."""


class AddressTaken(Exception):
    """The address is linked to someone else, or the member already has one on that transport."""


@dataclass(frozen=True, slots=True)
class NewMember:
    name: str
    role: Role
    phone: str | None = None
    area: str | None = None
    gender: Gender = "undisclosed"
    locale: str | None = None
    address: Address | None = None  # where they are reached, if already known
    reported_locale: str | None = None  # the language their transport reports
    skills: tuple[str, ...] = ()  # skill keys from the config's list


_INSERT = """
INSERT INTO members (name, phone, area, gender, role, locale, source, created_at)
VALUES (:name, :phone, :area, :gender, :role, :locale, :source, :now)
RETURNING id
"""
# Members with the address messages go to (migration 006 defines the view).
_CONTACT = "SELECT * FROM member_contacts"
_BY_ADDRESS = (
    "SELECT m.* FROM member_contacts AS m JOIN member_addresses AS a ON a.member_id = m.id"
    " WHERE a.transport = ? AND a.address = ? AND m.status != 'removed'"
)
_LEADERS = (f"{_CONTACT} WHERE role = 'leader' AND status = 'active'"
            " AND address_id IS NOT NULL ORDER BY id")


class MemberStore:
    """Reads and writes members and invites."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def by_address(self, address: Address) -> Member | None:
        """Returns the (not removed) member who talks to us from this address."""
        row = await self.db.fetch_one(_BY_ADDRESS, (address.transport, address.id))
        return Member.from_row(row) if row else None

    async def by_id(self, member_id: int) -> Member | None:
        """Returns the member with this id."""
        row = await self.db.fetch_one(f"{_CONTACT} WHERE id = ?", (member_id,))
        return Member.from_row(row) if row else None

    async def by_phone(self, phone: str) -> Member | None:
        """Returns the active member with this normalised phone number."""
        row = await self.db.fetch_one(
            f"{_CONTACT} WHERE phone = ? AND status != 'removed'", (phone,)
        )
        return Member.from_row(row) if row else None

    async def addresses(self, member_id: int) -> list[Address]:
        """Every address the member is linked at, on any transport."""
        rows = await self.db.fetch_all(
            "SELECT transport, address FROM member_addresses WHERE member_id = ? ORDER BY id",
            (member_id,))
        return [Address(row["transport"], row["address"]) for row in rows]

    async def all_members(self) -> list[Member]:
        """Returns every member who is not removed, leaders first, then by name."""
        rows = await self.db.fetch_all(
            f"{_CONTACT} WHERE status != 'removed' ORDER BY role, name COLLATE NOCASE"
        )
        return [Member.from_row(row) for row in rows]

    async def leaders(self) -> list[Member]:
        """Returns the active leaders who can be reached on some transport."""
        async with self.db.reader.execute(_LEADERS) as cursor:
            return [Member.from_row(row) for row in await cursor.fetchall()]

    async def add(self, member: NewMember, *, source: str, actor: str, now: datetime) -> Member:
        """Adds one member (e.g. an admin from config on first start)."""
        async with self.db.transaction() as connection:
            created = await self._insert(connection, member, source, now)
            await append_audit(connection, now, actor, "member.added", member_id=created.id,
                               role=created.role, source=source)
        return created

    async def ensure_admin(self, address: Address, *, now: datetime) -> Member:
        """Makes the configured admin a leader, creating a placeholder member if needed."""
        async with self.db.transaction() as connection:
            row = await fetch_one(connection, _BY_ADDRESS, (address.transport, address.id))
            if row is None:
                member = NewMember(name=f"Admin {address.id}", role="leader", address=address)
                created = await self._insert(connection, member, "admin", now)
                await append_audit(connection, now, "config", "member.added",
                                   member_id=created.id, role="leader", source="admin")
                return created
            if row["role"] != "leader":
                await connection.execute(
                    "UPDATE members SET role = 'leader' WHERE id = ?", (row["id"],)
                )
                await append_audit(connection, now, "config", "member.role_changed",
                                   member_id=row["id"], role="leader")
            return await member_in(connection, row["id"])

    async def import_roster(self, members: list[NewMember], *, actor: str, now: datetime,
                            each: RosterHook | None = None) -> int:
        """Adds a whole roster in one transaction: all rows or none. `each` is called inside
        it with every member added and its place in the list (e.g. to write to them first)."""
        async with self.db.transaction() as connection:
            for index, member in enumerate(members):
                created = await self._insert(connection, member, "roster", now)
                if each is not None:
                    await each(connection, created, index)
            await append_audit(connection, now, actor, "roster.imported", count=len(members))
        return len(members)

    async def enrol_with_invite(
        self, invite_id: int, member: NewMember, *, now: datetime
    ) -> Member:
        """Creates the member and uses up the invite in one step; refuses a used invite."""
        async with self.db.transaction() as connection:
            cursor = await connection.execute(
                "UPDATE invites SET used_at = ? WHERE id = ? AND used_at IS NULL RETURNING id",
                (to_db(now), invite_id),
            )
            if await cursor.fetchone() is None:
                raise InviteUnavailable
            created = await self._insert(connection, member, "invite", now)
            await connection.execute(
                "UPDATE invites SET used_by = ? WHERE id = ?", (created.id, invite_id)
            )
            await append_audit(connection, now, f"member:{created.id}", "member.enrolled",
                               member_id=created.id, role=created.role, invite_id=invite_id)
        return created

    async def link_address(self, member_id: int, address: Address,
                           reported_locale: str | None, *, now: datetime) -> Member:
        """Links a member to an address (e.g. the account that shared their phone number).

        Refused (AddressTaken) when the address belongs to someone else or the member already
        has an address on that transport.
        """
        async with self.db.transaction() as connection:
            try:
                await _insert_address(connection, member_id, address, reported_locale, now)
            except sqlite3.IntegrityError:
                raise AddressTaken(str(address)) from None
            await append_audit(connection, now, f"member:{member_id}", "member.linked",
                               member_id=member_id, transport=address.transport)
            return await member_in(connection, member_id)

    async def set_locale(self, member_id: int, locale: str | None, *,
                         now: datetime | None = None) -> None:
        """Stores the language the member chose with /language."""
        async with self.db.transaction() as connection:
            await connection.execute(
                "UPDATE members SET locale = ? WHERE id = ?", (locale, member_id)
            )
            if now is not None:
                await append_audit(connection, now, f"member:{member_id}",
                                   "member.language_set", member_id=member_id, locale=locale)

    async def note_reported_locale(self, address: Address, locale: str | None) -> None:
        """Remembers the language a transport reports for an address, for messages sent later."""
        async with self.db.transaction() as connection:
            await connection.execute(
                "UPDATE member_addresses SET reported_locale = ? WHERE transport = ?"
                " AND address = ? AND reported_locale IS NOT ?",
                (locale, address.transport, address.id, locale),
            )

    async def create_invite(
        self, token_hash: str, role: Role, area: str | None, *, created_by: str,
        now: datetime, expires_at: datetime,
    ) -> Invite:
        """Stores a new invite under the hash of its token."""
        async with self.db.transaction() as connection:
            async with connection.execute(
                "INSERT INTO invites (token_hash, role, area, created_by, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
                (token_hash, role, area, created_by, to_db(now), to_db(expires_at)),
            ) as cursor:
                row = await cursor.fetchone()
            await append_audit(connection, now, created_by, "invite.created",
                               invite_id=row["id"], role=role, area=area)
        return Invite.from_row(row)

    async def invite_by_hash(self, token_hash: str) -> Invite | None:
        """Returns the invite with this token hash, used or not."""
        row = await self.db.fetch_one("SELECT * FROM invites WHERE token_hash = ?", (token_hash,))
        return Invite.from_row(row) if row else None

    async def invite_by_id(self, invite_id: int) -> Invite | None:
        """Returns the invite with this id."""
        row = await self.db.fetch_one("SELECT * FROM invites WHERE id = ?", (invite_id,))
        return Invite.from_row(row) if row else None

    @staticmethod
    async def _insert(connection, member: NewMember, source: str, now: datetime) -> Member:
        if member.phone is not None:
            async with connection.execute(
                "SELECT 1 FROM members WHERE phone = ? AND status != 'removed'", (member.phone,)
            ) as cursor:
                if await cursor.fetchone():
                    raise DuplicatePhone(member.phone)
        parameters = {
            "name": member.name,
            "phone": member.phone,
            "area": member.area,
            "gender": member.gender,
            "role": member.role,
            "locale": member.locale,
            "source": source,
            "now": to_db(now),
        }
        row = await fetch_one(connection, _INSERT, parameters)
        if member.skills:
            await set_member_skills(connection, row["id"], member.skills)
        if member.address is not None:
            try:
                await _insert_address(connection, row["id"], member.address,
                                      member.reported_locale, now)
            except sqlite3.IntegrityError:
                raise AddressTaken(str(member.address)) from None
        return await member_in(connection, row["id"])


async def _insert_address(connection, member_id: int, address: Address,
                          reported_locale: str | None, now: datetime) -> None:
    await connection.execute(
        "INSERT INTO member_addresses (member_id, transport, address, reported_locale,"
        " linked_at) VALUES (?, ?, ?, ?, ?)",
        (member_id, address.transport, address.id, reported_locale, to_db(now)))



async def leaders_in(connection) -> list[Member]:
    """Active leaders reachable on some transport, read inside the transaction."""
    return [Member.from_row(row) for row in await fetch_all(connection, _LEADERS)]


async def member_in(connection, member_id: int) -> Member | None:
    """The member with this id (removed ones included), read inside the transaction."""
    row = await fetch_one(connection, f"{_CONTACT} WHERE id = ?", (member_id,))
    return Member.from_row(row) if row else None


async def mark_reachable(connection, address: Address, reachable: bool) -> list[int]:
    """Remembers whether a transport accepts messages to this address; returns the member ids
    whose address it is (none for a stranger)."""
    rows = await fetch_all(
        connection, "UPDATE member_addresses SET reachable = ? WHERE transport = ?"
                    " AND address = ? AND reachable != ? RETURNING member_id",
        (int(reachable), address.transport, address.id, int(reachable)))
    return [row[0] for row in rows]


async def set_member_status(connection, member_id: int, status: str) -> None:
    """Pauses ('paused') or resumes ('active') a member inside the caller's transaction."""
    if status not in ("active", "paused"):
        raise ValueError(status)
    await connection.execute("UPDATE members SET status = ? WHERE id = ? AND status != 'removed'",
                             (status, member_id))


async def set_member_role(connection, member_id: int, role: Role) -> None:
    """Makes a member a leader or a volunteer inside the caller's transaction."""
    await connection.execute("UPDATE members SET role = ? WHERE id = ? AND status != 'removed'",
                             (role, member_id))
