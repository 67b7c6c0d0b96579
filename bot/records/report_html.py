"""The annual report rendered: a self-contained HTML page with charts, a CSV per table, and the
key figures as chat text.

Pure functions of an `AnnualReport` and a translator. Charts are drawn by matplotlib (Agg, no
pyplot, so a render in a worker thread touches no global figure state) and embedded as inline SVG
with the text drawn as paths: the page loads no script, font or image from anywhere. CSV column
keys are stable English; everything a person reads in the HTML is in the report's language.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Sequence
from datetime import timedelta

import matplotlib

matplotlib.use("Agg")

from babel.dates import get_month_names
from babel.numbers import format_decimal, format_percent
from matplotlib.figure import Figure

from bot.config import Settings
from bot.i18n import N_, Translator
from bot.records.report import AnnualReport, AnswerCounts, DebriefFigures, Figures
from bot.training.rules import KIND_LABELS
from storage.debrief_stats import REPORT_QUESTIONS

__all__ = ["csv_tables", "key_figures_text", "month_names", "render_html"]

# Used when [debrief] no longer offers the option (the configured label is preferred).
SUPPORT_LABELS = {
    "practical": N_("Practical support"),
    "social": N_("Social support"),
    "psychological": N_("Psychological support"),
}
REFERRAL_LABELS = {
    "social_services": N_("Social services"),
    "church": N_("Church"),
    "health_care": N_("Health care"),
    "police": N_("Police"),
    "other": N_("Other"),
}
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:60rem;padding:0 1rem;color:#1d1d1f;line-height:1.45}
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:2px solid #d0d7de;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0 1rem}
th,td{border:1px solid #d0d7de;padding:.3rem .7rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f3f5f7}.muted{color:#57606a}figure{margin:.5rem 0 1.2rem}
svg{max-width:100%;height:auto}
"""


def month_names(t: Translator) -> list[str]:
    """January .. December in the reader's language, capitalised for table rows."""
    names = get_month_names("wide", locale=t.locale)
    return [names[month][:1].upper() + names[month][1:] for month in range(1, 13)]


def _kind_label(settings: Settings, key: str, t: Translator) -> str:
    kind = settings.callout.kind(key)
    return kind.label(t.locale) if kind else key


def _area_label(settings: Settings, key: str) -> str:
    area = settings.area(key)
    return area.name if area else key


def _number(value: float | None, t: Translator) -> str:
    return "–" if value is None else format_decimal(value, format="#,##0.#", locale=t.locale)


def _option_label(settings: Settings, figure: str, key: str, labels: dict[str, str],
                  t: Translator) -> str:
    """An answer option as the volunteers saw it in [debrief], else the shipped label."""
    question = next((question for question in settings.debrief.questions
                     if question.key == REPORT_QUESTIONS[figure].key), None)
    option = question.option(key) if question else None
    if option is not None:
        return option.label(t.locale)
    return t.gettext(labels[key]) if key in labels else key


def _share(value: float | None, t: Translator) -> str:
    return "–" if value is None else format_percent(value, locale=t.locale)


def _duration(value: timedelta | None, t: Translator) -> str:
    return "–" if value is None else t.duration(value)


def _answer_rows(answers: AnswerCounts, t: Translator) -> list[tuple[str, int]]:
    return [(t.gettext("Yes"), answers.yes), (t.gettext("No"), answers.no),
            (t.gettext("No answer"), answers.silent)]


# -- charts ------------------------------------------------------------------------------------

def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    # Text as paths (no font needed by the reader); a fixed hash salt keeps ids reproducible.
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "posom-report"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    return re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)


def _bar_chart(labels: Sequence[str], values: Sequence[int], title: str, *,
               horizontal: bool = False) -> str:
    height = max(2.2, 0.38 * len(labels) + 0.9) if horizontal else 2.8
    figure = Figure(figsize=(7.2, height))
    axes = figure.subplots()
    colour = "#2f6f9f"
    if horizontal:
        positions = list(range(len(labels)))[::-1]
        bars = axes.barh(positions, values, color=colour)
        axes.set_yticks(positions, labels)
        axes.xaxis.get_major_locator().set_params(integer=True)
    else:
        bars = axes.bar(range(len(labels)), values, color=colour)
        axes.set_xticks(range(len(labels)), labels, rotation=0 if len(labels) <= 6 else 45,
                        ha="center" if len(labels) <= 6 else "right")
        axes.yaxis.get_major_locator().set_params(integer=True)
    axes.bar_label(bars, labels=[str(value) if value else "" for value in values], padding=2,
                   fontsize=8)
    axes.set_title(title, fontsize=11, loc="left")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _svg(figure)


