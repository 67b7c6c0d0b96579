"""The bot's commands, who may use them, and their one-line descriptions (for /help, the menus
and the guard)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.i18n import N_, Translator
from storage.models import Role

__all__ = ["COMMANDS", "Command", "access_of", "commands_for", "help_text"]


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    description: str  # msgid, translated when shown
    roles: tuple[Role, ...]


COMMANDS: tuple[Command, ...] = (
    Command("activate", N_("Start a call-out"), ("leader",)),
    Command("status", N_("Call-outs and readiness right now"), ("leader", "volunteer")),
    Command("close", N_("Close an intervention: /close CODE"), ("leader",)),
    Command("cancel", N_("Cancel a call-out: /cancel CODE"), ("leader",)),
    Command("debrief", N_("Follow-up of an intervention: /debrief CODE"), ("leader",)),
    Command("debrief", N_("Continue the questions after an intervention"), ("volunteer",)),
    Command("invite", N_("Invite someone: /invite volunteer|leader [area]"), ("leader",)),
    Command("roster", N_("Members: list, pause, change role: /roster"), ("leader",)),
    Command("remove", N_("Erase a member's personal data: /remove ID"), ("leader",)),
    Command("report", N_("Annual report: /report [YEAR]"), ("leader",)),
    Command("audit", N_("Audit trail of a call-out: /audit CODE"), ("leader",)),
    Command("away", N_("Not available: /away 3d or /away 2026-12-24"), ("leader", "volunteer")),
    Command("back", N_("Available again"), ("leader", "volunteer")),
    Command("me", N_("Your profile"), ("leader", "volunteer")),
    Command("language", N_("Choose language"), ("leader", "volunteer")),
    Command("training", N_("Training days and meetings: announce, answers, attendance"),
            ("leader",)),
    Command("training", N_("Your training days, meetings and training status"),
            ("volunteer",)),
    Command("intyg", N_("Certificate of your hours for your employer: /intyg [YEAR]"),
            ("volunteer",)),
    Command("intyg", N_("Certificate of hours: /intyg [YEAR], or /intyg ID YEAR for a member"),
            ("leader",)),
    Command("mydata", N_("All data the bot stores about you"), ("leader", "volunteer")),
    Command("help", N_("What you can do here"), ("leader", "volunteer")),
)


def commands_for(role: Role) -> list[Command]:
    """Returns the commands a role may use, in menu order."""
    return [command for command in COMMANDS if role in command.roles]


# Commands for people the bot does not know yet (an invite link, or connecting a roster entry).
OPEN_TO_ANYONE = ("start",)


def access_of(name: str) -> Literal["anyone", "member", "leader"]:
    """Who may use a command: /start anybody, a leaders' command leaders only, the rest
    members; a command missing from COMMANDS is leaders' only (closed by default)."""
    if name in OPEN_TO_ANYONE:
        return "anyone"
    roles = {role for command in COMMANDS if command.name == name for role in command.roles}
    return "member" if "volunteer" in roles else "leader"


def help_text(role: Role, t: Translator) -> str:
    """The /help text for a role."""
    lines = [t.gettext("Leader commands:") if role == "leader"
             else t.gettext("What you can do:")]
    for command in commands_for(role):
        lines.append(f"/{command.name} – {t.gettext(command.description)}")
    if role == "volunteer":
        lines.append("")
        lines.append(t.gettext("When there is a call-out you get a message with [Yes] and [No] "
                               "(on Signal: reply 1 or 2). Answer as soon as you can."))
    return "\n".join(lines)
