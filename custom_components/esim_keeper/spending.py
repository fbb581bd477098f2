"""Spending as long-term statistics: per number and per account, from the payment history.

External statistics (``recorder.statistics.async_add_external_statistics``), summed by the hour:
- ``esim_keeper:spend_<subentry id>``: what a number cost, in its plan's currency;
- ``esim_keeper:spend_<subentry id>_paid_<currency>``: what the user actually paid, in the
  currency recorded with ``record_payment`` (yuan by Alipay, say), where one was recorded;
- ``esim_keeper:spend_<entry id>_<currency>`` and ``..._paid_<currency>``: the account's.

Only confirmed money counts: renewals the carrier charged (outcome succeeded) and payments the
user recorded; never a pending, unknown or failed one. Each series is rebuilt from the whole
history (cleared, then imported again: the recorder runs both in order), at start-up and after
every record, so a restart or a reload never counts anything twice. Without the recorder (it is
an after-dependency, not a requirement) nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_add_external_statistics
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import slugify

from .const import DOMAIN
from .history import Outcome, PaymentHistory, RecordKind, RenewalRecord
from .keeper.spending import Spend, currencies, hourly_totals
from .runtime import EsimKeeperConfigEntry

EVENT_RENEWAL = f"{DOMAIN}_renewal"  # renewal.EVENT_RENEWAL (not imported: renewal imports us)


def statistic_id(owner_id: str, *parts: str) -> str:
    """Return a valid external statistic id (lower-case slugs) for a number or an account."""
    return f"{DOMAIN}:" + "_".join(slugify(p) for p in ("spend", owner_id, *parts))


def confirmed(record: RenewalRecord) -> bool:
    """Money that certainly moved.

    A charge the carrier confirmed, or a payment the user recorded (also ``succeeded``).
    """
    return record.outcome is Outcome.SUCCEEDED


def _when(record: RenewalRecord) -> Spend:
    if record.kind is RecordKind.RECORDED:
        at = record.paid_at or record.created_at
    else:
        attempt = record.succeeded_attempt
        at = (attempt.finished_at or attempt.started_at) if attempt else record.created_at
    return Spend(at, record.amount)


def plan_spends(records: Iterable[RenewalRecord]) -> list[Spend]:
    """Return what confirmed records cost, in the plan's currency."""
    return [_when(r) for r in records if confirmed(r)]


def paid_spends(records: Iterable[RenewalRecord]) -> list[Spend]:
    """Return what the user paid, in their own currency, where a payment recorded it."""
    return [Spend(_when(r).at, r.paid) for r in records if confirmed(r) and r.paid is not None]


class SpendingStatistics:
    """Keeps one account's spending statistics equal to its history."""

    def __init__(
        self, hass: HomeAssistant, entry: EsimKeeperConfigEntry, history: PaymentHistory
    ) -> None:
        """Prepare the account's spending statistics, imported from ``history``."""
        self.hass = hass
        self.entry = entry
        self.history = history

    @callback
    def async_start(self) -> None:
        """Rebuild everything now, then a number and its account after each of its records."""
        if "recorder" not in self.hass.config.components:
            return
        self.entry.async_on_unload(
            self.hass.bus.async_listen(EVENT_RENEWAL, self._on_record, self._ours)
        )
        self.rebuild(set(self.entry.subentries))

    @callback
    def _ours(self, event_data: Mapping[str, Any]) -> bool:
        return event_data.get("entry_id") == self.entry.entry_id

    @callback
    def _on_record(self, event: Event[Mapping[str, Any]]) -> None:
        self.rebuild({str(event.data["subentry_id"])})

    @callback
    def rebuild(self, subentry_ids: set[str]) -> None:
        """Write the statistics of these numbers and of the account from the whole history."""
        records = self.history.records()
        for subentry_id in subentry_ids:
            subentry = self.entry.subentries.get(subentry_id)
            if subentry is None:
                continue
            own = [r for r in records if r.subentry_id == subentry_id]
            config = self.entry.runtime_data.coordinator.numbers.get(subentry_id)
            if config is None or not own:
                continue
            currency = config.currency
            name = subentry.title
            self._write(statistic_id(subentry_id), f"{name} spending", currency, plan_spends(own))
            paid = paid_spends(own)
            for code in currencies(paid):
                self._write(
                    statistic_id(subentry_id, "paid", code),
                    f"{name} paid ({code})",
                    code,
                    paid,
                )
        spends = plan_spends(records)
        title = self.entry.title
        for code in currencies(spends):
            self._write(
                statistic_id(self.entry.entry_id, code), f"{title} spending ({code})", code, spends
            )
        paid = paid_spends(records)
        for code in currencies(paid):
            self._write(
                statistic_id(self.entry.entry_id, "paid", code),
                f"{title} paid ({code})",
                code,
                paid,
            )

    def _write(self, stat_id: str, name: str, currency: str, spends: list[Spend]) -> None:
        series = hourly_totals(spends, currency)
        if not series:
            return
        metadata = StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            name=name,
            source=DOMAIN,
            statistic_id=stat_id,
            unit_class=None,
            unit_of_measurement=currency,
        )
        rows = [
            # The state is the running total too, as a meter's reading would be.
            StatisticData(start=hour.start, state=float(hour.total), sum=float(hour.total))
            for hour in series
        ]
        # Cleared first: a record that moved to another hour, or was dropped, leaves nothing.
        get_instance(self.hass).async_clear_statistics([stat_id])
        async_add_external_statistics(self.hass, metadata, rows)
