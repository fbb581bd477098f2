"""Run the benchmark: every system at every size, several times; medians into a table and JSON."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from decimal import Decimal
import gc
import json
import os
from pathlib import Path
import platform
import statistics
import sys
import time
from typing import Any

from . import pools as pool_scenarios, report
from .harness import (
    ERRORS,
    REPO,
    Meters,
    SimProcess,
    Watchdog,
    flush_storage,
    home_assistant,
    quiet_logging,
    traced_growth,
)
from .systems import Ours, Rest, System, Trivial

RESULTS = REPO / "benchmarks" / "results"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument(
        "--sizes", default="1,100,1000", help="numbers per account (default 1,100,1000)"
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per system below 1,000 numbers")
    parser.add_argument(
        "--runs-large", type=int, default=3, help="runs per system at ≥1,000 numbers"
    )
    parser.add_argument(
        "--polls", type=int, default=3, help="unchanged + 1%%-changed poll pairs per run"
    )
    parser.add_argument("--systems", default="ours,trivial,rest", help="which systems (ours first)")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument(
        "--pools",
        type=int,
        default=1000,
        help="numbers arriving at once in the keep-all and import scenarios (0: skip them)",
    )
    parser.add_argument(
        "--out", type=Path, help="JSON file (default benchmarks/results/bench-<time>.json)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # one run, in a process of its own
    return parser.parse_args(argv)


def changed_count(n: int) -> int:
    """1 % of the numbers, at least one."""
    return max(1, round(n / 100))


class Balances:
    """The simulator's balances, moved by a cent-exact dollar for the numbers a poll changes."""

    def __init__(self, lines: list[dict[str, Any]]) -> None:
        self.lines = lines
        self.balance = {line["id"]: Decimal(line["balance"]) for line in lines}
        self.turn = 0

    async def change(self, sim: SimProcess) -> list[str]:
        k = changed_count(len(self.lines))
        start = (self.turn * k) % len(self.lines)
        self.turn += 1
        ids = [self.lines[(start + j) % len(self.lines)]["id"] for j in range(k)]
        for line_id in ids:
            self.balance[line_id] += 1
            await sim.set_balance(line_id, str(self.balance[line_id]))
        return ids


async def run_once(
    system: System,
    sim: SimProcess,
    lines: list[dict[str, Any]],
    balances: Balances,
    polls: int,
    memory: bool = False,
) -> dict[str, Any]:
    """One fresh Home Assistant: set the system up, then ``polls`` unchanged/changed poll pairs."""
    errors_before = len(ERRORS.records)
    async with home_assistant() as hass:
        watchdog = Watchdog()
        watchdog.start()
        meters = Meters(hass, sim, watchdog)
        await system.prepare(hass, sim, lines)
        out: dict[str, Any] = {}
        if memory:
            holder: dict[str, Any] = {}

            async def setup() -> None:
                holder["handle"] = await system.setup(hass, sim, lines)

            out["memory_bytes"] = await traced_growth(setup)
            handle = holder["handle"]
        else:
            async with meters.window() as setup_window:
                handle = await system.setup(hass, sim, lines)
            out["setup"] = setup_window.to_json()
            await flush_storage(hass)
            out["unchanged"], out["changed"] = [], []
            if system.name != "trivial":
                for _ in range(polls):
                    async with meters.window() as window:
                        await handle.poll()
                    out["unchanged"].append(window.to_json())
                    await balances.change(sim)
                    async with meters.window() as window:
                        await handle.poll()
                    out["changed"].append(window.to_json())
        entity_ids, out["registry_entities"] = handle.count(hass)
        out["entities"] = len(entity_ids)
        await watchdog.stop()
    out["errors"] = ERRORS.records[errors_before:]
    gc.collect()
    return out


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarize(n: int, runs: list[dict[str, Any]], memory: int | None) -> dict[str, Any]:
    timed = [r for r in runs if "setup" in r]
    summary: dict[str, Any] = {
        "runs": len(timed),
        "entities": timed[0]["entities"],
        "registry_entities": timed[0]["registry_entities"],
        "setup_wall_ms": _median([r["setup"]["wall_ms"] for r in timed]),
        "setup_cpu_ms": _median([r["setup"]["cpu_ms"] for r in timed]),
        "setup_requests": _median([r["setup"]["requests"] for r in timed]),
        "setup_stall_ms": _median([r["setup"]["stall_ms"] for r in timed]),
        "setup_stall_max_ms": max(r["setup"]["stall_ms"] for r in timed),
        "setup_gc_pause_ms": _median([r["setup"]["gc_pause_ms"] for r in timed]),
        "setup_gc_pause_max_ms": max(r["setup"]["gc_pause_ms"] for r in timed),
        "setup_stall_outside_gc_ms": _median([r["setup"]["stall_outside_gc_ms"] for r in timed]),
        "setup_stall_outside_gc_max_ms": max(r["setup"]["stall_outside_gc_ms"] for r in timed),
        "memory_per_number_kib": None if memory is None else memory / n / 1024,
        "memory_bytes": memory,
        "errors": sum(len(r["errors"]) for r in runs),
        "first_errors": [e for r in runs for e in r["errors"]][:5],
    }
    for kind in ("unchanged", "changed"):
        windows = [w for r in timed for w in r[kind]]
        summary[f"polls_{kind}"] = len(windows)
        for key in (
            *("cpu_ms", "wall_ms", "requests", "writes", "changes"),
            *("stall_ms", "gc_pause_ms", "stall_outside_gc_ms"),
        ):
            summary[f"poll_{kind}_{key}"] = _median([w[key] for w in windows])
        for key in ("stall", "gc_pause", "stall_outside_gc"):
            summary[f"poll_{kind}_{key}_max_ms"] = max(
                (w[f"{key}_ms"] for w in windows), default=None
            )
        summary[f"poll_{kind}_writes_max"] = max((w["writes"] for w in windows), default=None)
        summary[f"poll_{kind}_writes_minus_changes_max"] = max(
            (w["writes"] - w["changes"] for w in windows), default=None
        )
    return summary