def _chart(labels: Sequence[str], values: Sequence[int], title: str, *,
           horizontal: bool = False) -> str:
    if not any(values):
        return ""
    return f"<figure>{_bar_chart(labels, values, title, horizontal=horizontal)}</figure>"


# -- HTML --------------------------------------------------------------------------------------

def _h2(text: str) -> str:
    return f"<h2>{html.escape(text)}</h2>"


def _p(text: str, *, muted: bool = False) -> str:
    return f'<p class="muted">{html.escape(text)}</p>' if muted else f"<p>{html.escape(text)}</p>"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(str(cell))}</th>" for cell in headers)
    body = []
    for row in rows:
        cells = [f"<td>{html.escape(str(row[0]))}</td>"]
        cells += [f'<td class="n">{html.escape(str(cell))}</td>' for cell in row[1:]]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _key_rows(report: AnnualReport, t: Translator) -> list[tuple[str, str]]:
    figures = report.interventions
    rows = [
        (t.gettext("Interventions"), str(figures.count)),
        (t.gettext("Call-outs cancelled"), str(report.cancelled)),
        (t.gettext("Exercises"), str(report.exercises.count)),
        (t.gettext("Support persons sent"), str(figures.volunteer_missions)),
        (t.gettext("Volunteer hours (from Yes to close)"), _number(figures.volunteer_hours, t)),
        (t.gettext("Median time to staffed"), _duration(figures.time_to_staffed_median, t)),
        (t.gettext("Time to staffed, 90th percentile"),
         _duration(figures.time_to_staffed_p90, t)),
        (t.gettext("Answer rate (Yes or No)"), _share(figures.answers.answered_share, t)),
    ]
    debriefs = report.debriefs
    if debriefs.answers:
        if debriefs.reported_hours is not None:
            rows.append((t.gettext("Volunteer hours (reported in debriefs)"),
                         _number(debriefs.reported_hours, t)))
        rows += [
            (t.gettext("People supported"), str(debriefs.people_supported)),
            (t.gettext("Interventions with a referral"), str(debriefs.referral_interventions)),
            (t.gettext("Support talks asked for"), str(debriefs.support_talks)),
        ]
    if debriefs.answers or debriefs.welfare_followups:
        rows.append((t.gettext("Welfare follow-ups (leaders asked to get in touch)"),
                     str(debriefs.welfare_followups)))
    training = report.training
    if training is not None and (training.count or training.trained):
        rows += [(t.gettext("Training days and meetings held"), str(training.count)),
                 (t.gettext("Attendances at them"), str(training.attendances)),
                 (t.gettext("Trained support persons"),
                  t.gettext("{trained} of {members}").format(trained=training.trained,
                                                              members=training.members))]
    return rows


