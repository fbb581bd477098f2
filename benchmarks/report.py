"""The benchmark's table: each figure per system, ratios ours/baseline, and the issue's targets."""

from __future__ import annotations

from typing import Any

SYSTEMS = (("ours", "eSIM Keeper"), ("rest", "rest+template (a)"), ("trivial", "trivial (b)"))

# (label, summary key, format)
ROWS: tuple[tuple[str, str, str], ...] = (
    ("entities with a state", "entities", "{:.0f}"),
    ("entities in the registry", "registry_entities", "{:.0f}"),
    ("setup, wall ms", "setup_wall_ms", "{:.1f}"),
    ("setup, CPU ms", "setup_cpu_ms", "{:.1f}"),
    ("poll unchanged, CPU ms", "poll_unchanged_cpu_ms", "{:.2f}"),
    ("poll 1% changed, CPU ms", "poll_changed_cpu_ms", "{:.2f}"),
    ("requests / poll (unchanged)", "poll_unchanged_requests", "{:.0f}"),
    ("requests / poll (1% changed)", "poll_changed_requests", "{:.0f}"),
    ("state writes / poll (unchanged)", "poll_unchanged_writes", "{:.0f}"),
    ("state writes / poll (1% changed)", "poll_changed_writes", "{:.0f}"),
    ("states changed / poll (unchanged)", "poll_unchanged_changes", "{:.0f}"),
    ("states changed / poll (1% changed)", "poll_changed_changes", "{:.0f}"),
    ("memory per number, KiB", "memory_per_number_kib", "{:.1f}"),
    ("longest stall, setup ms (max)", "setup_stall", "stall"),
    ("  longest GC pause in it, setup ms (max)", "setup_gc_pause", "stall"),
    ("  longest stall outside GC, setup ms (max)", "setup_stall_outside_gc", "stall"),
    ("longest stall, polls ms (max)", "poll_stall", "stall"),
    ("  longest GC pause in it, polls ms (max)", "poll_gc_pause", "stall"),
    ("  longest stall outside GC, polls ms (max)", "poll_stall_outside_gc", "stall"),
)


def _polls_worst(summary: dict[str, Any], key: str, suffix: str) -> float | None:
    """Return the larger of the unchanged and the changed polls' figure.

    The figures are read as ``poll_<kind>_<key><suffix>``.
    """
    values = [summary.get(f"poll_{kind}_{key}{suffix}") for kind in ("unchanged", "changed")]
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _value(summary: dict[str, Any] | None, key: str) -> float | None:
    if summary is None:
        return None
    if key.startswith("poll_") and not key.startswith(("poll_unchanged", "poll_changed")):
        return _polls_worst(summary, key.removeprefix("poll_"), "_ms")
    value = summary.get(key, summary.get(f"{key}_ms"))
    return None if value is None else float(value)


def _cell(summary: dict[str, Any] | None, key: str, fmt: str) -> str:
    value = _value(summary, key)
    if value is None:
        return "—"
    if fmt == "stall":
        assert summary is not None
        if key.startswith("poll_"):
            top = _polls_worst(summary, key.removeprefix("poll_"), "_max_ms")
        else:
            top = summary.get(f"{key}_max_ms")
        return f"{value:.1f} ({top:.1f})" if top is not None else f"{value:.1f}"
    return fmt.format(value)


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.3f}×"


def render(data: dict[str, Any]) -> str:
    m = data["machine"]
    s = data["settings"]
    lines = [
        f"eSIM Keeper benchmark, {data['date']}: {m['nproc']} × {m['cpu']}, Python {m['python']},"
        f" Home Assistant {m['home_assistant']}; {data['duration_s']} s",
        f"runs per system: {s['runs']} (N<1000), {s['runs_large']} (N≥1000); "
        f"{s['polls']} unchanged + {s['polls']} changed polls per run; medians; "
        "stalls: median of each run's worst (worst of all)",
    ]
    for n, by_system in data["results"].items():
        lines += [
            "",
            f"N = {n} numbers on one bridge account "
            f"({s['changed_per_poll'][n]} changed per 1% poll)",
            "",
            "| figure | " + " | ".join(label for _, label in SYSTEMS) + " | ours/(a) | ours/(b) |",
            "|---|" + "---:|" * (len(SYSTEMS) + 2),
        ]
        ours, rest, trivial = (by_system.get(name) for name, _ in SYSTEMS)
        for label, key, fmt in ROWS:
            cells = [_cell(by_system.get(name), key, fmt) for name, _ in SYSTEMS]
            ratio_a = _ratio(_value(ours, key), _value(rest, key))
            ratio_b = _ratio(_value(ours, key), _value(trivial, key))
            if key.startswith("poll") and trivial is not None:
                ratio_b = "—"
            lines.append(f"| {label} | " + " | ".join(cells) + f" | {ratio_a} | {ratio_b} |")
        errors = {name: v["errors"] for name, v in by_system.items() if v["errors"]}
        if errors:
            lines.append(f"errors logged: {errors}")
            for name, v in by_system.items():
                for e in v["first_errors"]:
                    lines.append(f"  {name}: {e}")
    lines += ["", "Targets (issue 8)", ""] + [f"- {t}" for t in targets(data)]
    if data.get("pools"):
        from .pools import render as render_pools

        lines += render_pools(data["pools"])
    return "\n".join(lines)


def targets(data: dict[str, Any]) -> list[str]:
    out: list[str] = []
    results = data["results"]

    def mark(ok: bool) -> str:
        return "MET " if ok else "MISSED"

    for n, by in results.items():
        ours = by.get("ours")
        if ours is None:
            continue
        pages = -(-int(n) // 100)  # the bridge provider's page size is 100
        for kind in ("unchanged", "changed"):
            req = ours[f"poll_{kind}_requests"]
            out.append(
                f"{mark(req == pages)} N={n}: requests per {kind} poll = {req:.0f} "
                f"(1 per account, {pages} page(s) of 100)"
            )
        extra = max(
            ours["poll_unchanged_writes_minus_changes_max"],
            ours["poll_changed_writes_minus_changes_max"],
        )
        out.append(
            f"{mark(extra == 0)} N={n}: state writes = states really changed "
            f"(worst poll: {extra} write(s) without a change)"
        )
        for key, what in (("stall", "event-loop stall"), ("stall_outside_gc", "stall outside GC")):
            setup = ours[f"setup_{key}_max_ms"]
            polls = _polls_worst(ours, key, "_max_ms") or 0.0
            stall = max(setup, polls)
            out.append(
                f"{mark(stall <= 50)} N={n}: longest {what} {stall:.1f} ms "
                f"(setup {setup:.1f}, polls {polls:.1f}) ≤ 50 ms"
            )
    big = results.get("1000")
    if big and "ours" in big:
        ours = big["ours"]
        if "rest" in big:
            for kind in ("unchanged", "changed"):
                r = ours[f"poll_{kind}_cpu_ms"] / big["rest"][f"poll_{kind}_cpu_ms"]
                out.append(
                    f"{mark(r <= 0.25)} N=1000: {kind} poll CPU {r:.3f}× baseline (a) ≤ 0.25×"
                )
        if "trivial" in big:
            r = ours["setup_wall_ms"] / big["trivial"]["setup_wall_ms"]
            out.append(f"{mark(r <= 1.5)} N=1000: setup {r:.2f}× baseline (b) ≤ 1.5×")
    return out
