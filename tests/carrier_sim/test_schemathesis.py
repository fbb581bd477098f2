"""docs/bridge-protocol.yaml checked by the tool made for it: schemathesis against the simulator.

Every check (response schemas, status codes and headers, content types, schema-valid requests
accepted, schema-invalid ones refused, auth enforced, resources available after creation ...) in
every phase (examples, coverage, fuzzing, and the stateful phase that chains operations through
the links it infers: list lines -> get a line -> create a renewal -> look it up). Fixed seed,
bounded examples: a few seconds.

Schema-valid requests a bridge may still refuse are documented in the spec (an unknown cursor:
400; a renewal amount that is not positive, another currency, a method the bridge does not take:
422; a decline: 402); tests/carrier_sim/schemathesis.toml allows exactly those answers, and
``test_allowed_answers_are_documented`` keeps that file and the spec in step.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import sys
import tomllib
from typing import Any

import pytest
import schemathesis
import yaml

from tests.carrier_sim.schema import errors
from tools.carrier_sim import DEFAULT_BRIDGE_TOKEN, CarrierSim

ROOT = Path(__file__).parents[2]
SPEC = ROOT / "docs" / "bridge-protocol.yaml"
CONFIG = Path(__file__).with_name("schemathesis.toml")
SEED = 15
MAX_EXAMPLES = 25


async def _schemathesis(sim: CarrierSim, tmp_path: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        str(SPEC),
        "--url",
        sim.base_url,
        "--header",
        f"Authorization: Bearer {DEFAULT_BRIDGE_TOKEN}",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--warnings",
        "off",
        "--report-dir",
        str(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=240)
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


async def test_the_simulator_keeps_the_bridge_protocol(sim: CarrierSim, tmp_path: Path) -> None:
    code, output = await _schemathesis(sim, tmp_path)
    assert code == 0, output[-6000:]
    assert "Stateful" in output
    assert "Selected: 5/5" in output
    assert "failed" not in output.split("SUMMARY")[-1], output[-3000:]
    # The run really reached the simulator through every operation.
    assert {
        "bridge.getAccount",
        "bridge.listLines",
        "bridge.getLine",
        "bridge.createRenewal",
        "bridge.getRenewal",
    } <= set(sim.state.requests)


async def test_schemathesis_finds_a_failing_operation(sim: CarrierSim, tmp_path: Path) -> None:
    """The check has teeth: a simulator whose account read fails (503.

    Documented, but a server error all the same) fails the run.
    """
    sim.set_fault("bridge.getAccount", "503")
    code, output = await _schemathesis(sim, tmp_path)
    assert code != 0
    assert "GET /v1/account" in output


def _documented(spec: dict[str, Any], operation_id: str) -> set[str]:
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return {str(status) for status in operation["responses"]}
    raise AssertionError(operation_id)


def _covers(documented: set[str], allowed: str) -> bool:
    if allowed in documented:
        return True
    if allowed.endswith("xx"):  # "2xx" is covered by any documented 2.. status
        return any(status[0] == allowed[0] for status in documented)
    return False


def test_allowed_answers_are_documented() -> None:
    """Check every answer the settings accept is one the spec documents for the operation.

    For a schema-valid request, the schemathesis settings cannot hide an undocumented refusal.
    """
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    default = config["checks"]["positive_data_acceptance"]["expected-statuses"]
    overrides = {
        op["include-operation-id"]: op["checks"]["positive_data_acceptance"]["expected-statuses"]
        for op in config["operations"]
    }
    for operation_id in ("getAccount", "listLines", "getLine", "createRenewal", "getRenewal"):
        documented = _documented(spec, operation_id)
        for allowed in overrides.get(operation_id, default):
            if allowed in ("404", "409") and operation_id not in overrides:
                continue  # the default list: a generated id that names nothing (404)
            assert _covers(documented, allowed), (operation_id, allowed)
    assert "400" in overrides["listLines"]
    assert {"402", "422"} <= set(overrides["createRenewal"])


def test_spec_says_what_a_bridge_may_refuse() -> None:
    """Issue 15, finding 12: the spec names the refusals of schema-valid requests."""
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    lines = spec["paths"]["/v1/lines"]["get"]["responses"]["400"]["description"]
    assert "cursor" in lines
    create = spec["paths"]["/v1/lines/{line_id}/renewals"]["post"]["responses"]["422"]
    assert "greater than zero" in create["description"]
    assert "currency" in create["description"]
    assert "greater than zero" in spec["components"]["schemas"]["RenewalCreate"]["description"]


@pytest.mark.parametrize("amount", ["0", "0.00", "-1.00", "1.00001", "1e2"])
async def test_a_renewal_of_nothing_is_refused_by_spec_and_simulator(
    sim: CarrierSim, amount: str
) -> None:
    """Issue 15, finding 12.

    The spec (PositiveMoney) and the simulator agree that a renewal of "0" (or a negative or
    malformed amount) is refused: the body breaks the schema, and the simulator answers 422, a
    documented answer whose body schemathesis validates.
    """
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    body = {"amount": {"amount": amount, "currency": "USD"}, "method": "carrier_balance"}
    assert errors(spec, spec["components"]["schemas"]["RenewalCreate"], body)
    operation = schemathesis.openapi.from_path(SPEC)["/v1/lines/{line_id}/renewals"]["POST"]
    case = operation.Case(
        path_parameters={"line_id": "line-1"},
        headers={
            "Authorization": f"Bearer {DEFAULT_BRIDGE_TOKEN}",
            "Idempotency-Key": f"zero-{amount}",
        },
        body=body,
    )
    response = await asyncio.to_thread(case.call, base_url=sim.base_url)
    assert response.status_code == 422, response.text
    case.validate_response(response)
    assert not sim.state.renewals  # nothing was recorded, let alone charged
    valid = {**body, "amount": {"amount": "0.01", "currency": "USD"}}
    assert not errors(spec, spec["components"]["schemas"]["RenewalCreate"], valid)
