"""The rules of training as pure functions: a member's status, who is trained, who is reminded,
and the year's figures for the annual report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import N_
from storage.training import Invite, Training, TrainingFacts, TrainingStatus

__all__ = ["KINDS", "KIND_LABELS", "AreaTraining", "TrainingFigures", "is_trained",
           "reminded", "status_from", "training_figures"]

KINDS = ("introduction", "training", "meeting")
KIND_LABELS = {
    "introduction": N_("Introduction course"),
    "training": N_("Training day"),
    "meeting": N_("Meeting"),
}


def status_from(facts: TrainingFacts, timezone: ZoneInfo,
                until: datetime | None = None) -> TrainingStatus:
    """A member's status: the introduction is the earliest introduction attended (or set by a
    leader), the last training the latest introduction or training attended (or set). Meetings
    do not train. Only what happened before `until` counts, when given."""
    introductions = [facts.manual.introduction_on] if facts.manual.introduction_on else []
    trainings = [facts.manual.last_training_on] if facts.manual.last_training_on else []
    for kind, starts_at in facts.attended:
        if until is not None and starts_at >= until:
            continue
        day = starts_at.astimezone(timezone).date()
        if kind == "introduction":
            introductions.append(day)
        if kind in ("introduction", "training"):
            trainings.append(day)
    return TrainingStatus(min(introductions, default=None), max(trainings, default=None))


def is_trained(status: TrainingStatus, today: date, refresh_within: timedelta) -> bool:
    """Trained: the introduction is done and, when the organisation asks for it, a training (or
    the introduction) lies within `refresh_within` of today."""
    if status.introduction_on is None:
        return False
    if not refresh_within:
        return True
    latest = max(day for day in (status.introduction_on, status.last_training_on) if day)
    return latest >= today - refresh_within


def reminded(invites: Iterable[Invite]) -> list[Invite]:
    """Who gets the reminder: those who said Kommer, and those who have not answered."""
    return [invite for invite in invites if invite.answer != "no"]


@dataclass(frozen=True, slots=True)
class AreaTraining:
    """One municipality's training figures of the year."""

    trainings: int  # trainings and meetings its members were invited to
    attendances: int  # times its members attended one
    members: int  # active support persons
    trained: int  # of them trained at the year's end (or now)


@dataclass(frozen=True, slots=True)
class TrainingFigures:
    """The training part of the annual report."""

    held: dict[str, int]  # kind -> trainings held in the year
    attendances: int
    trained: int
    members: int
    by_area: dict[str, AreaTraining]

    @property
    def count(self) -> int:
        return sum(self.held.values())


def training_figures(area_keys: Sequence[str], trainings: Sequence[Training],
                     attendances: Sequence[tuple[int, str | None]],
                     members: Sequence[tuple[int, str | None, str]],
                     facts: dict[int, TrainingFacts], *, timezone: ZoneInfo, as_of: datetime,
                     refresh_within: timedelta) -> TrainingFigures:
    """Counts the year's trainings (held before `as_of`), attendances, and trained support
    persons per municipality. A training for everyone counts for every municipality."""
    held_trainings = [training for training in trainings if training.starts_at < as_of]
    held_ids = {training.id for training in held_trainings}
    today = as_of.astimezone(timezone).date()
    volunteers = [(member_id, area) for member_id, area, role in members if role == "volunteer"]
    trained_ids = {member_id for member_id, _ in volunteers
                   if is_trained(status_from(facts.get(member_id, TrainingFacts()), timezone,
                                             as_of), today, refresh_within)}
    by_area = {}
    for key in area_keys:
        in_area = [member_id for member_id, area in volunteers if area == key]
        by_area[key] = AreaTraining(
            trainings=sum(1 for training in held_trainings
                          if not training.areas or key in training.areas),
            attendances=sum(1 for training_id, area in attendances
                            if area == key and training_id in held_ids),
            members=len(in_area),
            trained=sum(1 for member_id in in_area if member_id in trained_ids))
    return TrainingFigures(
        held={kind: sum(1 for training in held_trainings if training.kind == kind)
              for kind in KINDS},
        attendances=sum(1 for training_id, _ in attendances if training_id in held_ids),
        trained=len(trained_ids), members=len(volunteers), by_area=by_area)