def _make(spec: dict[str, Any], warm_up: bool = False) -> System:
    """Return the system a worker runs; the trivial baseline mirrors eSIM Keeper's entity counts."""
    name = spec["system"]
    if name == "trivial":
        enabled, disabled = spec["enabled"], spec["disabled"]
        return Trivial(min(enabled, 1), min(disabled, 1)) if warm_up else Trivial(enabled, disabled)
    return {"ours": Ours, "rest": Rest}[name]()


async def pool_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One run of an issue-17 scenario (benchmarks/pools.py) in this process."""
    quiet_logging()
    sim = SimProcess()
    await sim.attach(spec["sim"])
    try:
        return await pool_scenarios.run_scenario(sim, spec["scenario"], spec["size"])
    finally:
        await sim.stop()


async def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One run in a fresh process: an unmeasured warm-up at one number, then the measured run.

    A process per run keeps runs independent: Home Assistant leaves each stopped instance
    reachable (per-thread and per-instance caches), and a later run's garbage-collector passes
    would walk all of them.
    """
    quiet_logging()
    sim = SimProcess()
    await sim.attach(spec["sim"])
    try:
        state = await sim.state()
        lines = [{"id": i, **v} for i, v in state["lines"].items()]
        # Imports every module and fills Home Assistant's caches, as a long-running one has them.
        await run_once(_make(spec, warm_up=True), sim, lines[:1], Balances(lines[:1]), polls=1)
        return await run_once(
            _make(spec), sim, lines, Balances(lines), spec["polls"], memory=spec["memory"]
        )
    finally:
        await sim.stop()


async def in_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Run ``worker(spec)`` in a new ``python -m benchmarks`` process; its result."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "benchmarks", "--worker", json.dumps(spec)),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark worker failed ({proc.returncode}): {spec}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    quiet_logging()
    sizes = [int(s) for s in args.sizes.split(",")]
    names = args.systems.split(",")
    sim = SimProcess()
    await sim.start()
    started = time.perf_counter()
    results: dict[str, Any] = {}
    pools: dict[str, Any] | None = None
    try:
        for n in sizes:
            await sim.reset(n)
            runs = args.runs_large if n >= 1000 else args.runs
            results[str(n)] = {}
            counts: dict[str, int] = {}
            for name in names:
                if name == "trivial" and not counts:
                    raise SystemExit("trivial needs ours first: --systems ours,trivial,...")
                spec = {"sim": sim.base_url, "system": name, "polls": args.polls, **counts}
                timed = []
                for r in range(runs):
                    t = time.perf_counter()
                    timed.append(await in_worker(spec | {"memory": False}))
                    print(
                        f"  N={n:<5} {name:<8} run {r + 1}/{runs}: "
                        f"setup {timed[-1]['setup']['wall_ms']:.0f} ms, "
                        f"{time.perf_counter() - t:.1f} s",
                        flush=True,
                    )
                memory = None
                if not args.no_memory:
                    memory = (await in_worker(spec | {"memory": True}))["memory_bytes"]
                summary = summarize(n, timed, memory)
                summary["raw"] = timed
                results[str(n)][name] = summary
                if name == "ours":
                    counts = {
                        "enabled": summary["entities"],
                        "disabled": summary["registry_entities"] - summary["entities"],
                    }
        if args.pools:
            pools = {"size": args.pools, "results": {}}
            for scenario in pool_scenarios.SCENARIOS:
                runs = []
                for r in range(args.runs_large):
                    t = time.perf_counter()
                    spec = {"sim": sim.base_url, "scenario": scenario, "size": args.pools}
                    runs.append(await in_worker(spec | {"pools": True}))
                    print(
                        f"  N={args.pools:<5} {scenario:<8} run {r + 1}/{args.runs_large}: "
                        f"{runs[-1]['wall_ms']:.0f} ms, {time.perf_counter() - t:.1f} s",
                        flush=True,
                    )
                pools["results"][scenario] = pool_scenarios.summarize(runs) | {"raw": runs}
    finally:
        await sim.stop()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "sizes": sizes,
            "runs": args.runs,
            "runs_large": args.runs_large,
            "polls": args.polls,
            "changed_per_poll": {str(n): changed_count(n) for n in sizes},
            "memory": not args.no_memory,
        },
        "duration_s": round(time.perf_counter() - started, 1),
        "results": results,
        **({"pools": pools} if pools else {}),
    }


def machine() -> dict[str, Any]:
    import homeassistant.const

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "home_assistant": homeassistant.const.__version__,
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        spec = json.loads(args.worker)
        run = pool_worker if spec.get("pools") else worker
        print(json.dumps(asyncio.run(run(spec))), flush=True)
        return
    data = asyncio.run(bench(args))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = args.out or RESULTS / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(data, indent=2) + "\n")
    (RESULTS / "latest.json").write_text(json.dumps(data, indent=2) + "\n")
    print(report.render(data))
    print(f"\nJSON: {out}")
