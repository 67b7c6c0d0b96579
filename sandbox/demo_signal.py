"""`posom demo --transport signal`: one whole call-out over Signal, offline, against the fake
signal-cli daemon, printed as the people see it on their phones.

The bot, its database, its rules and its Signal transport run for real; only the daemon and
the people are simulated. Everyone is on the roster with `transport=signal`, so the bot
writes to them first and "JA" connects them; then numbered replies, a quote-reply and a
reaction answer the call-out.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bot.app import BotRuntime
from bot.i18n import Translator, translator
from bot.people.invitations import import_roster
from bot.people.roster import RosterRow
from sandbox.demo import Steps, demo_settings
from sandbox.fake_signal import FakeSignalDaemon, FakeSignalPerson
from storage.members import NewMember

__all__ = ["run_signal_demo"]

BOT_NUMBER = "+46700000100"
PEOPLE = [
    ("+46705550010", "Lena Ledare", "leader", "female"),
    ("+46705550011", "Anna Andersson", "volunteer", "female"),
    ("+46705550012", "Bo Berg", "volunteer", "male"),
    ("+46705550013", "Cia Carlsson", "volunteer", "female"),
    ("+46705550014", "Dan Dahl", "volunteer", "male"),
]
Snapshot = dict[str, dict[int, tuple[str, bool]]]


class PhoneTranscript(Steps):
    """Prints each step: what people did, then what every phone received, saw edited or lost."""

    def __init__(self, daemon: FakeSignalDaemon, t: Translator, out) -> None:
        super().__init__(t, out)
        self.daemon = daemon
        self.snapshot: Snapshot = self._take()

    def _take(self) -> Snapshot:
        return {person.name: {m.timestamp: (m.text, m.deleted) for m in person.messages}
                for person in self.daemon.people}

    def did(self, person: FakeSignalPerson, what: str) -> None:
        self.say(f"{person.name.split()[0]} → {what}")

    def changes(self) -> None:
        """Prints every message sent, edited or deleted since the last call."""
        t = self.t
        current = self._take()
        for person in self.daemon.people:
            name = person.name.split()[0]
            before = self.snapshot.get(person.name, {})
            for timestamp, (text, deleted) in current[person.name].items():
                old = before.get(timestamp)
                if old is None and not deleted:
                    self._message(t.gettext("POSOM to {name}:").format(name=name), text)
                elif old is not None and deleted and not old[1]:
                    self.say("  " + t.gettext("POSOM deletes a message for everyone in "
                                              "{name}'s chat").format(name=name))
                elif old is not None and text != old[0] and not deleted:
                    self._message(t.gettext("POSOM changes a message to {name} into:").format(
                        name=name), text)
        self.snapshot = current

    def _message(self, head: str, text: str) -> None:
        lines = text.splitlines() or [""]
        self.say(f"  {head} {lines[0]}")
        for line in lines[1:]:
            self.say(f"      {line}")


async def run_signal_demo(lang: str = "sv", out=sys.stdout) -> int:
    """Runs the scripted call-out over Signal and prints it; returns the exit code."""
    t = translator(lang)
    with tempfile.TemporaryDirectory(prefix="posom-demo-signal-") as folder:
        async with FakeSignalDaemon(BOT_NUMBER, keepalive=1.0) as daemon:
            settings = demo_settings(lang, Path(folder), signal={
                "enabled": True, "url": daemon.url, "account": BOT_NUMBER,
                "max_messages_per_second": 0})
            runtime = BotRuntime(settings)
            await runtime.start()
            try:
                await daemon.wait_for_streams(1)
                await _script(runtime, daemon, PhoneTranscript(daemon, t, out), t)
            finally:
                await runtime.stop()
    return 0


async def _script(runtime: BotRuntime, daemon: FakeSignalDaemon, log: PhoneTranscript,
                  t: Translator) -> None:
    services = runtime.services

    async def settle() -> None:
        for _ in range(2):
            await daemon.settle(quiet=0.15, timeout=20)
            await services.sender.drain()
        log.changes()

    async def send(person: FakeSignalPerson, text: str, *, quote=None) -> None:
        log.did(person, f"“{text}”" + (" " + t.gettext("(as a reply to the request)")
                                       if quote is not None else ""))
        await person.send(text, quote=quote)
        await settle()

    people = {name.split()[0]: daemon.person(phone, name) for phone, name, _, _ in PEOPLE}
    log.say(t.gettext("POSOM demo on Signal: a whole call-out against a simulated signal-cli "
                      "daemon. The bot, its database and its rules are real; the people are "
                      "simulated."))
    rows = [RosterRow(index + 2, NewMember(name=name, role=role, phone=phone,
                                           area="karlstad", gender=gender), "signal")
            for index, (phone, name, role, gender) in enumerate(PEOPLE)]
    await import_roster(services.settings, services.members, rows, actor="demo",
                        now=services.clock())
    services.sender.wake()
    log.step(t.gettext("The leadership imports the roster with transport=signal: the bot "
                       "writes first"))
    await settle()
    for name in people:
        await people[name].send(t.gettext("Yes"))
    for _ in range(2):
        await daemon.settle(quiet=0.15, timeout=20)
        await services.sender.drain()
    log.snapshot = log._take()
    log.say(t.gettext("(Everyone answers “Yes” and is connected.)"))

    lena = people["Lena"]
    log.step(t.gettext("03:12 – SOS Alarm calls the duty leader; Lena sends a call-out"))
    summary = t.gettext("House fire in Karlstad, a family of four needs support")
    briefing = t.gettext("Storgatan 12 B. Ask for the rescue leader Eva Lund, 070-555 12 34. "
                         "The family is with the neighbours at number 14.")
    for text in ("/activate", "2", "1", "2", summary, briefing, "Storgatan 12 B, Karlstad",
                 "1"):
        await send(lena, text)

    anna, bo, cia = people["Anna"], people["Bo"], people["Cia"]
    log.step(t.gettext("Anna answers with the number, Cia with a 👎, Bo by replying to the "
                       "request; Dan sleeps"))
    requests = {name: next(m for m in people[name].messages if "🚨" in m.text)
                for name in ("Bo", "Cia")}
    await send(anna, "1")
    log.did(cia, "👎")
    await cia.react(requests["Cia"], "👎")
    await settle()
    await send(bo, t.gettext("Yes"), quote=requests["Bo"])

    log.step(t.gettext("On site, and afterwards"))
    await send(anna, "1")
    await send(bo, "2")

    log.step(t.gettext("Lena checks the record"))
    code = (await services.callouts.reads.by_id(1)).code
    await send(lena, f"/status {code}")
    log.say()
    log.say(t.gettext("The briefing went only to the two who went, and was deleted from their "
                      "phones when the call-out ended. See README.md, “Signal”."))