def _figures_sections(report: AnnualReport, figures: Figures, settings: Settings,
                      t: Translator) -> list[str]:
    parts = []
    kind_labels = [_kind_label(settings, key, t) for key in figures.by_kind]
    parts.append(_h2(t.gettext("Interventions per kind")))
    parts.append(_table([t.gettext("Kind"), t.gettext("Interventions")],
                        list(zip(kind_labels, figures.by_kind.values(), strict=True))))
    parts.append(_chart(kind_labels, list(figures.by_kind.values()),
                        t.gettext("Interventions per kind"), horizontal=True))
    area_labels = [_area_label(settings, key) for key in figures.by_area]
    parts.append(_h2(t.gettext("Interventions per municipality")))
    parts.append(_table([t.gettext("Municipality"), t.gettext("Interventions")],
                        list(zip(area_labels, figures.by_area.values(), strict=True))))
    parts.append(_chart(area_labels, list(figures.by_area.values()),
                        t.gettext("Interventions per municipality"), horizontal=True))
    months = month_names(t)
    parts.append(_h2(t.gettext("Interventions per month")))
    parts.append(_table([t.gettext("Month"), t.gettext("Interventions")],
                        list(zip(months, figures.by_month, strict=True))))
    parts.append(_chart([name[:3] for name in months], figures.by_month,
                        t.gettext("Interventions per month")))
    parts.append(_h2(t.gettext("Staffing and answers")))
    answers = _answer_rows(figures.answers, t)
    parts.append(_table([t.gettext("Answer"), t.gettext("People asked")], answers))
    parts.append(_chart([label for label, _ in answers], [count for _, count in answers],
                        t.gettext("Answers to call-outs")))
    parts.append(_table([t.gettext("Figure"), t.gettext("Value")], [
        (t.gettext("Interventions staffed in full"), figures.staffed),
        (t.gettext("Median time to staffed"), _duration(figures.time_to_staffed_median, t)),
        (t.gettext("Time to staffed, 90th percentile"),
         _duration(figures.time_to_staffed_p90, t)),
        (t.gettext("Support persons sent"), figures.volunteer_missions),
        (t.gettext("Volunteer hours (from Yes to close)"), _number(figures.volunteer_hours, t)),
    ]))
    return parts


def _welfare_rows(debriefs: DebriefFigures, t: Translator) -> list[tuple[str, object]]:
    return [(t.gettext("Welfare follow-ups (leaders asked to get in touch)"),
             debriefs.welfare_followups)]


def _debrief_section(debriefs: DebriefFigures, settings: Settings,
                     t: Translator) -> list[str]:
    parts = [_h2(t.gettext("Follow-up (debriefs)"))]
    if debriefs.answers == 0:
        parts.append(_p(t.gettext("No debrief answers yet: no support person has finished the "
                                  "questionnaire after this year's interventions."), muted=True))
        if debriefs.welfare_followups:
            parts.append(_h2(t.gettext("Welfare of the support persons")))
            parts.append(_table([t.gettext("Figure"), t.gettext("Value")],
                                _welfare_rows(debriefs, t)))
        return parts
    parts.append(_table([t.gettext("Figure"), t.gettext("Value")], [
        (t.gettext("Debrief answers"), debriefs.answers),
        (t.gettext("Interventions with debrief answers"), debriefs.interventions_with_answers),
        (t.gettext("Volunteer hours (reported in debriefs)"),
         _number(debriefs.reported_hours, t)),
        (t.gettext("Affected people supported"), debriefs.affected),
        (t.gettext("Witnesses supported"), debriefs.witnesses),
        (t.gettext("People supported"), debriefs.people_supported),
        (t.gettext("Interventions with a referral"), debriefs.referral_interventions),
    ]))
    kinds = [(_option_label(settings, "support", key, SUPPORT_LABELS, t), count)
             for key, count in debriefs.support_kinds.items()]
    parts.append(_table([t.gettext("Support given"), t.gettext("Interventions")], kinds))
    if debriefs.referrals:
        parts.append(_table([t.gettext("Referred to"), t.gettext("Interventions")], [
            (_option_label(settings, "referrals", key, REFERRAL_LABELS, t), count)
            for key, count in debriefs.referrals.items()]))
    parts.append(_h2(t.gettext("Welfare of the support persons")))
    parts.append(_table([t.gettext("Figure"), t.gettext("Value")], [
        (t.gettext("Support talks asked for"), debriefs.support_talks),
        (t.gettext("Answers with low wellbeing (at most {threshold} of 5)").format(
            threshold=debriefs.low_wellbeing_threshold), debriefs.low_wellbeing),
        (t.gettext("Average wellbeing (1–5)"), _number(debriefs.wellbeing_mean, t)),
        *_welfare_rows(debriefs, t),
    ]))
    return parts


