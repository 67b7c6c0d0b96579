"""The annual report (verksamhetsberättelse) as plain figures, computed from one year's rows.

`compute_report` is a pure function of the rows storage hands over, so every rule of counting is
here and tested without a database:

- An **intervention** is a closed activation that is not an exercise. Cancelled call-outs (not
  exercises) and closed exercises are counted apart; call-outs still running are only mentioned.
- **Answers** are counted per person asked on an intervention: Ja (they pressed yes, whatever
  happened later: confirmed, reserve, withdrew), Nej (declined) or silent (never answered).
- **Time to staffed** runs from sending the call-out to the moment the team was complete. The
  median of an even count is the mean of the middle two; the 90th percentile is the nearest
  rank (the smallest time that at least 90 % of the interventions were staffed within).
- **Volunteer hours (call-out)** are measured: from each confirmed volunteer's Yes to the close
  (or their [Avslutad], which closes it). At a support centre, each shift worked counts from the
  shift's start to its end.
  **Reported hours** are the hours the volunteers wrote in their debriefs (None when nobody
  answered that question).
- **Debrief figures** come from the debrief questionnaires the volunteers finished after the
  interventions (storage/debrief_stats.py says which answers count); exercises never count.
- **People supported** per intervention are the largest number any volunteer of its team
  reported (both meet the same people), summed over the interventions; referrals and kinds of
  support are counted once per intervention.
- **Welfare follow-ups** are the times the leaders were asked to get in touch with a volunteer
  after an intervention (a low wellbeing or a wish for a support talk, in the debrief or in the
  check-in weeks later), whether or not that questionnaire was finished.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.training.rules import TrainingFigures
from storage.debrief_stats import SUPPORT_OPTIONS, DebriefRow, WelfareAlert
from storage.reports import ActivationFacts, RequestFacts

__all__ = [
    "AnnualReport",
    "AnswerCounts",
    "DebriefFigures",
    "Figures",
    "compute_report",
    "median",
    "nearest_rank",
]

YES_STATES = frozenset({"confirmed", "tentative", "reserve", "withdrawn", "released",
                        "stood_down"})
SUPPORT_KINDS = SUPPORT_OPTIONS


def median(values: Sequence[float]) -> float | None:
    """The median, or None for no values."""
    return statistics.median(values) if values else None


def nearest_rank(values: Sequence[float], percent: float) -> float | None:
    """The nearest-rank percentile: the smallest value with `percent` % of values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class AnswerCounts:
    yes: int = 0
    no: int = 0
    silent: int = 0

    @property
    def asked(self) -> int:
        return self.yes + self.no + self.silent

    @property
    def answered_share(self) -> float | None:
        """Share of the people asked who answered at all (Ja or Nej)."""
        return (self.yes + self.no) / self.asked if self.asked else None


@dataclass(frozen=True, slots=True)
class Figures:
    """The figures of one set of activations (the interventions, or the exercises)."""

    count: int
    by_kind: dict[str, int]
    by_area: dict[str, int]
    by_month: tuple[int, ...]  # January .. December, in the organisation's time zone
    staffed: int  # how many reached a complete team
    time_to_staffed_median: timedelta | None
    time_to_staffed_p90: timedelta | None
    answers: AnswerCounts
    volunteer_missions: int  # confirmed volunteers who went
    volunteer_hours: float


@dataclass(frozen=True, slots=True)
class DebriefFigures:
    """What the debriefs of the interventions say (all zero before the first answer)."""

    interventions_with_answers: int
    answers: int  # finished debrief questionnaires
    reported_hours: float | None  # None: no finished questionnaire answered the hours question
    affected: int
    witnesses: int
    support_kinds: dict[str, int]  # kind of support -> interventions where it was given
    referral_interventions: int
    referrals: dict[str, int]  # referral key -> interventions
    support_talks: int  # volunteers who asked for a support talk
    low_wellbeing: int  # answers with wellbeing at or below the welfare threshold
    wellbeing_mean: float | None
    welfare_followups: int = 0  # times the leaders were asked to get in touch
    low_wellbeing_threshold: int = 2  # debrief.welfare_threshold when the report was made

    @property
    def people_supported(self) -> int:
        return self.affected + self.witnesses


@dataclass(frozen=True, slots=True)
class AnnualReport:
    year: int
    organisation: str
    generated_at: datetime
    interventions: Figures
    exercises: Figures
    cancelled: int
    running: int
    debriefs: DebriefFigures
    kind_keys: tuple[str, ...] = field(default=())
    area_keys: tuple[str, ...] = field(default=())

    activations: int = 0  # every call-out of the year, of any sort and state
    training: TrainingFigures | None = None  # trainings, attendance, trained per municipality

    @property
    def is_empty(self) -> bool:
        """No call-out of any sort in the year."""
        return self.activations == 0


def _ordered_counts(values: Iterable[str], known: Sequence[str]) -> dict[str, int]:
    """Counts in the configured order (zeros included), unknown keys after them."""
    counted = Counter(values)
    result = {key: counted.get(key, 0) for key in known}
    for key in sorted(counted):
        if key not in result:
            result[key] = counted[key]
    return result


