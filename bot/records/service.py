"""Builds the annual report for the CLI and /report: reads the year, computes, renders.

Rendering (matplotlib) is CPU work of a second or so: from the bot it runs in a worker thread
(`asyncio.to_thread`) so answers to call-outs are never held up by a report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from bot.config import Settings
from bot.i18n import translator
from bot.records.certificate import (
    Certificate,
    compute_certificate,
    summary_text,
)
from bot.records.certificate import render_html as render_certificate
from bot.records.report import AnnualReport, compute_report
from bot.records.report_html import csv_tables, key_figures_text, render_html
from bot.training.rules import TrainingFigures, training_figures
from storage.audit import append_audit
from storage.certificates import AssignmentFacts, CertificateReads
from storage.clock import Clock
from storage.database import Database
from storage.debrief_stats import debrief_rows, welfare_alerts
from storage.models import Member
from storage.reports import ReportReads
from storage.shifts import ShiftReads
from storage.training import TrainingReads

__all__ = ["FIRST_YEAR", "CertificateFiles", "CertificateService", "ReportFiles",
           "ReportService", "valid_year"]

FIRST_YEAR = 2000


def valid_year(text: str, current: int) -> int | None:
    """A report year from text (2000 .. next year), else None."""
    if not text.isdecimal() or len(text) != 4:  # isdigit() lets "²" through to int()
        return None
    year = int(text)
    return year if FIRST_YEAR <= year <= current + 1 else None


@dataclass(frozen=True, slots=True)
class ReportFiles:
    report: AnnualReport
    html: str
    tables: dict[str, str]  # name -> CSV text
    text: str  # key figures for chat


class ReportService:
    """The year's figures and their renderings in one language."""

    def __init__(self, settings: Settings, database: Database, clock: Clock) -> None:
        self.settings = settings
        self.reads = ReportReads(database)
        self.db = database
        self.clock = clock

    def current_year(self) -> int:
        """This year in the organisation's time zone."""
        return self.clock().astimezone(self.settings.organisation.tz).year

    async def compute(self, year: int) -> AnnualReport:
        """The year's figures (an empty year gives an empty report, not an error)."""
        # Shifts worked at a support centre count their hours like confirmed volunteers.
        requests = await self.reads.requests(year) + await ShiftReads(self.db).report_facts(year)
        report = compute_report(self.settings, year, await self.reads.activations(year),
                                requests,
                                await debrief_rows(self.db, year), self.clock(),
                                welfare_alerts=await welfare_alerts(self.db, year))
        return replace(report, training=await self._training(year))

    async def _training(self, year: int) -> TrainingFigures:
        """The year's trainings, attendance and trained support persons (at the year's end,
        or now for the current year)."""
        tz = self.settings.organisation.tz
        start = datetime(year, 1, 1, tzinfo=tz)
        end = datetime(year + 1, 1, 1, tzinfo=tz)
        reads = TrainingReads(self.db)
        return training_figures(
            self.settings.area_keys, await reads.between(start, end),
            await reads.year_attendance(start, end), await reads.active_members(),
            await reads.facts(), timezone=tz, as_of=min(self.clock(), end),
            refresh_within=self.settings.training.refresh_within)

    async def build(self, year: int, locale: str) -> ReportFiles:
        """The report as HTML, CSV tables and chat text; charts drawn in a worker thread."""
        report = await self.compute(year)
        t = translator(locale, self.settings.organisation.timezone)
        html = await asyncio.to_thread(render_html, report, self.settings, t)
        return ReportFiles(report, html, csv_tables(report), key_figures_text(report, t))


@dataclass(frozen=True, slots=True)
class CertificateFiles:
    certificate: Certificate
    text: str  # for chat
    html: str | None  # the page for the employer; None when there is nothing to certify


class CertificateService:
    """/intyg: a member's certificate of hours for a year, in one language."""

    def __init__(self, settings: Settings, database: Database, clock: Clock) -> None:
        self.settings = settings
        self.db = database
        self.reads = CertificateReads(database)
        self.clock = clock
        # More rows a certificate counts (e.g. shifts at a support centre), by member and year.
        self.sources: list[Callable[[int, int], Awaitable[list[AssignmentFacts]]]] = []

    async def build(self, member: Member, year: int, locale: str, *,
                    issued_by: Member) -> CertificateFiles:
        """The certificate of `member` for `year`; a leader's certificate for someone else is
        written to the audit log."""
        now = self.clock()
        assignments = await self.reads.assignments(member.id, year)
        for source in self.sources:
            assignments += await source(member.id, year)
        certificate = compute_certificate(self.settings, member.name, year, assignments, now)
        if issued_by.id != member.id:
            async with self.db.transaction() as tx:
                await append_audit(tx, now, f"member:{issued_by.id}", "certificate.issued",
                                   member_id=member.id, year=year)
        t = translator(locale, self.settings.organisation.timezone)
        html = render_certificate(certificate, t) if certificate.lines else None
        return CertificateFiles(certificate, summary_text(certificate, t), html)