def _exercise_section(report: AnnualReport, settings: Settings, t: Translator) -> list[str]:
    exercises = report.exercises
    parts = [_h2(t.gettext("Exercises"))]
    if exercises.count == 0:
        parts.append(_p(t.gettext("No exercises this year."), muted=True))
        return parts
    parts.append(_p(t.gettext("Exercises are call-outs for training and are not counted as "
                              "interventions above.")))
    kinds = ", ".join(f"{_kind_label(settings, key, t)}: {count}"
                      for key, count in exercises.by_kind.items() if count)
    parts.append(_table([t.gettext("Figure"), t.gettext("Value")], [
        (t.gettext("Exercises"), exercises.count),
        (t.gettext("Kinds"), kinds),
        (t.gettext("Median time to staffed"), _duration(exercises.time_to_staffed_median, t)),
        (t.gettext("Answer rate (Yes or No)"), _share(exercises.answers.answered_share, t)),
        (t.gettext("Support persons sent"), exercises.volunteer_missions),
        (t.gettext("Volunteer hours (from Yes to close)"), _number(exercises.volunteer_hours, t)),
    ]))
    return parts


def _training_section(report: AnnualReport, settings: Settings, t: Translator) -> list[str]:
    training = report.training
    if training is None:
        return []
    parts = [_h2(t.gettext("Training and meetings"))]
    if not training.count:
        parts.append(_p(t.gettext("No training days or meetings this year."), muted=True))
    else:
        parts.append(_table([t.gettext("Figure"), t.gettext("Value")], [
            *((t.gettext(KIND_LABELS[kind]), count) for kind, count in training.held.items()),
            (t.gettext("Attendances at them"), training.attendances),
        ]))
    parts.append(_table(
        [t.gettext("Municipality"), t.gettext("Training days and meetings"),
         t.gettext("Attendances"), t.gettext("Support persons"), t.gettext("Trained")],
        [(_area_label(settings, key), area.trainings, area.attendances, area.members,
          area.trained) for key, area in training.by_area.items()]))
    return parts


def render_html(report: AnnualReport, settings: Settings, t: Translator) -> str:
    """The whole report as one self-contained HTML page in the translator's language."""
    title = t.gettext("Annual report {year}").format(year=report.year)
    made = t.gettext("Made {time}").format(time=t.datetime(report.generated_at))
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{t.locale}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)} – {html.escape(report.organisation)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p><strong>{html.escape(report.organisation)}</strong><br>"
        f'<span class="muted">{html.escape(made)}</span></p>',
    ]
    if report.is_empty:
        parts.append(_p(t.gettext("No call-outs were recorded in {year}.").format(
            year=report.year)))
    if report.running:
        parts.append(_p(t.ngettext(
            "{count} call-out was still running when this report was made and is not counted.",
            "{count} call-outs were still running when this report was made and are not "
            "counted.", report.running).format(count=report.running)))
    parts.append(_h2(t.gettext("Key figures")))
    parts.append(_table([t.gettext("Figure"), t.gettext("Value")], _key_rows(report, t)))
    if report.interventions.count:
        parts += _figures_sections(report, report.interventions, settings, t)
    parts += _debrief_section(report.debriefs, settings, t)
    parts += _exercise_section(report, settings, t)
    parts += _training_section(report, settings, t)
    parts.append(_h2(t.gettext("How the figures are counted")) + "<ul>")
    for note in (
        t.gettext("An intervention is a call-out that was closed; cancelled call-outs and "
                  "exercises are counted separately."),
        t.gettext("Answers are counted per person asked: Yes, No, or no answer at all."),
        t.gettext("Time to staffed runs from the call-out to the moment the team was complete. "
                  "The 90th percentile is the time within which nine in ten interventions "
                  "were staffed."),
        t.gettext("Volunteer hours run from each confirmed support person's Yes to the close "
                  "of the intervention."),
        t.gettext("People supported per intervention are the highest number reported by its "
                  "team, since both support persons meet the same people."),
        t.gettext("Debrief figures count the questionnaires the support persons finished after "
                  "an intervention; one still in progress is not counted yet."),
        t.gettext("Welfare follow-ups count every time the leaders were asked to get in touch "
                  "with a support person, after the questionnaire or the check-in weeks later."),
        t.gettext("Trainings count the training days and meetings held in the year (one for "
                  "everyone counts for every municipality) and the members marked as there. A "
                  "support person is trained once the introduction course is done (and, when "
                  "the organisation asks for it, a training is recent enough), as at the end "
                  "of the year."),
    ):
        parts.append(f"<li>{html.escape(note)}</li>")
    parts.append("</ul></body></html>")
    return "\n".join(part for part in parts if part)


