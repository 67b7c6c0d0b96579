"""`posom bench`'s entry point: reads the options, runs the scenarios, writes the report."""


from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sandbox.bench.common import Options
from sandbox.bench.hosts import Child
from sandbox.bench.report import Load, render_report
from sandbox.bench.scenarios import capacity, fanout, latency, say

# ----------------------------------------------------------------------------------------------
# Entry points
# ----------------------------------------------------------------------------------------------

PARTS = ("fanout", "latency", "capacity")


@contextlib.contextmanager
def _referee_without_pauses() -> Iterator[None]:
    """Keeps this process's garbage collector still during a scenario.

    This process is the fake Telegram, the referee that stamps each call and answers 429 above 30
    in any second. With 15,000 people its heap is large, and a full collection stops it for tens
    of milliseconds; the calls that queue up meanwhile are then stamped together, and the fake
    could answer 429 for its own pause. Telegram has no such pauses, so the referee must not
    either. (The bot's and the floor's processes keep their collectors as they are.)
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


async def _bench(options: Options) -> dict:
    results: dict[int, dict] = {}
    for size in options.sizes:
        say(f"# {size:,} volunteers")
        results[size] = current = {}
        floor = await Child.spawn("floor-host", f"floor-{size}", options.workdir)
        try:
            if "fanout" in options.parts:
                say("## Fan-out")
                with _referee_without_pauses():
                    current["fanout_on"] = await fanout(options, floor, size, paced=True)
                with _referee_without_pauses():
                    current["fanout_off"] = await fanout(options, floor, size, paced=False)
            if "latency" in options.parts:
                say("## Briefing latency")
                with _referee_without_pauses():
                    current["latency"] = await latency(options, floor, size)
            if "capacity" in options.parts:
                say("## Answers, start-up and memory")
                with _referee_without_pauses():
                    current["capacity"] = await capacity(options, floor, size)
        finally:
            await floor.close()
    return results


def run_bench(args: Any) -> int:
    """`posom bench`: runs the scenarios, prints the table, optionally writes it to a file."""
    quick = bool(args.quick)
    try:
        sizes = [int(part) for part in
                 (args.sizes or ("40" if quick else "55,1000,15000")).split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 2:
        print("posom: --sizes: give roster sizes of at least 2, e.g. 55,1000", file=sys.stderr)
        return 2
    parts = set((args.parts or ",".join(PARTS)).split(","))
    if not parts <= set(PARTS):
        print(f"posom: --parts: choose from {', '.join(PARTS)}", file=sys.stderr)
        return 2
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="posom-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    options = Options(
        sizes=sizes, runs=args.runs or (3 if quick else 100),
        activations=args.activations or (5 if quick else 50),
        startups=args.startups or (1 if quick else 3), parts=parts,
        escalation=not args.no_escalation, workdir=workdir)
    command = "posom " + " ".join(sys.argv[1:]) if sys.argv[1:] else "posom bench"
    load = Load()
    try:
        results = asyncio.run(_bench(options))
    except (RuntimeError, TimeoutError, AssertionError) as error:
        # A scenario that stalls (e.g. a dialogue step the driver does not know) says what and
        # where the bot's logs are, instead of a traceback.
        print(f"posom bench: {type(error).__name__}: {error} (work files and bot logs in "
              f"{workdir})", file=sys.stderr)
        return 1
    report = render_report(results, options, command, load)
    print()
    print(report)
    if args.output:
        Path(args.output).write_text(report, encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


