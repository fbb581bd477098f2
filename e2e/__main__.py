"""``python -m e2e --ha-version X [--artifacts DIR]``.

Run every step, print a table, exit 1 if any step failed or did not run (the first failure is named
on the last line). Started by scripts/e2e.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from pathlib import Path
import shutil
import signal
import sys
import time

import aiohttp

from .harness import ROOT, Context, StepResult, free_port, run_step, say, stop_all
from .steps import STEPS


async def _close_browser(ctx: Context) -> None:
    context = ctx.facts.get("_context")
    manager = ctx.facts.get("_playwright")
    with contextlib.suppress(Exception):
        if context is not None:
            await context.close()
    with contextlib.suppress(Exception):
        if manager is not None:
            await manager.__aexit__(None, None, None)


def _fresh_folder(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


async def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/e2e", description=__doc__)
    parser.add_argument("--ha-version", required=True, help="the version hass must report")
    parser.add_argument("--artifacts", type=Path, default=ROOT / "e2e-artifacts")
    args = parser.parse_args()
    artifacts: Path = args.artifacts.resolve()
    _fresh_folder(artifacts)

    started = time.monotonic()
    results = {step.name: StepResult(step.name) for step in STEPS}
    async with aiohttp.ClientSession() as session:
        ctx = Context(
            artifacts=artifacts,
            session=session,
            sim_port=free_port(),
            hass_port=free_port(),
            ha_version=args.ha_version,
        )
        loop = asyncio.get_running_loop()
        main_task = asyncio.current_task()
        assert main_task is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, main_task.cancel)
        try:
            for step in STEPS:
                result = results[step.name]
                blocked = [n for n in step.needs if results[n].status != "passed"]
                if blocked:
                    result.detail = f"needs: {', '.join(blocked)}"
                    say(f"-> {step.name}: not run ({result.detail})")
                    continue
                await run_step(ctx, result, step.run)
        finally:
            await _close_browser(ctx)
            await stop_all(ctx)
            outside = ctx.facts.get("outside_requests", [])

    total = time.monotonic() - started
    say("")
    say(f"{'step':<36} {'status':<8} {'time':>7}  screenshots")
    for r in results.values():
        shots = ", ".join(r.screenshots)
        say(f"{r.name:<36} {r.status:<8} {r.seconds:6.1f}s  {shots}")
    say(f"total {total:.0f} s; screenshots and logs in {artifacts}")
    if outside:
        say(f"blocked {len(outside)} request(s) to other hosts than 127.0.0.1: {outside[:5]}")
    (artifacts / "report.json").write_text(
        json.dumps(
            {"seconds": round(total, 1), "steps": [vars(r) for r in results.values()]},
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    failed = [r for r in results.values() if r.status != "passed"]
    if failed:
        first = failed[0]
        say(f"FAILED at step {first.name!r}: {first.detail}")
        return 1
    say(f"all {len(results)} steps passed")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
