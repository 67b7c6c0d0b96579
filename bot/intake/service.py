"""The intake service: a request arrives, the duty leaders decide, the requester follows it.

A request is checked by the same validator as /activate (bot.callout.draft) and stored in one
transaction with what it owes people: the leaders' message with [Aktivera] [Ändra] [Avböj] and
the timers that ask them again and then alert with the duty phone. The first leader's choice
wins (one conditional UPDATE under the write lock); [Aktivera] issues the call-out in the same
transaction, [Ändra] opens the /activate dialogue with the request's answers, [Avböj] ends it.
A trusted caller's request becomes a call-out at once and the leaders are told.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.callout.dialogue import ActivationDialogue
from bot.callout.draft import Actor, DraftRefused, check_draft, check_text
from bot.callout.outbound import Outbound
from bot.callout.service import CalloutService, Issued
from bot.config import Settings
from bot.deadlines import DeadlineRunner
from bot.delivery.messages import OutgoingMessage
from bot.i18n import Translator
from bot.intake.keys import NewKey, new_key, public_id
from bot.intake.render import decided_message, request_for_leaders
from bot.intake.retention import IntakeRetention
from bot.intake.status import RequestStatus, request_status
from storage.audit import append_audit
from storage.callouts import NewActivation
from storage.clock import Clock
from storage.database import Database
from storage.deadlines import add_deadline
from storage.intake import (
    Caller,
    IntakeRecord,
    IntakeStore,
    NewIntake,
    cancel_intake_deadlines,
    drop_sensitive,
    insert_intake,
    intake_by_id,
    intake_by_key,
    link_activation,
    release_intake,
    stamp_intake,
    take_intake,
    touch_caller,
)
from storage.members import MemberStore, leaders_in, member_in
from storage.models import Address, Deadline, Member
from storage.outbox import enqueue, sent_message_id, supersede
from storage.sql import Connection

__all__ = ["MAX_NAME", "MAX_PHONE", "MAX_URL", "PHONE_PATTERN", "Decision", "IdempotencyConflict",
           "IntakeDraft", "IntakeService", "Received"]

logger = logging.getLogger(__name__)

ASK_AGAIN, ALERT = "intake_again", "intake_alert"
MAX_NAME = 100
MAX_PHONE = 40
MAX_URL = 500
PHONE_PATTERN = r"^\+?[0-9][0-9 ()\-]{4,30}$"
_PHONE = re.compile(PHONE_PATTERN)
# check_draft names the call-out's fields; a requester knows them by the API's names.
_API_FIELD = {"location_address": "place", "location_title": "place", "location": "position"}


@dataclass(frozen=True, slots=True)
class IntakeDraft:
    """A request as the caller wrote it (API body or page form), not checked yet."""

    kind: str
    summary: str
    requester_name: str
    requester_organisation: str
    requester_phone: str
    area: str | None = None
    municipality: str | None = None
    place: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    briefing: str | None = None
    needed: int | None = None
    exercise: bool = False
    callback_url: str | None = None

    def fingerprint(self) -> str:
        """Tells a resent request (same idempotency key, same content) from a different one."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True,
                                         ensure_ascii=False).encode("utf-8", "surrogatepass")
                              ).hexdigest()


class IdempotencyConflict(Exception):
    """The idempotency key was already used for a different request."""


@dataclass(frozen=True, slots=True)
class Received:
    """A request taken in (`created`) or recognised as one sent before with the same key."""

    record: IntakeRecord
    created: bool


@dataclass(frozen=True, slots=True)
class Decision:
    """What the leader who pressed is told."""

    toast: str | None
    messages: tuple[OutgoingMessage, ...] = ()


