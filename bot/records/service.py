"""Builds the annual report for the CLI and /report: reads the year, computes, renders.

Rendering (matplotlib) is CPU work of a second or so: from the bot it runs in a worker thread
(`asyncio.to_thread`) so answers to call-outs are never held up by a report.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.config import Settings
from bot.i18n import translator
from bot.records.report import AnnualReport, compute_report
from bot.records.report_html import csv_tables, key_figures_text, render_html
from storage.clock import Clock
from storage.database import Database
from storage.debrief_stats import debrief_rows, welfare_alerts
from storage.reports import ReportReads

__all__ = ["FIRST_YEAR", "ReportFiles", "ReportService", "valid_year"]

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
        return compute_report(self.settings, year, await self.reads.activations(year),
                              await self.reads.requests(year),
                              await debrief_rows(self.db, year), self.clock(),
                              welfare_alerts=await welfare_alerts(self.db, year))

    async def build(self, year: int, locale: str) -> ReportFiles:
        """The report as HTML, CSV tables and chat text; charts drawn in a worker thread."""
        report = await self.compute(year)
        t = translator(locale, self.settings.organisation.timezone)
        html = await asyncio.to_thread(render_html, report, self.settings, t)
        return ReportFiles(report, html, csv_tables(report), key_figures_text(report, t))
