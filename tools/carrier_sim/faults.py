"""Faults the simulator injects per route, and their small text syntax.

``ROUTE=SPEC`` where ROUTE is a route name (``bridge.listLines``, ``twilio.balance``, ...) or ``*``
for every carrier route, and SPEC is one of::

    latency:SECONDS      read the request (body included), wait SECONDS, then run it and answer:
                         a client that times out meanwhile does not stop it (a renewal commits)
    500 | 502 | 503 ...  answer with that 5xx status and an error body  (also: error:503)
    429[:SECONDS]        rate limited, Retry-After in seconds (default 1)
    429:date[:SECONDS]   rate limited, Retry-After as an HTTP date SECONDS ahead
    malformed            200 with a body that is not JSON
    truncate             200 whose body stops half way (Content-Length promises more)
    drop                 close the connection without answering (nothing is committed)
    commit_drop          run the request (a renewal is committed), then close without answering
    commit_late[:SECONDS]
                         bridge.createRenewal: read the request, record the key as ``pending``
                         (a lookup, or a repeat of the same key, answers pending / 202), wait
                         SECONDS, then commit it (succeeded or declined by the line's rules) and
                         answer, normally long after the client gave up. SECONDS defaults to
                         COMMIT_LATE_SECONDS (30), past any client timeout (at most 20 s). On
                         other routes it is the same as latency:SECONDS.

Handlers survive a client that hangs up, as a real server's do. ``CarrierSim.stop`` lets a waiting
handler finish within its shutdown timeout and cancels it after that (a cancelled commit_late key
stays ``pending``: the bridge died while the carrier call was in flight).

Append ``*N`` to apply a fault to the next N requests only (``bridge.createRenewal=commit_drop*1``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    """What an injected fault does to a request."""

    LATENCY = "latency"
    ERROR = "error"
    RATE_LIMIT = "rate_limit"
    MALFORMED = "malformed"
    TRUNCATE = "truncate"
    DROP = "drop"
    COMMIT_DROP = "commit_drop"
    COMMIT_LATE = "commit_late"


# commit_late's default wait: clearly past the client's request timeout (at most 20 s).
COMMIT_LATE_SECONDS = 30.0


class FaultSpecError(ValueError):
    """A fault spec that does not follow the syntax above."""


@dataclass(slots=True)
class Fault:
    """One injected fault: its kind, its figures and how many requests it still hits."""

    kind: FaultKind
    seconds: float = 0.0  # latency, the Retry-After delay, or commit_late's wait
    status: int = 503
    retry_after_date: bool = False
    remaining: int | None = None  # None: until cleared
    spec: str = ""

    def to_json(self) -> dict[str, object]:
        """Return the fault as the simulator's state endpoint shows it."""
        return {"spec": self.spec, "kind": self.kind.value, "remaining": self.remaining}


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError as err:
        raise FaultSpecError(f"{text!r} is not a number of seconds") from err
    if not 0 <= value <= 3600:
        raise FaultSpecError("seconds must be between 0 and 3600")
    return value


def parse_fault(spec: str) -> Fault:
    """Parse one SPEC (see the module docstring)."""
    text = spec.strip()
    remaining: int | None = None
    if "*" in text:
        text, _, count = text.partition("*")
        if not count.isdigit() or int(count) < 1:
            raise FaultSpecError(f"{spec!r}: the count after '*' must be a positive integer")
        remaining = int(count)
    head, _, rest = text.partition(":")
    fault: Fault
    if head == "latency":
        fault = Fault(FaultKind.LATENCY, seconds=_seconds(rest))
    elif head == "429":
        if rest.startswith("date"):
            delay = rest.partition(":")[2]
            fault = Fault(
                FaultKind.RATE_LIMIT, seconds=_seconds(delay or "1"), retry_after_date=True
            )
        else:
            fault = Fault(FaultKind.RATE_LIMIT, seconds=_seconds(rest or "1"))
    elif head == "error" or (head.isdigit() and not rest):
        code_text = rest if head == "error" else head
        if not code_text.isdigit() or not 500 <= int(code_text) <= 599:
            raise FaultSpecError(f"{spec!r}: an error fault needs a 5xx status")
        fault = Fault(FaultKind.ERROR, status=int(code_text))
    elif head == "commit_late":
        fault = Fault(
            FaultKind.COMMIT_LATE, seconds=_seconds(rest) if rest else COMMIT_LATE_SECONDS
        )
    elif not rest and head in ("malformed", "truncate", "drop", "commit_drop"):
        fault = Fault(FaultKind(head))
    else:
        raise FaultSpecError(f"unknown fault spec {spec!r}")
    fault.remaining = remaining
    fault.spec = spec.strip()
    return fault


def parse_assignment(text: str) -> tuple[str, Fault]:
    """Parse ``ROUTE=SPEC`` (the --fault command line option)."""
    route, sep, spec = text.partition("=")
    if not sep or not route.strip():
        raise FaultSpecError(f"{text!r}: expected ROUTE=SPEC")
    return route.strip(), parse_fault(spec)
