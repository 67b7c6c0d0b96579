"""The result table of `posom bench` and which targets of DESIGN §9 it meets."""


from __future__ import annotations

import contextlib
import math
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.bench.common import (
    ANSWERS_TARGET,
    FLOOD_LIMIT,
    LATENCY_TARGET_S,
    MEMORY_TARGET_MB,
    NEEDED,
    STARTUP_TARGET_S,
    Options,
    paced_rate,
)
from sandbox.bench.hosts import machine_busy, own_cpu

# ----------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------


def percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def _ms(values: list[float]) -> str:
    return "/".join(f"{percentile(values, p) * 1000:.0f}" for p in (50, 95, 99)) + " ms"


def _ratio(bot: float, floor: float) -> str:
    return f"×{bot / floor:.2f}" if floor > 0 else "×–"


def _cells(results: dict, sizes: list[int], cell: Callable[[dict, int], str]) -> str:
    parts = []
    for size in sizes:
        try:
            parts.append(cell(results[size], size))
        except KeyError:
            parts.append("–")
    return " | ".join(parts)


def _table(results: dict, sizes: list[int]) -> list[str]:
    def fan_on(r: dict, n: int) -> str:
        f = r["fanout_on"]
        return (f"{f['seconds']:.2f} s (floor {f['floor_seconds']:.2f} s, "
                f"{_ratio(f['seconds'], f['floor_seconds'])}); limit {n / 28 + 1:.2f} s; "
                f"429: {f['flood_429s']} (floor {f['floor_429s']})")

    def fan_off(r: dict, n: int) -> str:
        f = r["fanout_off"]
        return (f"{f['seconds']:.2f} s = {f['seconds'] / n * 1000:.2f} ms/msg "
                f"(floor {f['floor_seconds'] / n * 1000:.2f} ms/msg, "
                f"{_ratio(f['seconds'], f['floor_seconds'])}; bare httpx "
                f"{f['httpx_floor_seconds'] / n * 1000:.2f} ms/msg)")

    def fan_cpu(r: dict, n: int) -> str:
        f = r["fanout_off"]
        return (f"{f['cpu_per_message_ms']:.2f} ms/msg (floor client "
                f"{f['floor_cpu_per_message_ms']:.2f} ms/msg, "
                f"{_ratio(f['cpu_per_message_ms'], f['floor_cpu_per_message_ms'])}; bare httpx "
                f"{f['httpx_floor_cpu_per_message_ms']:.2f} ms/msg)")

    def latency(name: str) -> Callable[[dict, int], str]:
        def cell(r: dict, n: int) -> str:
            f = r["latency"][name]
            return (f"{_ms(f['commit'])} (floor {_ms(f['floor'])}; "
                    f"p95 {_ratio(percentile(f['commit'], 95), percentile(f['floor'], 95))})")
        return cell

    def latency_more(r: dict, n: int) -> str:
        f = r["latency"]
        return (f"press → briefings p95 {percentile(f['alone']['press'], 95) * 1000:.0f} / "
                f"{percentile(f['during']['press'], 95) * 1000:.0f} ms; commit → location pins "
                f"p95 {percentile(f['alone']['pins'], 95) * 1000:.0f} / "
                f"{percentile(f['during']['pins'], 95) * 1000:.0f} ms; background fan-out "
                f"{f['background']:,} people, re-sent {f['background_fanouts']}×, "
                f"{f['during']['overlapping']}/{len(f['during']['commit'])} runs inside one")

    def answers(r: dict, n: int) -> str:
        f = r["capacity"]
        return (f"{f['rate']:,.0f}/s (floor {f['floor_rate']:,.0f}/s, "
                f"{_ratio(f['floor_rate'], f['rate'])} slower; bare httpx "
                f"{f['httpx_floor_rate']:,.0f}/s); to last toast {f['toast_rate']:,.0f}/s")

    def answers_cpu(r: dict, n: int) -> str:
        f = r["capacity"]
        return (f"{f['cpu_per_answer_ms']:.2f} ms (floor client "
                f"{f['floor_cpu_per_answer_ms']:.2f} ms, "
                f"{_ratio(f['cpu_per_answer_ms'], f['floor_cpu_per_answer_ms'])}; bare httpx "
                f"{f['httpx_floor_cpu_per_answer_ms']:.2f} ms)")

    def answers_check(r: dict, n: int) -> str:
        f = r["capacity"]
        states = ", ".join(f"{k} {v:,}" for k, v in sorted(f["states"]["requests"].items()))
        return (f"{f['answers']:,} answers of {f['presses']:,} presses, {f['changed']:,} "
                f"changed state; rows: {states}; most confirmed on one call-out "
                f"{f['states']['most_confirmed']} (needed {f['states']['needed']}); "
                f"toasts too late: {f['late_toasts']:,}")

    def startup(r: dict, n: int) -> str:
        f = r["capacity"]
        starts = f["startup"]
        runtime = statistics.median(s["start_s"] for s in starts)
        process = statistics.median(s["process_s"] for s in starts)
        deadlines = starts[-1]["deadlines_pending"]
        jobs = starts[-1]["deadline_jobs"]
        armed = ("no deadlines table yet" if deadlines is None else
                 f"{deadlines} deadlines pending, {jobs} armed")
        return (f"{runtime:.2f} s in BotRuntime.start, {process:.2f} s from process spawn "
                f"(floor {f['floor_startup']['process_s']:.2f} s); {armed}")

    def memory(r: dict, n: int) -> str:
        f = r["capacity"]
        return (f"peak {f['peak_mb']:.0f} MB, after start-up "
                f"{f['startup'][-1]['rss_mb']:.0f} MB, at the end {f['rss_mb']:.0f} MB "
                f"(floor client {f['floor_startup']['rss_mb']:.0f} MB)")

    def other_peaks(r: dict, n: int) -> str:
        peaks = [f"{name} {r[key]['bot_peak_mb']:.0f} MB" for key, name in
                 (("fanout_on", "fan-out on"), ("fanout_off", "fan-out off"),
                  ("latency", "latency")) if key in r]
        if "capacity" in r:
            peaks.append(f"capacity set-up {r['capacity']['setup_peak_mb']:.0f} MB")
        return ", ".join(peaks) or "–"

    header = " | ".join(f"{size:,} volunteers" for size in sizes)
    lines = [f"| measurement (target) | {header} |",
             "|---|" + "---|" * len(sizes)]
    rows = [
        ("Fan-out, pacing on: [Send call-out] → last request accepted (≤ N/28 s + 1 s, no 429)",
         fan_on),
        ("Fan-out, pacing off: same, wall time per message", fan_off),
        ("Fan-out, pacing off: the bot's CPU per message", fan_cpu),
        ("Commit of the last needed Yes → both briefings accepted, alone: p50/p95/p99 "
         "(p95 < 1 s)", latency("alone")),
        ("… while a fan-out is going out (p95 < 1 s)", latency("during")),
        ("… more about those runs (alone / during)", latency_more),
        ("Answers committed per second, all volunteers at once over the open call-outs "
         "(≥ 500/s)", answers),
        ("… CPU per answer", answers_cpu),
        ("… what the answers did", answers_check),
        ("Start-up with N members and the open call-outs, deadlines re-armed (< 5 s); median",
         startup),
        ("Bot memory (RSS) with N members and the open call-outs (< 120 MB)", memory),
        ("Bot peak RSS in the other scenarios", other_peaks),
    ]
    for title, cell in rows:
        lines.append(f"| {title} | {_cells(results, sizes, cell)} |")
    return lines


