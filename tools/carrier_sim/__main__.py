"""``python -m tools.carrier_sim --port 8765 [--lines N] [--seed S] [--fault ROUTE=SPEC ...]``."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib

from .faults import FaultSpecError, parse_assignment
from .server import CarrierSim
from .state import DEFAULT_BRIDGE_TOKEN, DEFAULT_TELNYX_API_KEY, SimTokens


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Read the simulator's command line: address, port, lines, seed and credentials."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.carrier_sim",
        description="Carrier simulator: HTTP bridge protocol + Twilio/Telnyx-shaped endpoints.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    parser.add_argument("--lines", type=int, default=3, help="number of lines to generate")
    parser.add_argument("--seed", type=int, default=0, help="seed for the generated lines")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="ROUTE=SPEC",
        help=(
            "inject a fault, e.g. bridge.listLines=503, '*=latency:0.5' or "
            "bridge.createRenewal=commit_late:30 (repeatable; see tools/carrier_sim/faults.py)"
        ),
    )
    parser.add_argument("--bridge-token", default=DEFAULT_BRIDGE_TOKEN)
    parser.add_argument("--telnyx-key", default=DEFAULT_TELNYX_API_KEY)
    args = parser.parse_args(argv)
    try:
        args.faults = dict(parse_assignment(text) for text in args.fault)
    except FaultSpecError as err:
        parser.error(str(err))
    return args


async def serve(args: argparse.Namespace) -> None:
    """Serve the simulator until interrupted."""
    tokens = SimTokens(bridge=args.bridge_token, telnyx=args.telnyx_key)
    sim = CarrierSim(lines=args.lines, seed=args.seed, tokens=tokens, faults=args.faults)
    base_url = await sim.start(args.host, args.port)
    print(f"carrier simulator on {base_url} ({args.lines} lines); control API at /_sim", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the simulator from the command line."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
