"""The leader's /activate dialogue: kind (or [Övning] first) → area → people needed → summary →
briefing → location → preview with [Skicka larm] / [Avbryt]. Kept in the database step by step
(storage.dialogues), so a restart in the middle does not lose what the leader has typed. Once
[Övning] is chosen, every question, the preview and the call-out itself say "ÖVNING" first.
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
from bot.callout.service import CalloutService, Issued
from bot.choices import ActivateChoice
from bot.config import Settings
from bot.delivery.messages import Choice, OutgoingMessage
from bot.i18n import Translator
from bot.people.persons import translator_for
from storage.callouts import NewActivation
from storage.clock import Clock
from storage.dialogues import Dialogue, DialogueStore
from storage.models import Address, Member

__all__ = ["ActivationDialogue", "DialogueReply"]

KIND = "activate"
# Values of the kind step's exercise toggle: a kind key cannot contain "-", so no clash.
EXERCISE_ON, EXERCISE_OFF = "ex-on", "ex-off"
# The preview's "change" choices: the answers each one forgets, so that step is asked again.
CHANGES = {"kind": ("kind",), "area": ("area",), "needed": ("needed",),
           "summary": ("summary",), "briefing": ("briefing",),
           "location": ("location_done", "lat", "lon", "title", "address")}
AbortHook = Callable[[Member, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DialogueReply:
    messages: list[OutgoingMessage]
    issued: Issued | None = None


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
        await self._give_up_open(leader, chat)
        dialogue = Dialogue(chat, KIND, "kind", {})
        await self.dialogues.save(dialogue, self.clock())
        return DialogueReply([self._question(dialogue, translator_for(self.settings, leader))])

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

    async def abort(self, leader: Member, chat: Address) -> DialogueReply:
        """Drops the dialogue; nothing was sent."""
        await self._give_up_open(leader, chat)
        await self.dialogues.end(chat)
        t = translator_for(self.settings, leader)
        return DialogueReply([OutgoingMessage(t.gettext("Cancelled. No call-out was sent."),
                                              clear_suggestions=True)])

    async def choose(self, leader: Member, chat: Address, choice: ActivateChoice) -> DialogueReply:
        """Takes a choice pressed in the dialogue."""
        t = translator_for(self.settings, leader)
        dialogue = await self.dialogues.get(chat)
        if choice.value == "abort" and dialogue is not None and dialogue.kind == KIND:
            return await self.abort(leader, chat)
        if dialogue is None or dialogue.kind != KIND or dialogue.step != choice.step:
            return DialogueReply([OutgoingMessage(t.gettext(
                "That button belongs to an earlier step. Please answer the latest question."))])
        data = dialogue.data
        if choice.step == "kind" and choice.value in (EXERCISE_ON, EXERCISE_OFF):
            data["exercise"] = choice.value == EXERCISE_ON
            return await self._next(leader, dialogue, t)
        if choice.step == "kind" and self.settings.callout.kind(choice.value):
            data["kind"] = choice.value
            return await self._next(leader, dialogue, t)
        if choice.step == "area" and self.settings.area(choice.value):
            data["area"] = choice.value
            return await self._next(leader, dialogue, t)
        if choice.step == "needed" and choice.value.isdecimal() and len(choice.value) <= 2 \
                and 1 <= int(choice.value) <= MAX_NEEDED:
            data["needed"] = int(choice.value)
            return await self._next(leader, dialogue, t)
        if choice.step == "location" and choice.value == "skip":
            data["location_done"] = True
            return await self._next(leader, dialogue, t)
        if choice.step == "preview" and choice.value == "send":
            return await self._send(leader, dialogue, t)
        if choice.step == "preview" and choice.value.removeprefix("ch-") in CHANGES:
            for key in CHANGES[choice.value.removeprefix("ch-")]:
                data.pop(key, None)
            return await self._next(leader, dialogue, t)
        return DialogueReply([self._question(dialogue, t)])

    async def text(self, leader: Member, chat: Address, text: str) -> DialogueReply:
        """Takes a typed answer (number, summary, briefing, or an address)."""
        t = translator_for(self.settings, leader)
        dialogue = await self.dialogues.get(chat)
        if dialogue is None or dialogue.kind != KIND:
            raise LookupError("no /activate dialogue")
        data, value = dialogue.data, text.strip()
        try:
            if dialogue.step == "needed":
                if not (value.isdecimal() and len(value) <= 2):
                    raise DraftRefused("needed", "not a number")
                data["needed"] = check_needed(int(value))
            elif dialogue.step == "summary":
                data["summary"] = check_text("summary", value, MAX_SUMMARY)
            elif dialogue.step == "briefing":
                data["briefing"] = check_text("briefing", value, MAX_BRIEFING)
            elif dialogue.step == "location":
                data["address"] = value[:MAX_PLACE]
                data["location_done"] = True
            else:
                return DialogueReply([OutgoingMessage(t.gettext(
                    "Please use the buttons to answer.")), self._question(dialogue, t)])
        except DraftRefused as refused:
            return DialogueReply(self._refusal(refused.field, dialogue, t))
        return await self._next(leader, dialogue, t)

    async def location(self, leader: Member, chat: Address, latitude: float, longitude: float,
                       title: str | None = None, address: str | None = None) -> DialogueReply:
        """Takes a shared location pin or venue at the location step."""
        t = translator_for(self.settings, leader)
        dialogue = await self.dialogues.get(chat)
        if dialogue is None or dialogue.kind != KIND or dialogue.step != "location":
            return DialogueReply([OutgoingMessage(t.gettext(
                "A location is only needed at the location step of /activate."))])
        dialogue.data.update(lat=latitude, lon=longitude, location_done=True)
        if title:
            dialogue.data["title"] = title
        if address:
            dialogue.data["address"] = address
        return await self._next(leader, dialogue, t)

    def _refusal(self, field: str, dialogue: Dialogue, t: Translator) -> list[OutgoingMessage]:
        """What the leader is told when a typed answer is outside the call-out's limits."""
        if field == "needed":
            return [OutgoingMessage(t.gettext("Please give a number from 1 to {count}.").format(
                count=MAX_NEEDED)), self._question(dialogue, t)]
        if field == "summary":
            return [OutgoingMessage(t.gettext(
                "Please write a short summary (at most {count} characters).").format(
                    count=MAX_SUMMARY))]
        return [OutgoingMessage(t.gettext(
            "Please write the briefing (at most {count} characters).").format(count=MAX_BRIEFING))]

    async def _next(self, leader: Member, dialogue: Dialogue, t: Translator) -> DialogueReply:
        dialogue.step = self._missing_step(dialogue)
        await self.dialogues.save(dialogue, self.clock())
        return DialogueReply([self._question(dialogue, t)])

    def _missing_step(self, dialogue: Dialogue) -> str:
        data = dialogue.data
        if "kind" not in data:
            return "kind"
        if "area" not in data:
            if len(self.settings.areas) == 1:
                data["area"] = self.settings.areas[0].key
            else:
                return "area"
        if "needed" not in data:
            return "needed"
        if "summary" not in data:
            return "summary"
        if "briefing" not in data:
            return "briefing"
        if not data.get("location_done"):
            return "location"
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
        if step == "needed":
            default = self.settings.callout.needed
            choices = sorted({1, 2, 3, 4, default})
            row = tuple(Choice(f"{n} ✓" if n == default else str(n),
                               ActivateChoice("needed", str(n)).pack()) for n in choices)
            return OutgoingMessage(t.gettext("How many support persons are needed? Press a "
                                             "number or write one."), choices=(row, abort))
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
            t.gettext("Summary (to everyone asked): {text}").format(text=data["summary"]),
            t.gettext("Briefing (only to the confirmed): {text}").format(text=data["briefing"]),
            t.gettext("Place: {place}").format(place=place or "–"),
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

    async def _send(self, leader: Member, dialogue: Dialogue, t: Translator) -> DialogueReply:
        # Taking the dialogue is atomic: a double press on [Skicka larm] sends one call-out.
        taken = await self.dialogues.take(dialogue.address, KIND, "preview")
        if taken is None:
            return DialogueReply([OutgoingMessage(t.gettext("This call-out was already sent."))])
        data = taken.data
        draft = NewActivation(
            kind=data["kind"], area=data["area"], needed=int(data["needed"]),
            summary=data["summary"], briefing=data["briefing"], location_lat=data.get("lat"),
            location_lon=data.get("lon"), location_title=data.get("title"),
            location_address=data.get("address"), exercise=bool(data.get("exercise")))
        actor = Actor.leader(leader)
        if data.get("intake"):
            actor = actor.on_behalf_of(data["requested_by"], int(data["intake"]))
        issued = await self.callouts.issue(actor, draft)
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
        return DialogueReply([OutgoingMessage(text)], issued=issued)