# -- CSV ---------------------------------------------------------------------------------------

def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _seconds(value: timedelta | None) -> str:
    return "" if value is None else str(int(value.total_seconds()))


def _figure_rows(figures: Figures) -> list[tuple[str, object]]:
    return [
        ("count", figures.count),
        ("staffed", figures.staffed),
        ("time_to_staffed_median_s", _seconds(figures.time_to_staffed_median)),
        ("time_to_staffed_p90_s", _seconds(figures.time_to_staffed_p90)),
        ("answers_yes", figures.answers.yes),
        ("answers_no", figures.answers.no),
        ("answers_silent", figures.answers.silent),
        ("volunteers_sent", figures.volunteer_missions),
        ("volunteer_hours", figures.volunteer_hours),
    ]


def csv_tables(report: AnnualReport) -> dict[str, str]:
    """One CSV per table of the report, with stable English column keys."""
    figures = report.interventions
    summary = [("year", report.year), *_figure_rows(figures),
               ("cancelled", report.cancelled), ("exercises", report.exercises.count),
               ("running", report.running)]
    tables = {
        "summary": _csv(("key", "value"), summary),
        "by_kind": _csv(("kind", "interventions"), list(figures.by_kind.items())),
        "by_area": _csv(("area", "interventions"), list(figures.by_area.items())),
        "by_month": _csv(("month", "interventions"),
                         [(f"{report.year}-{index + 1:02d}", count)
                          for index, count in enumerate(figures.by_month)]),
        "answers": _csv(("answer", "people"), [("yes", figures.answers.yes),
                                               ("no", figures.answers.no),
                                               ("silent", figures.answers.silent)]),
        "exercises": _csv(("key", "value"), _figure_rows(report.exercises)),
    }
    debriefs = report.debriefs
    rows: list[tuple[str, object]] = [
        ("answers", debriefs.answers),
        ("interventions_with_answers", debriefs.interventions_with_answers),
        ("reported_hours", "" if debriefs.reported_hours is None else debriefs.reported_hours),
        ("affected", debriefs.affected), ("witnesses", debriefs.witnesses),
        ("people_supported", debriefs.people_supported),
        ("referral_interventions", debriefs.referral_interventions),
        ("support_talks", debriefs.support_talks),
        ("low_wellbeing", debriefs.low_wellbeing),
        ("wellbeing_mean", "" if debriefs.wellbeing_mean is None else debriefs.wellbeing_mean),
        ("welfare_followups", debriefs.welfare_followups)]
    rows += [(f"support_{key}", count) for key, count in debriefs.support_kinds.items()]
    rows += [(f"referral_{key}", count) for key, count in debriefs.referrals.items()]
    tables["debriefs"] = _csv(("key", "value"), rows)
    training = report.training
    if training is not None:
        tables["training"] = _csv(("key", "value"), [
            *((f"held_{kind}", count) for kind, count in training.held.items()),
            ("attendances", training.attendances), ("members", training.members),
            ("trained", training.trained)])
        tables["training_by_area"] = _csv(
            ("area", "trainings", "attendances", "members", "trained"),
            [(key, area.trainings, area.attendances, area.members, area.trained)
             for key, area in training.by_area.items()])
    return tables


# -- chat --------------------------------------------------------------------------------------

def key_figures_text(report: AnnualReport, t: Translator) -> str:
    """The key figures as a short chat message."""
    lines = [t.gettext("Annual report {year} – {organisation}").format(
        year=report.year, organisation=report.organisation)]
    if report.is_empty:
        lines.append(t.gettext("No call-outs were recorded in {year}.").format(year=report.year))
    lines += [f"• {label}: {value}" for label, value in _key_rows(report, t)]
    if report.debriefs.answers == 0:
        lines.append(t.gettext("No debrief answers yet."))
    lines.append(t.gettext("The full report with charts is in the attached file."))
    return "\n".join(lines)
