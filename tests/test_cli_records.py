"""`posom report`, `audit export`, `archive export`, `roster remove` and `backup` as an operator
runs them, on real database files."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from storage.clock import to_db
from storage.database import Database
from tests.seeded_year import PLAN, TZ, YEAR, seeded_core
from tests.test_cli import posom


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"""
[organisation]
name = "POSOM Test"
[[areas]]
key = "karlstad"
name = "Karlstad"
[[areas]]
key = "kil"
name = "Kil"
[[areas]]
key = "hammaro"
name = "Hammarö"
[storage]
path = "{tmp_path / 'posom.db'}"
""", encoding="utf-8")
    return path


@pytest.fixture
async def seeded_file(tmp_path: Path) -> Path:
    services, _, _, _ = await seeded_core(tmp_path)
    await services.stop()
    await services.database.close()
    return write_config(tmp_path)


def one_line_error(code: int, err: str) -> None:
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err


async def test_report_writes_html_and_a_csv_per_table(seeded_file, tmp_path) -> None:
    out = tmp_path / "rapport"
    code, stdout, err = await posom("report", "--year", str(YEAR), "--out", str(out),
                                    "--lang", "en", "--config", str(seeded_file))
    assert code == 0, err
    assert "• Interventions: 15" in stdout and "• Exercises: 3" in stdout
    names = sorted(path.name for path in out.iterdir())
    assert names == [f"report-{YEAR}-{table}.csv" for table in sorted(
        ["answers", "by_area", "by_kind", "by_month", "debriefs", "exercises", "summary",
         "training", "training_by_area"])] + [
        f"report-{YEAR}.html"]
    html = (out / f"report-{YEAR}.html").read_text(encoding="utf-8")
    assert "Annual report 2025" in html and html.count("<svg") == 4
    summary = dict(csv.reader(io.StringIO((out / f"report-{YEAR}-summary.csv").read_text())))
    assert summary["count"] == "15" and summary["exercises"] == "3"
    # The default language is the organisation's (Swedish).
    code, stdout, _ = await posom("report", "--year", "2019", "--out", str(out), "--config",
                                  str(seeded_file))
    assert code == 0 and "Inga larm registrerades 2019." in stdout


@pytest.mark.parametrize("year", ["20x5", "1999", "3000"])
async def test_report_refuses_a_bad_year_in_one_line(seeded_file, year) -> None:
    code, _, err = await posom("report", "--year", year, "--config", str(seeded_file))
    one_line_error(code, err)
    assert f"--year: {year!r} is not a year" in err


async def test_bad_input_is_one_line_with_exit_code_2(seeded_file, tmp_path) -> None:
    for args in (["report"], ["audit", "export"], ["archive"], ["backup"],
                 ["roster", "remove"]):
        code, _, err = await posom(*args, "--config", str(seeded_file))
        one_line_error(code, err)
    (tmp_path / "elsewhere").mkdir()
    missing = write_config(tmp_path / "elsewhere")
    code, _, err = await posom("audit", "export", "--year", "2025", "--config", str(missing))
    one_line_error(code, err)
    assert "no database there" in err


async def test_audit_export_is_the_years_log_as_csv(seeded_file, tmp_path) -> None:
    target = tmp_path / "audit.csv"
    code, stdout, err = await posom("audit", "export", "--year", str(YEAR), "--out", str(target),
                                    "--config", str(seeded_file))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    start = to_db(datetime(YEAR, 1, 1, tzinfo=TZ))
    end = to_db(datetime(YEAR + 1, 1, 1, tzinfo=TZ))
    with sqlite3.connect(tmp_path / "posom.db") as connection:
        expected = connection.execute("SELECT count(*) FROM audit_log WHERE at >= ? AND at < ?",
                                      (start, end)).fetchone()[0]
    assert len(rows) == expected and f"({expected} audit rows of {YEAR})" in stdout
    assert all(start <= row["at_utc"] < end for row in rows)
    assert rows[0]["activation_code"] == "2025-001" and rows[0]["event"] == "activation.issued"
    assert json.loads(rows[0]["detail"])["asked"] == 5
    assert not any(row["activation_code"].startswith("2024") for row in rows)


async def test_archive_export_holds_everything_before_the_purge(seeded_file, tmp_path) -> None:
    target = tmp_path / "arkiv" / "2025.json"
    code, _, err = await posom("archive", "export", "--year", str(YEAR), "--out", str(target),
                               "--config", str(seeded_file))
    assert code == 0, err
    archive = json.loads(target.read_text(encoding="utf-8"))
    assert len(archive["activations"]) == len([p for p in PLAN if p.local.year == YEAR])
    assert archive["activations"][0]["briefing"].startswith("Hemligt: Villagatan 1,")
    assert {row["member_name"] for row in archive["requests"]} >= {"Karlstad Stödperson 0"}
    # Every intervention's questionnaires (a debrief and a check-in per volunteer who went, none
    # after exercises), planned and not answered yet.
    went = sum(min(sum(1 for _, answer, _ in p.answers if answer == "y"), 2) for p in PLAN
               if p.local.year == YEAR and p.end == "close" and not p.exercise)
    assert sorted(row["kind"] for row in archive["debriefs"]) == ["debrief"] * went + [
        "followup"] * went
    assert all(row["answers"] == [] for row in archive["debriefs"])
    with sqlite3.connect(tmp_path / "posom.db") as connection:
        event = connection.execute("SELECT actor, event, detail FROM audit_log"
                                   " ORDER BY id DESC LIMIT 1").fetchone()
    assert event[:2] == ("cli", "archive.exported") and json.loads(event[2])["year"] == YEAR


async def test_roster_remove_erases_by_phone_or_id(seeded_file, tmp_path) -> None:
    code, stdout, err = await posom("roster", "remove", "070-000 01 00", "--config",
                                    str(seeded_file))
    assert code == 0, err
    with sqlite3.connect(tmp_path / "posom.db") as connection:
        row = connection.execute("SELECT id, name, phone, status FROM members"
                                 " WHERE name LIKE 'Raderad %'").fetchone()
        linked = connection.execute("SELECT count(*) FROM member_addresses WHERE member_id = ?",
                                    (row[0],)).fetchone()[0]
    assert row[1:] == (f"Raderad {row[0]}", None, "removed") and linked == 0
    assert f"member {row[0]}" in stdout
    code, _, err = await posom("roster", "remove", str(row[0]), "--config", str(seeded_file))
    one_line_error(code, err)
    code, _, err = await posom("roster", "remove", "1", "--config", str(seeded_file))
    one_line_error(code, err)
    assert "last active leader" in err
    code, _, err = await posom("roster", "remove", "nobody", "--config", str(seeded_file))
    one_line_error(code, err)


async def test_backup_is_consistent_while_the_bot_writes(seeded_file, tmp_path) -> None:
    database = await Database.open(tmp_path / "posom.db")  # the running bot's connection
    try:
        committed = (await database.fetch_one("SELECT count(*) FROM audit_log"))[0]
        async with database.transaction() as tx:
            # A write in progress while the backup runs: not committed, so not in the copy.
            await tx.execute("INSERT INTO audit_log (at, actor, event) VALUES"
                             " ('2026-01-01T00:00:00.000000Z', 'test', 'uncommitted')")
            code, stdout, err = await posom("backup", str(tmp_path / "copy.db"), "--config",
                                            str(seeded_file))
        assert code == 0, err
        latest = await database.schema_version()
        assert "integrity ok" in stdout and f"schema version {latest}" in stdout
    finally:
        await database.close()
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT count(*) FROM audit_log").fetchone()[0] == committed
        assert copy.execute("SELECT count(*) FROM activations").fetchone()[0] == len(PLAN)
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not (tmp_path / "copy.db-wal").exists()  # one self-contained file
    code, _, err = await posom("backup", str(tmp_path / "copy.db"), "--config", str(seeded_file))
    one_line_error(code, err)
    assert "already exists" in err
    code, stdout, err = await posom("backup", str(tmp_path), "--config", str(seeded_file))
    assert code == 0 and "posom-" in stdout, err
