"""A carrier simulator: the HTTP bridge protocol plus Twilio- and Telnyx-shaped endpoints.

Run it with ``python -m tools.carrier_sim --port 8765`` or in-process::

    sim = CarrierSim(lines=3)
    base_url = await sim.start("127.0.0.1", 0)
    ...
    await sim.stop()
"""

from .faults import Fault, FaultKind, FaultSpecError, parse_assignment, parse_fault
from .server import CarrierSim, build_app
from .state import (
    DEFAULT_BRIDGE_TOKEN,
    DEFAULT_TELNYX_API_KEY,
    DEFAULT_TWILIO_ACCOUNT_SID,
    DEFAULT_TWILIO_API_KEY_SECRET,
    DEFAULT_TWILIO_API_KEY_SID,
    DEFAULT_TWILIO_AUTH_TOKEN,
    SimLine,
    SimRenewal,
    SimState,
    SimTokens,
)

__all__ = [
    "DEFAULT_BRIDGE_TOKEN",
    "DEFAULT_TELNYX_API_KEY",
    "DEFAULT_TWILIO_ACCOUNT_SID",
    "DEFAULT_TWILIO_API_KEY_SECRET",
    "DEFAULT_TWILIO_API_KEY_SID",
    "DEFAULT_TWILIO_AUTH_TOKEN",
    "CarrierSim",
    "Fault",
    "FaultKind",
    "FaultSpecError",
    "SimLine",
    "SimRenewal",
    "SimState",
    "SimTokens",
    "build_app",
    "parse_assignment",
    "parse_fault",
]
