"""`posom demo`: one whole call-out, offline, against the fake Telegram, printed as a transcript.

Everything runs for real — the PTB application, the database (in a temporary folder), the outbox
and the rules — only Telegram is simulated, so someone without a bot token can see what leaders
and support persons would see on their phones.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.app import BotRuntime
from bot.config import Area, Settings
from bot.i18n import Translator, translator
from sandbox.fake_telegram import ChatMessage, FakePerson, FakeTelegram
from storage.members import NewMember

__all__ = ["run_demo"]

TOKEN = "100000:DEMO-TOKEN-NOT-SECRET"
LEADER = (10, "Lena", "Ledare", "+46705550010", "leader", "female")
VOLUNTEERS = [
    (11, "Anna", "Andersson", "+46705550011", "volunteer", "female"),
    (12, "Bo", "Berg", "+46705550012", "volunteer", "male"),
    (13, "Cia", "Carlsson", "+46705550013", "volunteer", "female"),
    (14, "Dan", "Dahl", "+46705550014", "volunteer", "male"),
    (15, "Eva", "Ek", "+46705550015", "volunteer", "female"),  # speaks Arabic
    (16, "Fia", "Falk", "+46705550016", "volunteer", "other"),
]
Snapshot = dict[int, dict[int, tuple[str, tuple[str, ...], bool]]]


class Steps:
    """A transcript printed step by step: a numbered heading, then lines."""

    def __init__(self, t: Translator, out) -> None:
        self.t = t
        self.out = out
        self.steps = 0

    def say(self, line: str = "") -> None:
        print(line, file=self.out)

    def step(self, title: str) -> None:
        self.steps += 1
        self.say()
        self.say(f"── {self.steps}. {title} ──")


class Transcript(Steps):
    """Prints each step: what people did, then what every chat received or saw change."""

    def __init__(self, fake: FakeTelegram, t: Translator, out=sys.stdout) -> None:
        super().__init__(t, out)
        self.fake = fake
        self.snapshot: Snapshot = self._take()

    def _take(self) -> Snapshot:
        return {person.user_id: {m.message_id: (_shown(m), tuple(m.button_texts), m.deleted)
                                 for m in person.messages}
                for person in self.fake.people.values()}

    def action(self, person: FakePerson, what: str, answer: str | None = None) -> None:
        line = f"{person.first_name} → {what}"
        if answer:
            line += "   " + self.t.gettext("(pop-up: “{text}”)").format(text=answer)
        self.say(line)

    def changes(self) -> None:
        """Prints every message sent, edited or deleted since the last call."""
        t = self.t
        current = self._take()
        for person in self.fake.people.values():
            before = self.snapshot.get(person.user_id, {})
            for message_id, (text, buttons, deleted) in current[person.user_id].items():
                old = before.get(message_id)
                if old is None:
                    head = t.gettext("POSOM to {name}:").format(name=person.first_name)
                elif deleted and not old[2]:
                    self.say("  " + t.gettext("POSOM deletes the location pin in {name}'s chat")
                             .format(name=person.first_name))
                    continue
                elif (text, buttons) != old[:2]:
                    head = t.gettext("POSOM changes a message to {name} into:").format(
                        name=person.first_name)
                else:
                    continue
                self._message(head, text, buttons)
        self.snapshot = current

    def _message(self, head: str, text: str, buttons: tuple[str, ...]) -> None:
        lines = text.splitlines() or [""]
        self.say(f"  {head} {lines[0]}")
        for line in lines[1:]:
            self.say(f"      {line}")
        if buttons:
            self.say("      " + " ".join(f"[{button}]" for button in buttons))


def _shown(message: ChatMessage) -> str:
    """What a chat shows for a message: its text, or the pin of a location or venue."""
    if message.venue is not None:
        return f"📍 {message.venue.title}, {message.venue.address}"
    if message.location is not None:
        return f"📍 {message.location[0]:.5f}, {message.location[1]:.5f}"
    return message.content or ""


def demo_settings(lang: str, folder: Path, **chat: dict) -> Settings:
    """The demo organisation (Karlstad and Hammarö) on the given chat service's settings."""
    return Settings(
        organisation={"name": "POSOM Demo", "duty_phone": "+46 54 540 00 00",
                      "default_locale": lang},
        areas=[Area(key="karlstad", name="Karlstad", neighbours=["hammaro"]),
               Area(key="hammaro", name="Hammarö", neighbours=["karlstad"])],
        storage={"path": folder / "demo.db"}, **chat)


async def run_demo(lang: str = "sv", out=sys.stdout) -> int:
    """Runs the scripted call-out and prints it; returns the exit code."""
    t = translator(lang)
    with tempfile.TemporaryDirectory(prefix="posom-demo-") as folder:
        async with FakeTelegram(token=TOKEN, bot_username="posom_demo_bot") as fake:
            settings = demo_settings(lang, Path(folder), telegram={
                "token": TOKEN, "api_url": fake.api_url, "bot_username": "posom_demo_bot",
                "poll_timeout": 1})
            runtime = BotRuntime(settings)
            await runtime.start()
            try:
                await _script(runtime, fake, Transcript(fake, t, out), t, lang)
            finally:
                await runtime.stop()
    return 0


