"""The leader's dialogue announcing a training day or meeting: kind → when → place → what →
for whom (everyone or areas) → preview with [Skicka inbjudan]. Kept in the database step by step
(storage.dialogues), like /activate, so a restart loses nothing typed."""

from __future__ import annotations

from datetime import datetime

from bot.callout.render import area_name
from bot.choices import TrainingChoice
from bot.config import Settings
from bot.delivery.messages import Choice, OutgoingMessage
from bot.i18n import Translator
from bot.people.persons import translator_for
from bot.training.rules import KIND_LABELS, KINDS
from bot.training.service import TrainingService
from bot.when import parse_moment
from storage.clock import Clock, from_db, to_db
from storage.dialogues import Dialogue, DialogueStore
from storage.models import Address, Member
from storage.training import NewTraining

__all__ = ["TrainingDialogue"]

KIND = "training"
MAX_PLACE, MAX_DETAILS = 200, 1500
# Values of the areas step that cannot be area keys (those have no "-").
EVERYONE, AREAS_DONE, ABORT = "-all", "-done", "-abort"


class TrainingDialogue:
    """Walks a leader through announcing a training day or meeting."""

    def __init__(self, settings: Settings, dialogues: DialogueStore, training: TrainingService,
                 clock: Clock) -> None:
        self.settings = settings
        self.dialogues = dialogues
        self.training = training
        self.clock = clock

    async def begin(self, leader: Member, chat: Address) -> list[OutgoingMessage]:
        """Starts the dialogue at its first question."""
        dialogue = Dialogue(chat, KIND, "kind", {})
        await self.dialogues.save(dialogue, self.clock())
        return [self._question(dialogue, translator_for(self.settings, leader))]

    async def is_active(self, chat: Address) -> bool:
        """True while this chat has the dialogue open."""
        dialogue = await self.dialogues.get(chat)
        return dialogue is not None and dialogue.kind == KIND

    async def choose(self, leader: Member, chat: Address,
                     choice: TrainingChoice) -> list[OutgoingMessage]:
        """Takes a choice pressed in the dialogue."""
        t = translator_for(self.settings, leader)
        dialogue = await self.dialogues.get(chat)
        if dialogue is not None and dialogue.kind == KIND and choice.value == ABORT:
            await self.dialogues.end(chat)
            return [OutgoingMessage(t.gettext("Cancelled. No invitation was sent."))]
        if dialogue is None or dialogue.kind != KIND or dialogue.step != choice.step:
            return [OutgoingMessage(t.gettext(
                "That button belongs to an earlier step. Please answer the latest question."))]
        data = dialogue.data
        if choice.step == "kind" and choice.value in KINDS:
            data["kind"] = choice.value
        elif choice.step == "areas" and choice.value == EVERYONE:
            data["areas"], data["areas_done"] = [], True
        elif choice.step == "areas" and choice.value == AREAS_DONE and data.get("areas"):
            data["areas_done"] = True
        elif choice.step == "areas" and self.settings.area(choice.value):
            chosen = data.setdefault("areas", [])
            if choice.value in chosen:
                chosen.remove(choice.value)
            else:
                chosen.append(choice.value)
        elif choice.step == "preview" and choice.value == "send":
            return await self._send(leader, dialogue, t)
        return await self._next(dialogue, t)

    async def text(self, leader: Member, chat: Address, text: str) -> list[OutgoingMessage]:
        """Takes a typed answer: the time, the place or what it is about."""
        t = translator_for(self.settings, leader)
        dialogue = await self.dialogues.get(chat)
        if dialogue is None or dialogue.kind != KIND:
            raise LookupError("no training dialogue")
        value, data = text.strip(), dialogue.data
        if dialogue.step == "when":
            now = self.clock()
            try:
                moment = parse_moment(value, now, self.settings.organisation.tz)
            except ValueError:
                moment = None
            if moment is None or moment <= now:
                return [OutgoingMessage(t.gettext(
                    "Please write a date and time ahead, e.g. 2026-12-05 18:00."))]
            data["starts_at"] = to_db(moment)
        elif dialogue.step == "place" and value:
            data["place"] = value[:MAX_PLACE]
        elif dialogue.step == "details" and value:
            if len(value) > MAX_DETAILS:
                return [OutgoingMessage(t.gettext(
                    "Please keep it to at most {count} characters.").format(count=MAX_DETAILS))]
            data["details"] = value
        else:
            return [OutgoingMessage(t.gettext("Please use the buttons to answer.")),
                    self._question(dialogue, t)]
        return await self._next(dialogue, t)

    async def _next(self, dialogue: Dialogue, t: Translator) -> list[OutgoingMessage]:
        dialogue.step = self._missing_step(dialogue)
        await self.dialogues.save(dialogue, self.clock())
        return [self._question(dialogue, t)]

    def _missing_step(self, dialogue: Dialogue) -> str:
        data = dialogue.data
        for step, key in (("kind", "kind"), ("when", "starts_at"), ("place", "place"),
                          ("details", "details")):
            if key not in data:
                return step
        if len(self.settings.areas) == 1:
            data["areas_done"] = True
        return "preview" if data.get("areas_done") else "areas"

    def _question(self, dialogue: Dialogue, t: Translator) -> OutgoingMessage:
        step, data = dialogue.step, dialogue.data
        abort = (Choice(t.gettext("Cancel"), TrainingChoice(step, ABORT).pack()),)
        if step == "kind":
            kinds = tuple((Choice(t.gettext(KIND_LABELS[key]), TrainingChoice("kind",
                                                                               key).pack()),)
                          for key in KINDS)
            return OutgoingMessage(t.gettext("New training day or meeting. What is it?"),
                                   choices=(*kinds, abort))
        if step == "when":
            return OutgoingMessage(t.gettext("When does it start? Write a date and time, e.g. "
                                             "2026-12-05 18:00."), choices=(abort,))
        if step == "place":
            return OutgoingMessage(t.gettext("Where?"), choices=(abort,))
        if step == "details":
            return OutgoingMessage(t.gettext("Write what it is about and anything to bring. "
                                             "Everyone invited reads it."), choices=(abort,))
        if step == "areas":
            chosen = data.get("areas", [])
            areas = [Choice(("✓ " if area.key in chosen else "") + area.name,
                            TrainingChoice("areas", area.key).pack())
                     for area in self.settings.areas]
            rows = tuple(tuple(areas[i:i + 3]) for i in range(0, len(areas), 3))
            last = [Choice(t.gettext("Everyone"), TrainingChoice("areas", EVERYONE).pack())]
            if chosen:
                last.append(Choice(t.gettext("Done"), TrainingChoice("areas",
                                                                     AREAS_DONE).pack()))
            return OutgoingMessage(t.gettext("Who is invited? Everyone, or press the areas and "
                                             "then Done."), choices=(*rows, tuple(last), abort))
        return self._preview(dialogue, t)

    def _preview(self, dialogue: Dialogue, t: Translator) -> OutgoingMessage:
        data = dialogue.data
        starts_at: datetime = from_db(data["starts_at"])
        areas = data.get("areas") or []
        lines = [t.gettext("Check the invitation before it is sent:"),
                 f"📚 {t.gettext(KIND_LABELS[data['kind']])}: {t.datetime(starts_at)}",
                 t.gettext("Place: {place}").format(place=data["place"]), data["details"],
                 t.gettext("For: {areas}").format(
                     areas=", ".join(area_name(self.settings, key) for key in areas)
                     if areas else t.gettext("everyone"))]
        return OutgoingMessage("\n".join(lines), choices=(
            (Choice(t.gettext("Send invitation"), TrainingChoice("preview", "send").pack()),
             Choice(t.gettext("Cancel"), TrainingChoice("preview", ABORT).pack())),))

    async def _send(self, leader: Member, dialogue: Dialogue,
                    t: Translator) -> list[OutgoingMessage]:
        # Taking the dialogue is atomic: a double press sends one invitation.
        taken = await self.dialogues.take(dialogue.address, KIND, "preview")
        if taken is None:
            return [OutgoingMessage(t.gettext("This invitation was already sent."))]
        data = taken.data
        announced = await self.training.announce(leader, NewTraining(
            kind=data["kind"], starts_at=from_db(data["starts_at"]), place=data["place"],
            details=data["details"], areas=tuple(data.get("areas") or ())))
        return [OutgoingMessage(t.ngettext(
            "Invitation {id} sent to {count} member. /training {id} shows the answers and the "
            "roll.", "Invitation {id} sent to {count} members. /training {id} shows the answers "
            "and the roll.", announced.invited).format(id=announced.training.id,
                                                        count=announced.invited))]
