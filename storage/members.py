"""Members and invites: who may use the bot, in which role and area."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.audit import append_audit
from storage.clock import to_db
from storage.database import Database
from storage.models import Gender, Invite, Member, Role

__all__ = ["DuplicatePhone", "InviteUnavailable", "MemberStore", "NewMember", "member_in",
           "set_member_role", "set_member_status"]


class DuplicatePhone(Exception):
    """Another active member already has this phone number."""


class InviteUnavailable(Exception):
    """The invite was used or expired between /start and the end of the dialogue."""


@dataclass(frozen=True, slots=True)
class NewMember:
    name: str
    role: Role
    phone: str | None = None
    area: str | None = None
    gender: Gender = "undisclosed"
    locale: str | None = None
    telegram_id: int | None = None
    telegram_locale: str | None = None


_INSERT = """
INSERT INTO members (telegram_id, name, phone, area, gender, role, locale, telegram_locale,
                     source, created_at, linked_at)
VALUES (:telegram_id, :name, :phone, :area, :gender, :role, :locale, :telegram_locale,
        :source, :now, CASE WHEN :telegram_id IS NULL THEN NULL ELSE :now END)
RETURNING *
"""


class MemberStore:
    """Reads and writes members and invites."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def by_telegram_id(self, telegram_id: int) -> Member | None:
        """Returns the (not removed) member using this Telegram account."""
        row = await self.db.fetch_one(
            "SELECT * FROM members WHERE telegram_id = ? AND status != 'removed'", (telegram_id,)
        )
        return Member.from_row(row) if row else None

    async def by_id(self, member_id: int) -> Member | None:
        """Returns the member with this id."""
        row = await self.db.fetch_one("SELECT * FROM members WHERE id = ?", (member_id,))
        return Member.from_row(row) if row else None

    async def by_phone(self, phone: str) -> Member | None:
        """Returns the active member with this normalised phone number."""
        row = await self.db.fetch_one(
            "SELECT * FROM members WHERE phone = ? AND status != 'removed'", (phone,)
        )
        return Member.from_row(row) if row else None

    async def all_members(self) -> list[Member]:
        """Returns every member who is not removed, leaders first, then by name."""
        rows = await self.db.fetch_all(
            "SELECT * FROM members WHERE status != 'removed' ORDER BY role, name COLLATE NOCASE"
        )
        return [Member.from_row(row) for row in rows]

    async def leaders(self) -> list[Member]:
        """Returns the active leaders who can be reached in Telegram."""
        rows = await self.db.fetch_all(
            "SELECT * FROM members WHERE role = 'leader' AND status = 'active'"
            " AND telegram_id IS NOT NULL ORDER BY id"
        )
        return [Member.from_row(row) for row in rows]

    async def add(self, member: NewMember, *, source: str, actor: str, now: datetime) -> Member:
        """Adds one member (e.g. an admin from config on first start)."""
        async with self.db.transaction() as connection:
            created = await self._insert(connection, member, source, now)
            await append_audit(connection, now, actor, "member.added", member_id=created.id,
                               role=created.role, source=source)
        return created

    async def ensure_admin(self, telegram_id: int, *, now: datetime) -> Member:
        """Makes the configured admin a leader, creating a placeholder member if needed."""
        async with self.db.transaction() as connection:
            async with connection.execute(
                "SELECT * FROM members WHERE telegram_id = ? AND status != 'removed'",
                (telegram_id,),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                member = NewMember(name=f"Admin {telegram_id}", role="leader",
                                   telegram_id=telegram_id)
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
            async with connection.execute(
                "SELECT * FROM members WHERE id = ?", (row["id"],)
            ) as cursor:
                return Member.from_row(await cursor.fetchone())

    async def import_roster(self, members: list[NewMember], *, actor: str, now: datetime) -> int:
        """Adds a whole roster in one transaction: all rows or none."""
        async with self.db.transaction() as connection:
            for member in members:
                await self._insert(connection, member, "roster", now)
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

    async def link_telegram(
        self, member_id: int, telegram_id: int, telegram_locale: str | None, *, now: datetime
    ) -> Member:
        """Connects a roster member to the Telegram account that shared their phone number."""
        async with self.db.transaction() as connection:
            async with connection.execute(
                "UPDATE members SET telegram_id = ?, telegram_locale = ?, linked_at = ?"
                " WHERE id = ? AND telegram_id IS NULL RETURNING *",
                (telegram_id, telegram_locale, to_db(now), member_id),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                raise InviteUnavailable
            await append_audit(connection, now, f"member:{member_id}", "member.linked",
                               member_id=member_id)
        return Member.from_row(row)

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

    async def note_telegram_locale(self, member_id: int, telegram_locale: str | None) -> None:
        """Remembers the language Telegram reports for the member, for messages sent later."""
        async with self.db.transaction() as connection:
            await connection.execute(
                "UPDATE members SET telegram_locale = ? WHERE id = ? AND"
                " telegram_locale IS NOT ?",
                (telegram_locale, member_id, telegram_locale),
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
            "telegram_id": member.telegram_id,
            "name": member.name,
            "phone": member.phone,
            "area": member.area,
            "gender": member.gender,
            "role": member.role,
            "locale": member.locale,
            "telegram_locale": member.telegram_locale,
            "source": source,
            "now": to_db(now),
        }
        async with connection.execute(_INSERT, parameters) as cursor:
            return Member.from_row(await cursor.fetchone())


async def member_in(connection, member_id: int) -> Member | None:
    """The member with this id (removed ones included), read inside the transaction."""
    async with connection.execute("SELECT * FROM members WHERE id = ?", (member_id,)) as cursor:
        row = await cursor.fetchone()
    return Member.from_row(row) if row else None


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
