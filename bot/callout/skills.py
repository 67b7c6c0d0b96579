"""Skills in a call-out: what a team member brings, what a call-out asks for, and what is open.

The rule itself (hold the last place for someone with a skill) is in bot.callout.rules, beside
the mixed-pair rule; this module gathers the facts that rule needs inside the answer's
transaction, orders who is asked and who is promoted, and says in people's words what is open.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.callout.rules import missing_skills, rank_reserves
from bot.config import Settings
from bot.i18n import Translator
from storage.models import Activation, Member, Request
from storage.skills import skills_of
from storage.sql import Connection

__all__ = ["NO_SKILLS", "SkillFacts", "parse_skills", "requirement_lines", "skill_facts",
           "skill_labels", "skilled_first", "skilled_reserves_first"]

NO_SKILLS: frozenset[str] = frozenset()
_SEPARATORS = re.compile(r"[,;|/+]")


@dataclass(frozen=True, slots=True)
class SkillFacts:
    """What the skill rule needs to decide one answer (all empty when nothing is asked for)."""

    required: frozenset[str] = NO_SKILLS
    team: tuple[frozenset[str], ...] = ()  # the skills of each confirmed volunteer
    own: frozenset[str] = NO_SKILLS  # the skills of the volunteer answering
    held_gender: str | None = None  # the volunteer holding the last place, if any
    held: frozenset[str] = NO_SKILLS


async def skill_facts(tx: Connection, activation: Activation, member: Member,
                      team: Sequence[tuple[Request, Member]],
                      held: Sequence[tuple[Request, Member]]) -> SkillFacts:
    """The skills of the team, the held volunteer and the one answering (no query at all when
    the call-out asks for no skill)."""
    held_gender = held[0][1].gender if held else None
    if not activation.required_skills:
        return SkillFacts(held_gender=held_gender)
    people = [mate for _, mate in team] + [person for _, person in held[:1]] + [member]
    skills = await skills_of(tx, (person.id for person in people))
    return SkillFacts(required=frozenset(activation.required_skills),
                      team=tuple(skills[mate.id] for _, mate in team), own=skills[member.id],
                      held_gender=held_gender,
                      held=skills[held[0][1].id] if held else NO_SKILLS)


async def skilled_first(tx: Connection, activation: Activation,
                        volunteers: list[Member]) -> list[Member]:
    """The volunteers to ask, those with a skill the call-out asks for first (their requests go
    out first in the fan-out)."""
    if not activation.required_skills or not volunteers:
        return volunteers
    skills = await skills_of(tx, (volunteer.id for volunteer in volunteers))
    required = frozenset(activation.required_skills)
    return sorted(volunteers, key=lambda volunteer: not (skills[volunteer.id] & required))


async def skilled_reserves_first(tx: Connection, activation: Activation,
                                 team: Sequence[tuple[Request, Member]],
                                 reserves: list[tuple[Request, Member]],
                                 ) -> list[tuple[Request, Member]]:
    """Reserves in the order they should take a free place: one who brings a skill the team
    now lacks first, otherwise in the order they answered."""
    if not activation.required_skills or len(reserves) < 2:
        return reserves
    skills = await skills_of(tx, [mate.id for _, mate in team] + [p.id for _, p in reserves])
    order = rank_reserves(activation.required_skills, [skills[mate.id] for _, mate in team],
                          [skills[person.id] for _, person in reserves])
    return [reserves[index] for index in order]


def skill_labels(settings: Settings, keys: Collection[str], t: Translator) -> str:
    """"Arabiska, Präst eller diakon" in the reader's language, in the configured order."""
    known = [skill.label(t.locale) for skill in settings.skills if skill.key in keys]
    unknown = sorted(key for key in keys if settings.skill(key) is None)
    return ", ".join(known + unknown)


def parse_skills(settings: Settings, text: str) -> tuple[str, ...]:
    """Skill keys from typed text ("arabic, priest", "Arabiska|Finska"); keys or labels in
    either language, any case. Raises ValueError naming the first unknown one."""
    names = {skill.key: skill.key for skill in settings.skills}
    for skill in settings.skills:
        names[skill.sv.lower()] = skill.key
        names[skill.en.lower()] = skill.key
    found: list[str] = []
    for part in _SEPARATORS.split(text):
        name = part.strip().lower()
        if not name:
            continue
        if name in names:
            found.append(names[name])
            continue
        words = name.split()  # "arabic finnish": several keys without commas
        unknown = next((word for word in words if word not in names), None)
        if unknown is not None or len(words) < 2:
            raise ValueError(unknown or part.strip())
        found.extend(names[word] for word in words)
    return tuple(dict.fromkeys(found))


def requirement_lines(settings: Settings, activation: Activation,
                      team: Sequence[tuple[Member, frozenset[str]]], t: Translator) -> list[str]:
    """/status CODE: each skill asked for, who brings it, or that it is still open."""
    if not activation.required_skills:
        return []
    lines = [t.gettext("Asked for:")]
    open_ = missing_skills(activation.required_skills, (skills for _, skills in team))
    for key in activation.required_skills:
        label = skill_labels(settings, [key], t)
        if key in open_:
            lines.append("⏳ " + t.gettext("{skill}: still open").format(skill=label))
        else:
            who = ", ".join(member.name for member, skills in team if key in skills)
            lines.append("✅ " + t.gettext("{skill}: {names}").format(skill=label, names=who))
    return lines
