"""The leader's /activate dialogue: kind (or [Övning] first) → area → people needed (with
[Särskild kompetens…] for the skills to ask for) → summary → briefing → location → preview with
[Skicka larm] / [Avbryt]. Kept in the database step by step (storage.dialogues), so a restart
in the middle does not lose what the leader has typed. Once
[Övning] is chosen, every question, the preview and the call-out itself say "ÖVNING" first.

The leader's chat does not keep the briefing: each question's choices are taken off once it is
answered, the messages the leader typed (summary, briefing, address, location) are deleted when
the call-out is sent or the dialogue is cancelled, and the preview, which keeps everything while
the call-out runs, is edited down to its code and kind when it ends (Outbound.end_preview).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.callout.draft import (
    MAX_BRIEFING,
    MAX_NEEDED,
    MAX_PLACE,
    MAX_SUMMARY,
    Actor,
    DraftRefused,
    check_needed,
    check_text,
)
from bot.callout.render import area_name, exercise_mark
from bot.callout.service import CalloutService, DraftTrail, Issued
from bot.callout.skills import parse_skills, skill_labels
from bot.choices import ActivateChoice
from bot.config import Settings
from bot.delivery.messages import Choice, OutgoingMessage
from bot.i18n import Translator
from bot.people.persons import translator_for
from bot.shifts import steps as shift_steps
from storage.callouts import NewActivation
from storage.clock import Clock
from storage.dialogues import Dialogue, DialogueStore
from storage.models import Address, Member

__all__ = ["ActivationDialogue", "DialogueReply"]

KIND = "activate"
# Values of the kind step's exercise toggle: a kind key cannot contain "-", so no clash.
EXERCISE_ON, EXERCISE_OFF = "ex-on", "ex-off"
# The needed step's way into the skills step, and that step's "done": a skill key cannot
# contain "-" either.
SKILLS_OPEN, SKILLS_DONE = "-skills", "-done"
# The preview's "change" choices: the answers each one forgets, so that step is asked again.
CHANGES = {"kind": ("kind",), "area": ("area",), "needed": ("needed",),
           "summary": ("summary",), "briefing": ("briefing",),
           "location": ("location_done", "lat", "lon", "title", "address")}
AbortHook = Callable[[Member, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DialogueReply:
    """What the leader is shown; `retire` names earlier messages whose choices are used up, and
    `step` is the step the last message asks about (see ActivationDialogue.asked)."""

    messages: list[OutgoingMessage]
    issued: Issued | None = None
    retire: tuple[str, ...] = ()
    step: str | None = None


def _retired(dialogue: Dialogue, pressed: str | None = None) -> tuple[str, ...]:
    """The question just answered (and the message pressed), whose choices are now used up."""
    question = dialogue.data.pop("question", None)
    return tuple(dict.fromkeys(ident for ident in (question, pressed) if ident))


def _typed(dialogue: Dialogue, message_id: int | None) -> None:
    """Remembers a message the leader typed in the dialogue, to delete it later."""
    if message_id is not None:
        dialogue.data.setdefault("typed", []).append(str(message_id))


class ActivationDialogue:
    """Walks a leader through a new activation."""

    def __init__(self, settings: Settings, dialogues: DialogueStore, callouts: CalloutService,
                 clock: Clock) -> None:
        self.settings = settings
        self.dialogues = dialogues
        self.callouts = callouts
        self.clock = clock
        # Told when a dialogue that carried an intake request ends without a call-out.
        self.on_aborted: list[AbortHook] = []

    async def begin(self, leader: Member, chat: Address) -> DialogueReply:
        """Starts (or restarts) the dialogue at the first question, in the chat it was asked in."""
        previous = await self.dialogues.get(chat)
        if previous is not None and previous.kind == KIND:
            # Restarted: what was typed for the abandoned one goes.
            await self.callouts.forget_draft(chat, previous.data.get("typed", ()))
        await self._give_up_open(leader, chat)
        dialogue = Dialogue(chat, KIND, "kind", {})
        await self.dialogues.save(dialogue, self.clock())
        retire = _retired(previous) if previous is not None and previous.kind == KIND else ()
        return DialogueReply([self._question(dialogue, translator_for(self.settings, leader))],
                             retire=retire, step="kind")

    async def asked(self, chat: Address, step: str, message_ids: list[str | None]) -> None:
        """The transport sent the question of `step` as these messages: remember the last, so
        that its choices are taken off once it is answered (unless already answered)."""
        if message_ids and message_ids[-1] is not None:
            await self.dialogues.note(chat, KIND, step, "question", message_ids[-1])

    async def begin_with(self, leader: Member, chat: Address,
                         answers: dict[str, Any]) -> DialogueReply:
        """Starts the dialogue with its answers given (an intake request a leader changes):
        the preview comes first, and each answer can be changed from there."""
        await self._give_up_open(leader, chat)
        dialogue = Dialogue(chat, KIND, "kind", dict(answers))
        return await self._next(leader, dialogue, translator_for(self.settings, leader))

    async def _give_up_open(self, leader: Member, chat: Address) -> None:
        """A dialogue replaced by a new one was not sent: tell the hooks if it carried a request."""
        open_dialogue = await self.dialogues.get(chat)
        if open_dialogue is not None and open_dialogue.kind == KIND \
                and open_dialogue.data.get("intake"):
            for hook in self.on_aborted:
                await hook(leader, open_dialogue.data)

    async def is_active(self, chat: Address) -> bool:
        """True while an /activate dialogue is open in this chat."""
        dialogue = await self.dialogues.get(chat)
        return dialogue is not None and dialogue.kind == KIND

    async def abort(self, leader: Member, chat: Address,
                    pressed: str | None = None) -> DialogueReply:
        """Drops the dialogue; nothing was sent, and what the leader typed is deleted."""
        dialogue = await self.dialogues.get(chat)
        await self._give_up_open(leader, chat)
        await self.dialogues.end(chat)
        retire: tuple[str, ...] = ()
        if dialogue is not None and dialogue.kind == KIND:
            retire = _retired(dialogue, pressed)
            await self.callouts.forget_draft(chat, dialogue.data.get("typed", ()))
        t = translator_for(self.settings, leader)
        return DialogueReply([OutgoingMessage(t.gettext("Cancelled. No call-out was sent."),
                                              clear_suggestions=True)], retire=retire)

    async def choose(self, leader: Member, chat: Address, choice: ActivateChoice,
                     pressed: str | None = None) -> DialogueReply:
        """Takes a choice pressed in the dialogue (`pressed`: the message it was under)."""
        t = translator_for(self.settings, leader)
        dialogue = await self.dialogues.get(chat)
        if choice.value == "abort" and dialogue is not None and dialogue.kind == KIND:
            return await self.abort(leader, chat, pressed)
        if dialogue is None or dialogue.kind != KIND or dialogue.step != choice.step:
            return DialogueReply([OutgoingMessage(t.gettext(
                "That button belongs to an earlier step. Please answer the latest question."))],
                retire=(pressed,) if pressed else ())
        if choice.step == "preview" and choice.value == "send":
            return await self._send(leader, dialogue, t, pressed)
        data = dialogue.data
        # Whatever the press does, the question it answered has done its work: a new one comes.
        retire = _retired(dialogue, pressed)
        if choice.step == "kind" and choice.value in (EXERCISE_ON, EXERCISE_OFF):
            data["exercise"] = choice.value == EXERCISE_ON
            return await self._next(leader, dialogue, t, retire)
        if choice.step in shift_steps.STEPS and shift_steps.choose(
                self.settings, choice.step, choice.value, data, self.clock()):
            return await self._next(leader, dialogue, t, retire)
        if choice.step == "kind" and self.settings.callout.kind(choice.value):
            data["kind"] = choice.value
            return await self._next(leader, dialogue, t, retire)
        if choice.step == "area" and self.settings.area(choice.value):
            data["area"] = choice.value
            return await self._next(leader, dialogue, t, retire)
        if choice.step == "needed" and choice.value.isdecimal() and len(choice.value) <= 2 \
                and 1 <= int(choice.value) <= MAX_NEEDED:
            data["needed"] = int(choice.value)
            return await self._next(leader, dialogue, t, retire)
        if choice.step == "needed" and choice.value == SKILLS_OPEN and self.settings.skills:
            data["skills_open"] = True
            return await self._next(leader, dialogue, t, retire)
        if choice.step == "skills" and choice.value == SKILLS_DONE:
            data["skills_open"] = False
            return await self._next(leader, dialogue, t, retire)
        if choice.step == "skills" and self.settings.skill(choice.value):
            chosen = data.setdefault("skills", [])
            if choice.value in chosen:
                chosen.remove(choice.value)
            else:
                chosen.append(choice.value)
            return await self._next(leader, dialogue, t, retire)
        if choice.step == "location" and choice.value == "skip":
            data["location_done"] = True
            return await self._next(leader, dialogue, t, retire)
        if choice.step == "preview" and choice.value.removeprefix("ch-") in CHANGES:
            for key in CHANGES[choice.value.removeprefix("ch-")]:
                data.pop(key, None)
            return await self._next(leader, dialogue, t, retire)
        return DialogueReply([self._question(dialogue, t)], retire=retire, step=dialogue.step)

    async def text(self, leader: Member, chat: Address, text: str,
                   message_id: int | None = None) -> DialogueReply:
        """Takes a typed answer (number, summary, briefing, or an address); `message_id` is the
        typed message's id in the chat, so it can be deleted once the call-out is sent."""
        t = translator_for(self.settings, leader)
        dialogue = await self.dialogues.get(chat)
        if dialogue is None or dialogue.kind != KIND:
            raise LookupError("no /activate dialogue")
        _typed(dialogue, message_id)
        data, value = dialogue.data, text.strip()
        try:
            if dialogue.step == "needed":
                if not (value.isdecimal() and len(value) <= 2):
                    raise DraftRefused("needed", "not a number")
                data["needed"] = check_needed(int(value))
            elif dialogue.step == "skills":
                try:
                    data["skills"] = list(parse_skills(self.settings, value))
                except ValueError as unknown:
                    return DialogueReply([OutgoingMessage(t.gettext(
                        "There is no skill “{name}”. Press the skills you need, or write them "
                        "separated by commas.").format(name=str(unknown)[:40])),
                        self._question(dialogue, t)])
                data["skills_open"] = False
            elif dialogue.step == "summary":
                data["summary"] = check_text("summary", value, MAX_SUMMARY)
            elif dialogue.step == "briefing":
                data["briefing"] = check_text("briefing", value, MAX_BRIEFING)
            elif dialogue.step == "location":
                data["address"] = check_text("location_address", value, MAX_PLACE)
                data["location_done"] = True
            elif dialogue.step in shift_steps.STEPS:
                problem = shift_steps.type_in(self.settings, dialogue.step, value, data,
                                              self.clock(), t)
                if problem is not None:
                    return DialogueReply([OutgoingMessage(problem),
                                          self._question(dialogue, t)])
            else:
                await self.dialogues.save(dialogue, self.clock())
                return DialogueReply([OutgoingMessage(t.gettext(
                    "Please use the buttons to answer.")), self._question(dialogue, t)],
                    retire=_retired(dialogue), step=dialogue.step)
        except DraftRefused as refused:
            # Kept: a refused briefing is as sensitive as an accepted one, and is deleted too.
            await self.dialogues.save(dialogue, self.clock())
            return DialogueReply(self._refusal(refused.field, dialogue, t))
        return await self._next(leader, dialogue, t, _retired(dialogue))

    async def location(self, leader: Member, chat: Address, latitude: float, longitude: float,
                       title: str | None = None, address: str | None = None,
                       message_id: int | None = None) -> DialogueReply:
        """Takes a shared location pin or venue at the location step."""
        t = translator_for(self.settings, leader)
        dialogue = await self.dialogues.get(chat)
        if dialogue is None or dialogue.kind != KIND or dialogue.step != "location":
            return DialogueReply([OutgoingMessage(t.gettext(
                "A location is only needed at the location step of /activate."))])
        _typed(dialogue, message_id)
        retire = _retired(dialogue)
        dialogue.data.update(lat=latitude, lon=longitude, location_done=True)
        # A shared place comes from the map app's own directory: shortened, never refused.
        if title:
            dialogue.data["title"] = title[:MAX_PLACE]
        if address:
            dialogue.data["address"] = address[:MAX_PLACE]
        return await self._next(leader, dialogue, t, retire)

    def _refusal(self, field: str, dialogue: Dialogue, t: Translator) -> list[OutgoingMessage]:
        """What the leader is told when a typed answer is outside the call-out's limits."""
        if field == "needed":
            return [OutgoingMessage(t.gettext("Please give a number from 1 to {count}.").format(
                count=MAX_NEEDED)), self._question(dialogue, t)]
        if field == "summary":
            return [OutgoingMessage(t.gettext(
                "Please write a short summary (at most {count} characters).").format(
                    count=MAX_SUMMARY))]
        if field == "location_address":
            return [OutgoingMessage(t.gettext(
                "Please write the place in at most {count} characters, or share it as a "
                "location.").format(count=MAX_PLACE))]
        return [OutgoingMessage(t.gettext(
            "Please write the briefing (at most {count} characters).").format(count=MAX_BRIEFING))]

    async def _next(self, leader: Member, dialogue: Dialogue, t: Translator,
                    retire: tuple[str, ...] = ()) -> DialogueReply:
        dialogue.step = self._missing_step(dialogue)
        await self.dialogues.save(dialogue, self.clock())
        return DialogueReply([self._question(dialogue, t)], retire=retire, step=dialogue.step)

    def _missing_step(self, dialogue: Dialogue) -> str:
        data = dialogue.data
        first = self._before_location(data)
        if first is not None:
            return first
        if "area" not in data:
            if len(self.settings.areas) == 1:
                data["area"] = self.settings.areas[0].key
            else:
                return "area"
        if "needed" not in data:
            return "skills" if data.get("skills_open") else "needed"
        if "summary" not in data:
            return "summary"
        if "briefing" not in data:
            return "briefing"
        if not data.get("location_done"):
            return "location"
        return shift_steps.missing_step(self.settings, data, after_location=True) or "preview"

    def _before_location(self, data: dict) -> str | None:
        """The first steps, up to the people needed (a shift step after the kind)."""
        if "kind" not in data:
            return "kind"
        return shift_steps.missing_step(self.settings, data, after_location=False)
        return "preview"

    def _question(self, dialogue: Dialogue, t: Translator) -> OutgoingMessage:
        message = self._unmarked_question(dialogue, t)
        if dialogue.data.get("exercise"):
            return OutgoingMessage(f"{exercise_mark(t)}\n{message.text}", choices=message.choices)
        return message

    def _unmarked_question(self, dialogue: Dialogue, t: Translator) -> OutgoingMessage:
        step = dialogue.step
        abort = (Choice(t.gettext("Cancel"), ActivateChoice(step, "abort").pack()),)
        if step == "kind":
            kinds = [Choice(kind.label(t.locale), ActivateChoice("kind", kind.key).pack())
                     for kind in self.settings.callout.kinds]
            rows = tuple(tuple(kinds[i:i + 2]) for i in range(0, len(kinds), 2))
            if dialogue.data.get("exercise"):
                toggle = Choice(t.gettext("Real call-out, not an exercise"),
                                ActivateChoice("kind", EXERCISE_OFF).pack())
                return OutgoingMessage(t.gettext("New exercise. What is the scenario?"),
                                       choices=(*rows, (toggle,), abort))
            toggle = Choice("🔶 " + t.gettext("Exercise"),
                            ActivateChoice("kind", EXERCISE_ON).pack())
            return OutgoingMessage(t.gettext("New call-out. What has happened?"),
                                   choices=(*rows, (toggle,), abort))
        if step == "area":
            areas = [Choice(area.name, ActivateChoice("area", area.key).pack())
                     for area in self.settings.areas]
            rows = tuple(tuple(areas[i:i + 3]) for i in range(0, len(areas), 3))
            return OutgoingMessage(t.gettext("Where?"), choices=(*rows, abort))
        if step in shift_steps.STEPS:
            return shift_steps.question(self.settings, step, abort, t)
        if step == "needed":
            default = self.settings.callout.needed
            choices = sorted({1, 2, 3, 4, default})
            row = tuple(Choice(f"{n} ✓" if n == default else str(n),
                               ActivateChoice("needed", str(n)).pack()) for n in choices)
            text = t.gettext("How many support persons are needed? Press a number or write one.")
            if dialogue.data.get("shifts"):
                text = t.gettext("How many support persons per shift? Press a number or write "
                                 "one.")
            rows: tuple[tuple[Choice, ...], ...] = (row,)
            if self.settings.skills:
                chosen = dialogue.data.get("skills")
                rows += ((Choice(t.gettext("Particular skill…"),
                                 ActivateChoice("needed", SKILLS_OPEN).pack()),),)
                if chosen:
                    text += "\n" + t.gettext("Asked for: {skills}").format(
                        skills=skill_labels(self.settings, chosen, t))
            return OutgoingMessage(text, choices=(*rows, abort))
        if step == "skills":
            chosen = dialogue.data.get("skills", [])
            skills = [Choice(("✓ " if skill.key in chosen else "") + skill.label(t.locale),
                             ActivateChoice("skills", skill.key).pack())
                      for skill in self.settings.skills]
            rows = tuple(tuple(skills[i:i + 2]) for i in range(0, len(skills), 2))
            done = Choice(t.gettext("Done") if chosen else t.gettext("No particular skill"),
                          ActivateChoice("skills", SKILLS_DONE).pack())
            text = t.gettext("Which skill is needed, e.g. a language? Those who have it are "
                             "asked first, and the last place is held a while for one of them. "
                             "Press the skills (or write them), then Done.")
            if chosen:
                text += "\n" + t.gettext("Chosen: {skills}").format(
                    skills=skill_labels(self.settings, chosen, t))
            return OutgoingMessage(text, choices=(*rows, (done,), abort))
        if step == "summary":
            return OutgoingMessage(t.gettext(
                "Write a short summary that is sent to everyone asked, e.g. “Fire in a house, "
                "family needs support”. No names or addresses here."), choices=(abort,))
        if step == "briefing":
            return OutgoingMessage(t.gettext(
                "Write the briefing for those who go: address, contact person on site, what "
                "happened. Only the confirmed support persons will see it."), choices=(abort,))
        if step == "location":
            skip = Choice(t.gettext("No location"), ActivateChoice("location", "skip").pack())
            return OutgoingMessage(t.gettext(
                "Share the location (📎 → Location), write a meeting place, or skip."),
                choices=((skip,), abort))
        return self._preview(dialogue, t)

    def _preview(self, dialogue: Dialogue, t: Translator) -> OutgoingMessage:
        data = dialogue.data
        kind = self.settings.callout.kind(data["kind"])
        place = ", ".join(part for part in (data.get("title"), data.get("address")) if part)
        if data.get("lat") is not None:
            place = (place + " " if place else "") + f"📍 {data['lat']:.5f}, {data['lon']:.5f}"
        lines = [
            t.gettext("Check the call-out before it is sent:"),
            t.gettext("Kind: {kind}").format(kind=kind.label(t.locale) if kind else data["kind"]),
            t.gettext("Area: {area}").format(area=area_name(self.settings, data["area"])),
            t.gettext("Needed: {count}").format(count=data["needed"]),
            *([t.gettext("Asked for: {skills}").format(
                skills=skill_labels(self.settings, data["skills"], t))]
              if data.get("skills") else []),
            t.gettext("Summary (to everyone asked): {text}").format(text=data["summary"]),
            t.gettext("Briefing (only to the confirmed): {text}").format(text=data["briefing"]),
            t.gettext("Place: {place}").format(place=place or "–"),
            *shift_steps.preview_lines(data, t),
        ]
        if data.get("requested_by"):
            lines.insert(1, t.gettext("Requested by {name}.").format(name=data["requested_by"]))
        send = t.gettext("Send exercise") if data.get("exercise") else t.gettext("Send call-out")
        buttons = ((Choice(send, ActivateChoice("preview", "send").pack()),
                    Choice(t.gettext("Cancel"), ActivateChoice("preview", "abort").pack())),
                   *self._change_rows(t))
        return OutgoingMessage("\n".join(lines), choices=buttons)

    def _change_rows(self, t: Translator) -> tuple[tuple[Choice, ...], ...]:
        """"✏️ Kind", "✏️ Summary", …: change one answer before sending."""
        labels = {"kind": t.gettext("Kind"), "area": t.gettext("Area"),
                  "needed": t.gettext("Needed"), "summary": t.gettext("Summary"),
                  "briefing": t.gettext("Briefing"), "location": t.gettext("Place")}
        if len(self.settings.areas) == 1:
            del labels["area"]
        changes = [Choice("✏️ " + label, ActivateChoice("preview", f"ch-{field}").pack())
                   for field, label in labels.items()]
        return tuple(tuple(changes[i:i + 3]) for i in range(0, len(changes), 3))

    async def _send(self, leader: Member, dialogue: Dialogue, t: Translator,
                    pressed: str | None) -> DialogueReply:
        # Taking the dialogue is atomic: a double press on [Skicka larm] sends one call-out.
        taken = await self.dialogues.take(dialogue.address, KIND, "preview")
        if taken is None:
            return DialogueReply([OutgoingMessage(t.gettext("This call-out was already sent."))])
        data = taken.data
        preview = pressed or data.get("question")
        trail = DraftTrail(taken.address, preview, tuple(data.get("typed", ())))
        draft = NewActivation(
            kind=data["kind"], area=data["area"], needed=int(data["needed"]),
            summary=data["summary"], briefing=data["briefing"], location_lat=data.get("lat"),
            location_lon=data.get("lon"), location_title=data.get("title"),
            location_address=data.get("address"), exercise=bool(data.get("exercise")),
            skills=tuple(data.get("skills", ())), shifts=shift_steps.plan_of(data))
        actor = Actor.leader(leader)
        if data.get("intake"):
            actor = actor.on_behalf_of(data["requested_by"], int(data["intake"]))
        try:
            issued = await self.callouts.issue(actor, draft, trail=trail)
        except DraftRefused as refused:
            # E.g. its kind or area left the config while the dialogue waited: nothing is sent.
            return DialogueReply([OutgoingMessage(t.gettext(
                "This call-out cannot be sent as it is ({problem}). Nothing was sent; start "
                "again with /activate.").format(problem=str(refused)))])
        text = t.ngettext("Call-out {code} sent to {count} support person.",
                          "Call-out {code} sent to {count} support persons.",
                          issued.asked).format(code=issued.activation.code, count=issued.asked)
        if issued.asked == 0:
            text += "\n⚠️ " + t.gettext("Nobody in {area} is available right now!").format(
                area=area_name(self.settings, issued.activation.area))
        text += "\n" + t.gettext("Follow it with /status {code}.").format(
            code=issued.activation.code)
        if issued.activation.exercise:
            text = f"{exercise_mark(t)}\n{text}"
        return DialogueReply([OutgoingMessage(text)], issued=issued,
                             retire=(preview,) if preview else ())