class IntakeService:
    """Intake requests applied to the database, one transaction per event."""

    def __init__(self, settings: Settings, database: Database, clock: Clock,
                 callouts: CalloutService, dialogue: ActivationDialogue,
                 runner: DeadlineRunner) -> None:
        self.settings = settings
        self.db = database
        self.clock = clock
        self.callouts = callouts
        self.dialogue = dialogue
        self.runner = runner
        self.store = IntakeStore(database)
        self.members = MemberStore(database)
        self.out: Outbound = callouts.out
        # Told after every commit that may change what a requester sees (the callback sender).
        self.on_change: list[Callable[[], None]] = []
        # A request that does not become a call-out is purged after the retention period.
        self.retention = IntakeRetention(
            settings, database, clock, runner,
            lambda tx, record, how, now: self._show_leaders(tx, record, how, "", now))
        runner.register(ASK_AGAIN, self._ask_again)
        runner.register(ALERT, self._alert)
        runner.after_fire.append(self.changed)
        callouts.on_issued.append(self._on_issued)
        dialogue.on_aborted.append(self._on_dialogue_aborted)

    def changed(self) -> None:
        """Something a requester follows may have changed."""
        for observer in self.on_change:
            observer()

    # -- a request arrives ---------------------------------------------------------------------

    def check(self, draft: IntakeDraft) -> NewIntake:
        """The request with the call-out it asks for checked by the /activate validator, or
        DraftRefused naming the request's field."""
        area = self._area(draft)
        try:
            activation = check_draft(self.settings, NewActivation(
                kind=draft.kind, area=area,
                needed=self.settings.callout.needed if draft.needed is None else draft.needed,
                summary=draft.summary, briefing=draft.briefing, location_lat=draft.latitude,
                location_lon=draft.longitude, location_address=draft.place,
                exercise=draft.exercise))
        except DraftRefused as refused:
            raise DraftRefused(_API_FIELD.get(refused.field, refused.field),
                               refused.problem) from None
        name = check_text("requester.name", draft.requester_name, MAX_NAME)
        organisation = check_text("requester.organisation", draft.requester_organisation,
                                  MAX_NAME)
        phone = check_text("requester.phone", draft.requester_phone, MAX_PHONE)
        if not _PHONE.match(phone):
            raise DraftRefused("requester.phone", "not a phone number")
        return NewIntake(activation, name, organisation, phone,
                         self._callback_url(draft.callback_url))

    def _area(self, draft: IntakeDraft) -> str:
        """The area key the request names, by key or by the municipality's name."""
        if draft.area is not None:
            if self.settings.area(draft.area) is None:
                raise DraftRefused("area", f"unknown area {draft.area!r}")
            return draft.area
        if draft.municipality is not None:
            wanted = draft.municipality.strip().casefold()
            for area in self.settings.areas:
                if wanted in (area.key.casefold(), area.name.casefold()):
                    return area.key
            raise DraftRefused("municipality", f"no POSOM area for {draft.municipality!r}")
        raise DraftRefused("area", "give the area or the municipality")

    def _callback_url(self, url: str | None) -> str | None:
        """The callback URL if it is one we may call (https, or http when allowed)."""
        if url is None or not url.strip():
            return None
        url = url.strip()
        allowed = ("https",) + (("http",) if self.settings.intake.callback_allow_http else ())
        try:
            parts = urlsplit(url)
            ok = (len(url) <= MAX_URL and parts.scheme in allowed and bool(parts.hostname)
                  and url.isascii() and url.isprintable())
        except ValueError:
            ok = False
        if not ok:
            raise DraftRefused("callback_url", f"must be an {' or '.join(allowed)} URL")
        return url

    async def receive(self, caller: Caller, idempotency_key: str,
                      draft: IntakeDraft) -> Received:
        """Takes a request in: to the leaders, or (a trusted caller) straight to a call-out.

        Raises DraftRefused (a field is wrong) or IdempotencyConflict; either changes nothing.
        """
        new = self.check(draft)
        fingerprint = draft.fingerprint()
        trusted = caller.name in self.settings.intake.trusted
        now = self.clock()
        async with self.db.transaction() as tx:
            earlier = await intake_by_key(tx, caller.id, idempotency_key)
            if earlier is not None:
                if earlier.fingerprint != fingerprint:
                    raise IdempotencyConflict(idempotency_key)
                return Received(earlier, created=False)
            record = await insert_intake(tx, new, public_id=public_id(), caller_id=caller.id,
                                         idempotency_key=idempotency_key,
                                         fingerprint=fingerprint, now=now)
            await append_audit(tx, now, caller.audit, "intake.received", intake=record.id,
                               caller=caller.name, kind=new.call_out.kind,
                               area=new.call_out.area, needed=new.call_out.needed,
                               trusted=trusted)
            if trusted:
                actor = Actor.requester(record.requested_by, caller.audit).on_behalf_of(
                    record.requested_by, record.id)
                _, arms = await self.callouts.issue_in(tx, actor, new.call_out, now)
            else:
                await self._ask_leaders(tx, record, now)
                arms = await self._schedule(tx, record, now)
                arms.append(await self.retention.schedule(tx, record, now))
            record = await intake_by_id(tx, record.id)
        logger.info("intake %d event=received caller=%d trusted=%s", record.id, caller.id,
                    trusted)
        self.callouts.after_commit(arms)
        self.changed()
        return Received(record, created=True)

    async def _schedule(self, tx: Connection, record: IntakeRecord,
                        now: datetime) -> list[Deadline]:
        """The timers of a request nobody answers: ask the leaders again, then the alert."""
        intake = self.settings.intake
        return [await add_deadline(tx, ASK_AGAIN, now + intake.ask_leaders_again_after, now,
                                   intake_id=record.id),
                await add_deadline(tx, ALERT, now + intake.alert_after, now,
                                   intake_id=record.id)]

    async def _ask_leaders(self, tx: Connection, record: IntakeRecord, now: datetime, *,
                           waited: timedelta | None = None, alert: bool = False,
                           released_by: str | None = None) -> None:
        """Sends every leader the request with its choices; an earlier one is replaced (deleted
        and sent anew, so the phone rings again)."""
        for leader in await leaders_in(tx):
            ref = _leader_ref(record, leader)
            if not await supersede(tx, ref):
                earlier = await sent_message_id(tx, ref)
                if earlier is not None:
                    await enqueue(tx, address=leader.address, op="delete", now=now,
                                  payload=json.dumps({"message_id": earlier}))
            message = request_for_leaders(self.settings, record, self.out.t(leader),
                                          waited=waited, alert=alert, released_by=released_by)
            await self.out.send(tx, leader, message, now, ref=ref)

    async def _show_leaders(self, tx: Connection, record: IntakeRecord, how: str,
                            leader_name: str, now: datetime, code: str | None = None) -> None:
        """Edits every leader's message of the request to what was decided, without choices."""
        for leader in await leaders_in(tx):
            await self.out.edit(tx, leader, _leader_ref(record, leader), decided_message(
                self.settings, record, how, leader_name, self.out.t(leader), code), now)

    # -- the leaders decide --------------------------------------------------------------------

    async def decide(self, leader: Member, chat: Address, intake_id: int,
                     verb: str) -> Decision:
        """[Aktivera] ("go"), [Ändra] ("edit") or [Avböj] ("no"); the first leader wins."""
        t = self.out.t(leader)
        now = self.clock()
        arms: list[Deadline] = []
        issued: Issued | None = None
        try:
            async with self.db.transaction() as tx:
                record = await intake_by_id(tx, intake_id)
                if record is None:
                    return Decision(t.gettext("This request no longer exists."))
                state = {"go": "taken", "edit": "taken", "no": "declined"}[verb]
                if not await take_intake(tx, record.id, state, leader.id, now):
                    return Decision(await self._already(tx, record, t))
                await cancel_intake_deadlines(tx, record.id)
                if verb == "go":
                    actor = Actor.leader(leader).on_behalf_of(record.requested_by, record.id)
                    issued, arms = await self.callouts.issue_in(tx, actor, record.call_out, now)
                elif verb == "edit":
                    await append_audit(tx, now, f"member:{leader.id}", "intake.taken",
                                       intake=record.id, caller=record.caller_name)
                    await self._show_leaders(tx, record, "taken", leader.name, now)
                else:
                    await drop_sensitive(tx, record.id)
                    await append_audit(tx, now, f"member:{leader.id}", "intake.declined",
                                       intake=record.id, caller=record.caller_name)
                    await self._show_leaders(tx, record, "declined", leader.name, now)
        except DraftRefused as refused:
            # The config changed since the request came (an area or kind removed).
            logger.warning("intake %d cannot be activated as it is: %s", intake_id,
                           refused.field)
            return Decision(t.gettext("It cannot be activated as it is ({field}); press "
                                      "Change.").format(field=refused.field))
        logger.info("intake %d event=%s leader=%d", intake_id, verb, leader.id)
        self.callouts.after_commit(arms)
        self.changed()
        if issued is not None:
            return Decision(t.gettext("Activated: call-out {code}, asking {count}.").format(
                code=issued.activation.code, count=issued.asked), (OutgoingMessage(
                    t.gettext("Follow it with /status {code}.").format(
                        code=issued.activation.code)),))
        if verb == "no":
            return Decision(t.gettext("Declined. The requester sees your name and phone "
                                      "number."))
        reply = await self.dialogue.begin_with(leader, chat, _answers(record))
        return Decision(None, tuple(reply.messages))

    async def _already(self, tx: Connection, record: IntakeRecord, t: Translator) -> str:
        """What a leader who was not first is told."""
        if record.purged_at is not None and record.leader_id is None \
                and record.activation_id is None:
            return t.gettext("No leader decided this request in time; it is closed.")
        other = await member_in(tx, record.leader_id) if record.leader_id else None
        if other is None:
            return t.gettext("This request is already activated.")
        return t.gettext("Already handled by {name}.").format(name=other.name)

    async def _on_issued(self, tx: Connection, issued: Issued, actor: Actor,
                         now: datetime) -> list[Deadline]:
        """A call-out issued for an intake request: link them, tell the leaders and audit it
        under the requester's name."""
        if actor.intake_id is None:
            return []
        leader_id = actor.member.id if actor.member else None
        if not await link_activation(tx, actor.intake_id, issued.activation.id, leader_id, now):
            logger.warning("intake %d was already decided; call-out %s not linked",
                           actor.intake_id, issued.activation.code)
            return []
        await cancel_intake_deadlines(tx, actor.intake_id)
        record = await intake_by_id(tx, actor.intake_id)
        await append_audit(tx, now, f"requester:{record.caller_id}", "intake.requested",
                           issued.activation.id, intake=record.id, caller=record.caller_name,
                           by=actor.audit)
        if actor.member is not None:
            await self._show_leaders(tx, record, "activated", actor.member.name, now,
                                     issued.activation.code)
        return []

    async def _on_dialogue_aborted(self, leader: Member, answers: dict) -> None:
        """A leader who took a request to change it did not send it: it waits again."""
        intake_id = int(answers["intake"])
        now = self.clock()
        async with self.db.transaction() as tx:
            if not await release_intake(tx, intake_id, leader.id):
                return
            record = await intake_by_id(tx, intake_id)
            await append_audit(tx, now, f"member:{leader.id}", "intake.released",
                               intake=intake_id, caller=record.caller_name)
            await self._ask_leaders(tx, record, now, released_by=leader.name)
            arms = await self._schedule(tx, record, now)
        logger.info("intake %d event=released leader=%d", intake_id, leader.id)
        self.callouts.after_commit(arms)
        self.changed()

    # -- nobody answers ------------------------------------------------------------------------

    async def _ask_again(self, tx: Connection, deadline: Deadline,
                         now: datetime) -> list[Deadline]:
        """Nobody answered yet: every leader gets the request anew (the phone rings again)."""
        record = await intake_by_id(tx, deadline.intake_id)
        if record is None or record.state != "received":
            return []
        if now >= record.created_at + self.settings.intake.alert_after:
            return []  # overdue after a restart: the alert, due too, says it all
        await self._ask_leaders(tx, record, now, waited=now - record.created_at)
        await stamp_intake(tx, record.id, "reminded_at", now)
        await append_audit(tx, now, "system", "intake.asked_again", intake=record.id,
                           caller=record.caller_name)
        logger.warning("intake %d event=asked_again (no leader answered)", record.id)
        return []

    async def _alert(self, tx: Connection, deadline: Deadline, now: datetime) -> list[Deadline]:
        """Still nobody: the alert to every leader, with the organisation's duty phone."""
        record = await intake_by_id(tx, deadline.intake_id)
        if record is None or record.state != "received":
            return []
        await self._ask_leaders(tx, record, now, waited=now - record.created_at, alert=True)
        await stamp_intake(tx, record.id, "alerted_at", now)
        await append_audit(tx, now, "system", "intake.alerted", intake=record.id,
                           caller=record.caller_name)
        logger.warning("intake %d event=alert (no leader answered)", record.id)
        return []

    # -- callers and keys ----------------------------------------------------------------------

    async def add_key(self, name: str, actor: str) -> tuple[Caller, NewKey]:
        """A new key for a caller (e.g. "SOS Alarm"); the key is shown once, kept as a hash."""
        name = check_text("name", name, MAX_NAME)
        key = new_key()
        caller = await self.store.add_caller(name, key.hash, key.hint, key.signing_secret,
                                             self.clock())
        async with self.db.transaction() as tx:
            await append_audit(tx, self.clock(), actor, "intake.key_added", caller=name,
                               key_id=caller.id)
        return caller, key

    async def revoke_key(self, caller_id: int, actor: str) -> bool:
        """Revokes a key at once (its page sessions end too); False if there was none."""
        revoked = await self.store.revoke(caller_id, self.clock())
        if revoked:
            async with self.db.transaction() as tx:
                await append_audit(tx, self.clock(), actor, "intake.key_revoked",
                                   key_id=caller_id)
            logger.info("intake key %d revoked", caller_id)
        return revoked

    # -- the requester follows -----------------------------------------------------------------

    async def of_caller(self, caller: Caller, request_id: str) -> IntakeRecord | None:
        """The caller's own request with this public id (another caller's is not found)."""
        record = await self.store.by_public_id(request_id)
        return record if record is not None and record.caller_id == caller.id else None

    async def status(self, record: IntakeRecord) -> RequestStatus:
        """Where the request stands now."""
        reads = self.callouts.reads
        activation = await reads.by_id(record.activation_id) if record.activation_id else None
        people = await reads.requests_with_members(activation.id) if activation else []
        leader = await self.members.by_id(record.leader_id) if record.leader_id else None
        return request_status(self.settings, record, activation, people, leader)

    async def record_call(self, caller: Caller, method: str, route: str, status: int,
                          request_id: str | None = None) -> None:
        """Audits one API or page call under the caller's name."""
        now = self.clock()
        async with self.db.transaction() as tx:
            await append_audit(tx, now, caller.audit, "intake.call", caller=caller.name,
                               method=method, route=route, status=status,
                               **({"request": request_id} if request_id else {}))
            await touch_caller(tx, caller.id, now)
        # A page following a request asks every few seconds: those reads are audited, not logged.
        level = logging.DEBUG if method == "GET" and status < 400 else logging.INFO
        logger.log(level, "intake call caller=%r %s %s -> %d", caller.name, method, route,
                   status)


def _leader_ref(record: IntakeRecord, leader: Member) -> str:
    """The outbox ref of one leader's message about a request (later edits find it)."""
    return f"intake:{record.id}:{leader.id}"


def _answers(record: IntakeRecord) -> dict:
    """The /activate dialogue's answers for a request a leader changes."""
    call_out = record.call_out
    answers = {"kind": call_out.kind, "area": call_out.area, "needed": call_out.needed,
               "summary": call_out.summary, "briefing": call_out.briefing or call_out.summary,
               "location_done": True, "exercise": call_out.exercise, "intake": record.id,
               "requested_by": record.requested_by}
    if call_out.location_lat is not None:
        answers.update(lat=call_out.location_lat, lon=call_out.location_lon)
    if call_out.location_address:
        answers["address"] = call_out.location_address
    if call_out.location_title:
        answers["title"] = call_out.location_title
    return answers