def _verdicts(results: dict, sizes: list[int]) -> list[str]:
    lines = []
    for size in sizes:
        r = results[size]
        checks = []
        if "fanout_on" in r:
            f = r["fanout_on"]
            limit = size / 28 + 1
            checks.append(("fan-out within N/28 s + 1 s and no 429",
                           f["seconds"] <= limit and f["flood_429s"] == 0,
                           f"{f['seconds']:.2f} s vs {limit:.2f} s, {f['flood_429s']} × 429"))
        if "latency" in r:
            for name in ("alone", "during"):
                p95 = percentile(r["latency"][name]["commit"], 95)
                checks.append((f"briefings p95 < 1 s ({name})", p95 < LATENCY_TARGET_S,
                               f"{p95 * 1000:.0f} ms"))
        if "capacity" in r:
            f = r["capacity"]
            checks.append(("≥ 500 answers/s", f["rate"] >= ANSWERS_TARGET,
                           f"{f['rate']:.0f}/s"))
            starts = f["startup"]
            slowest = max(s["process_s"] for s in starts)
            checks.append(("start-up < 5 s (from process spawn, slowest)",
                           slowest < STARTUP_TARGET_S, f"{slowest:.2f} s"))
            steady = f["startup"][-1]["rss_mb"]
            checks.append(("RSS < 120 MB, steady after start-up", steady < MEMORY_TARGET_MB,
                           f"{steady:.0f} MB"))
            checks.append(("RSS < 120 MB, peak over start-up and the answer storm",
                           f["peak_mb"] < MEMORY_TARGET_MB, f"{f['peak_mb']:.0f} MB"))
            checks.append(("never more than needed confirmed",
                           f["states"]["most_confirmed"] <= NEEDED,
                           f"{f['states']['most_confirmed']}"))
        for name, met, figure in checks:
            lines.append(f"- {size:,}: {name}: **{'met' if met else 'MISSED'}** ({figure})")
    return lines


@dataclass
class Load:
    """How busy the machine was with other work while the bench ran."""

    began: float = field(default_factory=time.monotonic)
    busy: float = field(default_factory=machine_busy)
    own: float = field(default_factory=own_cpu)
    loadavg: float = field(default_factory=lambda: os.getloadavg()[0])

    def describe(self) -> str:
        elapsed = time.monotonic() - self.began
        others = (machine_busy() - self.busy - (own_cpu() - self.own)) / elapsed
        return (f"other processes used {max(others, 0):.2f} of the {os.cpu_count()} cores on "
                f"average during the run (1-min load average {self.loadavg:.2f} at the start, "
                f"{os.getloadavg()[0]:.2f} at the end)")


def _environment(options: Options, load: Load) -> list[str]:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = "unknown"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        root = Path(__file__).resolve().parent.parent
        commit = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"],
                                capture_output=True, text=True, timeout=10).stdout.strip() \
            or commit
    return [f"- machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}",
            f"- code: {commit}; pacing on = {paced_rate():g} messages/s (the configured "
            f"default), the fake answers 429 above {FLOOD_LIMIT} in any second",
            f"- escalation ladder: {'production defaults' if options.escalation else 'off'}; "
            f"latency runs: {options.runs} per condition; open call-outs: "
            f"{options.activations}; start-ups: {options.startups}",
            f"- machine load: {load.describe()}"]


def render_report(results: dict, options: Options, command: str, load: Load) -> str:
    sizes = [size for size in options.sizes if size in results]
    elapsed = time.monotonic() - load.began
    lines = ["## Results", "", f"Command: `{command}` ({elapsed / 60:.1f} min)", "",
             *_environment(options, load), "", *_table(results, sizes), "", "## Targets", "",
             *_verdicts(results, sizes), ""]
    return "\n".join(lines)