def _figures(activations: list[ActivationFacts], requests: list[RequestFacts],
             settings: Settings) -> Figures:
    tz: ZoneInfo = settings.organisation.tz
    ids = {activation.id for activation in activations}
    by_id = {activation.id: activation for activation in activations}
    months = [0] * 12
    for activation in activations:
        months[activation.created_at.astimezone(tz).month - 1] += 1
    # Never negative, even for a call-out the wall clock stepped back under (bot.timekeeping).
    staffing = [max((activation.staffed_at - activation.created_at).total_seconds(), 0.0)
                for activation in activations if activation.staffed_at is not None]
    yes = no = silent = missions = 0
    hours = 0.0
    for request in requests:
        if request.activation_id not in ids:
            continue
        activation = by_id[request.activation_id]
        if request.counts_answer and request.state == "confirmed" and request.confirmed_at \
                and activation.closed_at:
            missions += 1
            end = request.finished_at or activation.closed_at
            hours += max((end - request.confirmed_at).total_seconds(), 0) / 3600
        elif not request.counts_answer and request.confirmed_at and request.finished_at:
            missions += 1  # a shift worked: from its start to its end
            hours += max((request.finished_at - request.confirmed_at).total_seconds(), 0) / 3600
        if not request.counts_answer:
            continue
        if request.answered_at is None:
            silent += 1
        elif request.state == "declined":
            no += 1
        elif request.state in YES_STATES:
            yes += 1
        else:
            silent += 1  # 'pending' with an answer time cannot happen; count it as not a Yes
    mid, p90 = median(staffing), nearest_rank(staffing, 90)
    return Figures(
        count=len(activations),
        by_kind=_ordered_counts((a.kind for a in activations),
                                [kind.key for kind in settings.callout.kinds]),
        by_area=_ordered_counts((a.area for a in activations), settings.area_keys),
        by_month=tuple(months),
        staffed=len(staffing),
        time_to_staffed_median=timedelta(seconds=mid) if mid is not None else None,
        time_to_staffed_p90=timedelta(seconds=p90) if p90 is not None else None,
        answers=AnswerCounts(yes, no, silent),
        volunteer_missions=missions,
        volunteer_hours=round(hours, 2),
    )


def _debrief_figures(rows: Sequence[DebriefRow], alerts: Sequence[WelfareAlert],
                     intervention_ids: set[int], threshold: int) -> DebriefFigures:
    rows = [row for row in rows if row.activation_id in intervention_ids]
    teams: dict[int, list[DebriefRow]] = {}
    for row in rows:
        teams.setdefault(row.activation_id, []).append(row)
    affected = sum(max((row.affected or 0) for row in team) for team in teams.values())
    witnesses = sum(max((row.witnesses or 0) for row in team) for team in teams.values())
    kinds = {kind: sum(1 for team in teams.values() if any(getattr(row, kind) for row in team))
             for kind in SUPPORT_KINDS}
    referrals: Counter[str] = Counter()
    referral_interventions = 0
    for team in teams.values():
        keys = {key for row in team for key in row.referrals}
        referrals.update(keys)
        referral_interventions += bool(keys)
    wellbeing = [row.wellbeing for row in rows if row.wellbeing is not None]
    hours = [row.hours for row in rows if row.hours is not None]
    return DebriefFigures(
        interventions_with_answers=len(teams),
        answers=len(rows),
        reported_hours=round(sum(hours), 2) if hours else None,
        affected=affected,
        witnesses=witnesses,
        support_kinds=kinds,
        referral_interventions=referral_interventions,
        referrals=dict(sorted(referrals.items(), key=lambda item: (-item[1], item[0]))),
        support_talks=sum(1 for row in rows if row.support_talk),
        # "Low" is what alerts the leaders (debrief.welfare_threshold), so the two agree.
        low_wellbeing=sum(1 for value in wellbeing if value <= threshold),
        wellbeing_mean=round(statistics.fmean(wellbeing), 2) if wellbeing else None,
        welfare_followups=sum(1 for alert in alerts if alert.activation_id in intervention_ids),
        low_wellbeing_threshold=threshold,
    )


def compute_report(settings: Settings, year: int, activations: list[ActivationFacts],
                   requests: list[RequestFacts], debriefs: Sequence[DebriefRow],
                   generated_at: datetime, *,
                   welfare_alerts: Sequence[WelfareAlert] = ()) -> AnnualReport:
    """The year's figures from its activations, requests, finished debriefs and welfare
    alerts."""
    interventions = [a for a in activations if not a.exercise and a.state == "closed"]
    exercises = [a for a in activations if a.exercise and a.state == "closed"]
    cancelled = sum(1 for a in activations if a.state == "cancelled" and not a.exercise)
    running = sum(1 for a in activations if a.state in ("open", "staffed"))
    return AnnualReport(
        year=year,
        organisation=settings.organisation.name,
        generated_at=generated_at,
        interventions=_figures(interventions, requests, settings),
        exercises=_figures(exercises, requests, settings),
        cancelled=cancelled,
        running=running,
        debriefs=_debrief_figures(debriefs, welfare_alerts, {a.id for a in interventions},
                                  settings.debrief.welfare_threshold),
        kind_keys=tuple(kind.key for kind in settings.callout.kinds),
        area_keys=tuple(settings.area_keys),
        activations=len(activations),
    )