async def _script(runtime: BotRuntime, fake: FakeTelegram, log: Transcript, t: Translator,
                  lang: str) -> None:
    services = runtime.services

    async def settle() -> None:
        await fake.settle(quiet=0.1, timeout=20)
        await services.sender.drain()
        await fake.settle(quiet=0.1, timeout=20)
        log.changes()

    async def act(person: FakePerson, label: str,
                  doing: Callable[[], Awaitable[object]]) -> None:
        result = await doing()
        answer = await result.answer() if hasattr(result, "answer") else None
        log.action(person, label, answer)

    people = {}
    for user_id, first, last, phone, _, _ in [LEADER, *VOLUNTEERS]:
        people[first] = fake.person(user_id, first, last, language_code=lang, phone_number=phone)
    log.say(t.gettext("POSOM demo: a whole call-out against a simulated Telegram. The bot, its "
                      "database and its rules are real; the people are simulated."))
    await services.members.import_roster(
        [NewMember(name=f"{first} {last}", role=role, phone=phone, area="karlstad",
                   gender=gender, skills=("arabic",) if first == "Eva" else ())
         for _, first, last, phone, role, gender in [LEADER, *VOLUNTEERS]],
        actor="demo", now=services.clock())
    log.say(t.gettext("The leadership imported the roster: Lena (leader) and six support persons "
                      "in Karlstad; Eva speaks Arabic."))

    log.step(t.gettext("Everyone connects by sharing their phone number"))
    for first in ("Lena", "Anna"):
        await act(people[first], "/start", lambda p=people[first]: p.send("/start"))
        await settle()
        await act(people[first], t.gettext("shares their phone number"),
                  lambda p=people[first]: p.tap(t.gettext("Share my phone number")))
        await settle()
    for first in ("Bo", "Cia", "Dan", "Eva", "Fia"):
        await people[first].send("/start")
        # Wait for the button itself: a quiet moment alone can come before the bot's answer on
        # a busy machine.
        await people[first].wait_for(lambda _, p=people[first]: p.keyboard is not None)
        await people[first].tap(t.gettext("Share my phone number"))
    await fake.settle(quiet=0.1)
    log.snapshot = log._take()
    log.say(t.gettext("(Bo, Cia, Dan, Eva and Fia do the same.)"))

    lena = people["Lena"]
    log.step(t.gettext("03:12 – SOS Alarm calls the duty leader: the family speaks Arabic. "
                       "Lena sends a call-out that asks for an Arabic speaker"))
    await act(lena, "/activate", lambda: lena.send("/activate"))
    await settle()
    kind = next(k for k in services.settings.callout.kinds if k.key == "fire").label(lang)
    arabic = services.settings.skill("arabic").label(lang)
    special, done = t.gettext("Particular skill…"), t.gettext("Done")
    for label, doing in [
        (f"[{kind}]", lambda: lena.press(kind)),
        ("[Karlstad]", lambda: lena.press("Karlstad")),
        (f"[{special}]", lambda: lena.press(special)),
        (f"[{arabic}]", lambda: lena.press(arabic)),
        (f"[{done}]", lambda: lena.press(done)),
        ("[2 ✓]", lambda: lena.press("2 ✓")),
    ]:
        await act(lena, label, doing)
        await settle()
    summary = t.gettext("House fire in Karlstad, a family of four needs support; they speak "
                        "Arabic")
    briefing = t.gettext("Storgatan 12 B. Ask for the rescue leader Eva Lund, 070-555 12 34. "
                         "The family is with the neighbours at number 14.")
    await act(lena, summary, lambda: lena.send(summary))
    await settle()
    await act(lena, briefing, lambda: lena.send(briefing))
    await settle()
    await act(lena, t.gettext("shares the location"), lambda: lena.share_location(59.3793,
                                                                                  13.5036))
    await settle()
    await act(lena, f"[{t.gettext('Send call-out')}]",
              lambda: lena.press(t.gettext("Send call-out")))
    await settle()
    code = (await services.callouts.reads.running())[0].code

    yes, no = t.gettext("Yes, I can"), t.gettext("No")
    log.step(t.gettext("Anna answers first"))
    await act(people["Anna"], f"[{yes}]", lambda: people["Anna"].press(yes))
    await settle()

    log.step(t.gettext("Bo and Dan press Yes at the same moment: neither speaks Arabic, so one "
                       "holds the last place and the other is a reserve"))
    bo, dan, eva = people["Bo"], people["Dan"], people["Eva"]
    presses = await asyncio.gather(bo.press(yes), dan.press(yes))
    for person, press in zip((bo, dan), presses, strict=True):
        log.action(person, f"[{yes}]", await press.answer())
    await settle()

    log.step(t.gettext("Eva, who speaks Arabic, says yes and takes the place; Cia says no; Fia "
                       "sleeps"))
    await act(eva, f"[{yes}]", lambda: eva.press(yes))
    await act(people["Cia"], f"[{no}]", lambda: people["Cia"].press(no))
    await settle()

    withdraw = t.gettext("Can't go after all")
    log.step(t.gettext("Anna's child wakes up: she cannot go after all"))
    await act(people["Anna"], f"[{withdraw}]", lambda: people["Anna"].press(withdraw))
    await settle()

    confirmed = [person for person in (bo, dan, eva)
                 if any(t.gettext("You are going. Briefing:") in (m.text or "")
                        for m in person.messages)]
    first = confirmed[0]
    log.step(t.gettext("On site, and afterwards"))
    await act(first, f"[{t.gettext('Arrived')}]", lambda: first.press(t.gettext("Arrived")))
    await settle()
    await act(first, f"[{t.gettext('Finished')}]", lambda: first.press(t.gettext("Finished")))
    await settle()

    log.step(t.gettext("Lena checks the record"))
    await act(lena, f"/status {code}", lambda: lena.send(f"/status {code}"))
    await settle()
    log.say()
    log.say(t.gettext("The briefing and the address went only to those who went, an Arabic "
                      "speaker among them; everyone else saw the summary. Try it with your own "
                      "bot: see README.md."))
