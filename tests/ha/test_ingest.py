"""Carrier texts and e-mails in, end to end through Home Assistant's real bus.

The action, the IMAP and Netgear LTE events an account listens to, and the two blueprints (a
companion-app notification sensor, IMAP). Message → facts → record → entities, or nothing and a
repair.

Texts never hold a full number: the secrets guard scans every event, including the test's own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.esim_keeper.const import (
    CONF_LEDGER,
    CONF_LISTEN_IMAP,
    CONF_LISTEN_NETGEAR_LTE,
    CONF_MESSAGE_SENDERS,
    DOMAIN,
)
from custom_components.esim_keeper.history import RecordKind
from custom_components.esim_keeper.ingest import (
    INBOX,
    MAX_INPUT,
    MAX_SEEN,
    Inbox,
    sender_allowed,
)
from custom_components.esim_keeper.installer import async_install_shipped_files

from .accounts import manual_account, manual_ledger
from .conftest import NOW, setup_entry
from .test_renewal import device_id

NOW_DT = datetime.fromisoformat(NOW)
READ = "2026-11-20T00:00:00+00:00"
ULTRA, TELLO, GV, ULTRA2 = "sub-0199", "sub-0123", "sub-0145", "sub-0188"
AN_HOUR_AGO = (NOW_DT - timedelta(hours=1)).isoformat()

ULTRA_BALANCE = "Ultra Mobile: Your PayGo balance is $4.25. Your plan expires on 12/20/2026."
ULTRA_RECHARGED = "Ultra Mobile: Your account has been recharged with $10.00. New balance: $13.25."
TELLO_RENEWED = (
    "Hi, your Tello plan was renewed successfully. We charged $5.00 to your card ending in 4242. "
    "Next renewal: Dec 31, 2026."
)
GV_RECLAIM = (
    "Your Google Voice number ending in 0145 will be reclaimed in 15 days because of inactivity."
)
SECOND_ULTRA = (
    "+12025550188",
    "Ultra 2",
    "ultra_paygo",
    manual_ledger("2.00", "2026-12-10T08:00:00+00:00", read_at=READ),
)
BANK_CNY = "您尾号1234卡11月26日12:03快捷支付(支付宝-Ultra Mobile)支出21.50元，余额1,000.00元。【工商银行】"  # noqa: E501


def _numbers(*extra: tuple[str, str, str, dict[str, object]]) -> MockConfigEntry:
    ultra = manual_ledger("10.00", "2026-12-08T08:00:00+00:00", read_at=READ)
    tello = manual_ledger("1.00", "2026-12-02T05:00:00+00:00", read_at=READ)
    gv = manual_ledger("0", "2035-01-01T08:00:00+00:00", "2026-09-01T07:00:00+00:00", read_at=READ)
    return manual_account(
        ("+12025550199", "Ultra", "ultra_paygo", ultra),
        ("+12025550123", "Tello", "tello", tello),
        ("+12025550145", "GV", "google_voice", gv),
        *extra,
    )


async def _setup(
    hass: HomeAssistant, entry: MockConfigEntry | None = None, **options: Any
) -> MockConfigEntry:
    entry = entry or _numbers()
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options=options)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


async def ingest(hass: HomeAssistant, text: str, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "ingest_message",
        {"text": text, "received_at": AN_HOUR_AGO, **data},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return response


def state(hass: HomeAssistant, entity_id: str) -> str:
    found = hass.states.get(entity_id)
    assert found is not None
    return found.state


def issues(hass: HomeAssistant) -> set[str]:
    """Return the repairs messages raised (not the numbers' own deadlines)."""
    return {i for d, i in ir.async_get(hass).issues if d == DOMAIN and i.startswith("message_")}


def records(entry: MockConfigEntry, subentry_id: str) -> list[Any]:
    return list(entry.runtime_data.renewals.history.records(subentry_id))


def renewal_events(hass: HomeAssistant) -> list[Event]:
    seen: list[Event] = []
    hass.bus.async_listen(f"{DOMAIN}_renewal", seen.append)
    return seen


# --- The action -----------------------------------------------------------------------------
async def test_a_balance_text_updates_the_number(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    messages: list[Event] = []
    hass.bus.async_listen(f"{DOMAIN}_message", messages.append)
    response = await ingest(hass, ULTRA_BALANCE, sender="6700")
    assert response["changed"] == ["balance", "plan_expiry"]
    assert response["number"] == {"name": "Ultra", "device_id": device_id(hass, ULTRA)}
    assert response["understood"]["carrier"] == "ultra_paygo"
    assert response["understood"]["balance"] == "4.25 USD"
    assert response["understood"]["confidence"] in ("high", "medium")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "sensor.ultra_balance") == "4.25"
    assert state(hass, "sensor.ultra_plan_expiry").startswith("2026-12-20")
    ledger = entry.subentries[ULTRA].data[CONF_LEDGER]
    assert ledger["read_at"] == AN_HOUR_AGO  # as of when the carrier said so
    assert records(entry, ULTRA) == []  # a balance is no payment
    (event,) = messages
    assert event.data["changed"] == ["balance", "plan_expiry"]
    assert event.data["source"] == "text"
    assert event.data["number"] == "…0199"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_receipt_and_balance_record_the_payment_then_the_balance(
    hass: HomeAssistant,
) -> None:
    entry = await _setup(hass)
    events = renewal_events(hass)
    response = await ingest(hass, ULTRA_RECHARGED, sender="6700")
    assert response["changed"] == ["payment", "balance"]
    await hass.async_block_till_done(wait_background_tasks=True)
    (record,) = records(entry, ULTRA)
    assert record.kind is RecordKind.RECORDED
    assert record.source == "text"
    assert str(record.amount) == "10.00 USD"
    assert state(hass, "sensor.ultra_balance") == "13.25"
    last = hass.states.get("sensor.ultra_last_renewal")
    assert last is not None
    assert last.attributes["source"] == "text"
    assert [(e.data["outcome"], e.data["source"]) for e in events] == [("recorded", "text")]


async def test_the_same_message_is_applied_once_also_after_a_reload_and_a_restart(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    entry = await _setup(hass)
    assert (await ingest(hass, ULTRA_RECHARGED, sender="6700"))["changed"]
    assert (await ingest(hass, ULTRA_RECHARGED, sender="6700"))["duplicate"] is True
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (await ingest(hass, ULTRA_RECHARGED, sender="6700"))["duplicate"] is True
    # A restart: the store is read again from disk.
    await hass.async_block_till_done(wait_background_tasks=True)
    restarted = Inbox(hass)
    await restarted.async_load()
    assert restarted.seen == hass.data[INBOX].seen
    hass.data[INBOX] = restarted
    assert (await ingest(hass, ULTRA_RECHARGED, sender="6700"))["duplicate"] is True
    assert len(records(entry, ULTRA)) == 1
    assert state(hass, "sensor.ultra_balance") == "13.25"
    # Another time is another message (a second recharge a day later would be real).
    assert "text" not in str(hass_storage[f"{DOMAIN}.inbox"])


async def test_the_store_is_bounded(hass: HomeAssistant) -> None:
    await _setup(hass)
    inbox = hass.data[INBOX]
    inbox.seen = {f"k{i}": "done" for i in range(MAX_SEEN + 5)}
    await inbox.async_save()
    assert len(inbox.seen) == MAX_SEEN
    assert "k0" not in inbox.seen


async def test_a_text_matching_several_numbers_changes_nothing_and_raises_a_repair(
    hass: HomeAssistant,
) -> None:
    second = SECOND_ULTRA
    entry = await _setup(hass, _numbers(second))
    before = {s: dict(e.data[CONF_LEDGER]) for s, e in entry.subentries.items()}
    response = await ingest(hass, ULTRA_RECHARGED, sender="6700")
    assert response["changed"] == []
    assert response["not_applied"] == ["several_numbers"]
    assert response["issue"] == "message_unmatched_ultra_paygo"
    assert {s: dict(e.data[CONF_LEDGER]) for s, e in entry.subentries.items()} == before
    assert records(entry, ULTRA) == records(entry, ULTRA2) == []
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "message_unmatched_ultra_paygo")
    assert issue is not None
    assert issue.translation_placeholders == {"carrier": "Ultra Mobile PayGo"}
    # Sent again naming its number, it is applied (once).
    response = await ingest(hass, ULTRA_RECHARGED, sender="6700", device_id=device_id(hass, ULTRA2))
    assert response["changed"] == ["payment", "balance"]
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "sensor.ultra_2_balance") == "13.25"
    again = await ingest(hass, ULTRA_RECHARGED, sender="6700", device_id=device_id(hass, ULTRA2))
    assert again["duplicate"] is True


async def test_a_bank_receipt_needs_exactly_one_number_of_the_carrier(
    hass: HomeAssistant,
) -> None:
    """A bank gives no number: with one Ultra number, its CNY receipt is one renewal paid."""
    entry = await _setup(hass)
    response = await ingest(hass, BANK_CNY, sender="95588")
    assert response["understood"]["payer"] == "icbc"
    assert response["changed"] == ["payment"]
    (record,) = records(entry, ULTRA)
    assert str(record.amount) == "3.00 USD"
    assert str(record.paid) == "21.50 CNY"


async def test_a_bank_receipt_with_two_numbers_of_the_carrier_is_a_repair(
    hass: HomeAssistant,
) -> None:
    second = SECOND_ULTRA
    entry = await _setup(hass, _numbers(second))
    # Even naming a number: the bank never says which one was paid.
    response = await ingest(hass, BANK_CNY, sender="95588", device_id=device_id(hass, ULTRA))
    assert response["changed"] == []
    assert response["not_applied"] == ["implausible_payment"]
    assert records(entry, ULTRA) == []
    assert "message_payment_not_recorded_sub-0199" in issues(hass)


async def test_an_implausible_amount_records_nothing(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    text = "Ultra Mobile: Your account has been recharged with $100.00. New balance: $103.25."
    response = await ingest(hass, text, sender="6700")
    assert "implausible_payment" in response["not_applied"]
    assert records(entry, ULTRA) == []
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "message_payment_not_recorded_sub-0199")
    assert issue is not None
    assert issue.translation_placeholders["amount"] == "100.00 USD"


async def test_a_text_about_a_number_nobody_keeps_is_a_repair(hass: HomeAssistant) -> None:
    await _setup(hass)
    text = "US Mobile: Your line ending in 0123 expires on 12/10/2026. Renew now."
    response = await ingest(hass, text, sender="US Mobile")
    assert response["not_applied"] == ["no_number"]
    assert "message_unmatched_us_mobile" in issues(hass)


async def test_a_number_ending_that_fits_no_number_is_not_applied(hass: HomeAssistant) -> None:
    await _setup(hass)
    text = "Red Pocket: Payment received: $10.00 for line ending 0123."
    assert (await ingest(hass, text, sender="Red Pocket"))["not_applied"] == ["no_number"]


async def test_unrelated_texts_change_nothing_and_raise_nothing(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    for text, sender in (
        ("Your verification code is 123456. Balance $10.", "6700"),
        ("Your package will arrive on 12/01. Total $4.25", "+12125559977"),
        ("Hello from an unknown sender", ""),
    ):
        response = await ingest(hass, text, sender=sender)
        assert response["changed"] == []
        assert response["issue"] is None
    assert issues(hass) == set()
    assert records(entry, ULTRA) == []


async def test_an_email_warning_raises_a_repair_until_the_number_is_used(
    hass: HomeAssistant,
) -> None:
    await _setup(hass)
    response = await ingest(
        hass, GV_RECLAIM, sender="voice-noreply@google.com", subject="Google Voice number inactive"
    )
    assert response["changed"] == ["warning:reclaim"]
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "message_warning_reclaim_sub-0145")
    assert issue is not None
    assert issue.translation_placeholders == {
        "carrier": "Google Voice",
        "name": "GV",
        "deadline": "2026-12-11",
    }
    # Still there after an unrelated poll; gone once the number was used.
    await hass.services.async_call(
        DOMAIN, "set_balance", {"device_id": device_id(hass, ULTRA), "balance": 5}, blocking=True
    )
    assert "message_warning_reclaim_sub-0145" in issues(hass)
    await hass.services.async_call(
        DOMAIN, "record_activity", {"device_id": device_id(hass, GV)}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "message_warning_reclaim_sub-0145" not in issues(hass)


async def test_a_low_balance_warning_goes_away_with_a_newer_reading(hass: HomeAssistant) -> None:
    await _setup(hass)
    text = "Tello: Your Pay As You Go balance is $0.45. Data is now disabled."
    response = await ingest(hass, text, sender="Tello")
    assert response["changed"] == ["warning:low_balance", "balance"]
    assert "message_warning_low_balance_sub-0123" in issues(hass)
    await hass.services.async_call(
        DOMAIN, "set_balance", {"device_id": device_id(hass, TELLO), "balance": 20}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "message_warning_low_balance_sub-0123" not in issues(hass)


async def test_a_message_older_than_the_records_changes_nothing(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    before = dict(entry.subentries[ULTRA].data[CONF_LEDGER])
    old = "2026-11-19T00:00:00+00:00"
    response = await ingest(hass, ULTRA_BALANCE, sender="6700", received_at=old)
    assert response["not_applied"] == ["older_than_records"]
    assert dict(entry.subentries[ULTRA].data[CONF_LEDGER]) == before


async def test_numbers_their_carrier_reports_take_no_facts(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, demo_entry)
    response = await ingest(hass, ULTRA_BALANCE, sender="6700")
    assert response["not_applied"] == ["reported_by_carrier"]
    assert response["changed"] == []


async def test_a_device_of_another_carrier_is_not_matched(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    response = await ingest(hass, ULTRA_BALANCE, sender="6700", device_id=device_id(hass, TELLO))
    assert response["not_applied"] == ["no_number"]
    assert entry.subentries[TELLO].data[CONF_LEDGER]["balance"] == "1.00"


async def test_bad_input_is_a_clear_error(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    before = dict(entry.subentries[ULTRA].data[CONF_LEDGER])
    with pytest.raises(vol.Invalid):
        await ingest(hass, "x" * (MAX_INPUT + 1), sender="6700")
    with pytest.raises(ServiceValidationError) as err:
        await ingest(hass, "Ultra Mobile: balance \x00\xff is $4.25", sender="6700")
    assert err.value.translation_key == "message_not_text"
    with pytest.raises(ServiceValidationError) as err:
        await ingest(hass, ULTRA_BALANCE, received_at="2026-11-27T09:00:00+00:00")
    assert err.value.translation_key == "received_in_future"
    with pytest.raises(ServiceValidationError) as err:
        await ingest(hass, ULTRA_BALANCE, device_id="nope")
    assert err.value.translation_key == "unknown_device"
    assert dict(entry.subentries[ULTRA].data[CONF_LEDGER]) == before


async def test_hostile_texts_are_read_safely(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    binary = bytes(range(1, 256)).decode("latin-1") * 50
    huge = ("Ultra Mobile: " + "9" * 5000 + " balance $1.00 ") * 3
    for text in (binary, huge, "(" * 5000, "$" * MAX_INPUT):
        response = await ingest(hass, text, sender="6700")
        assert "balance" not in response["changed"]
    assert records(entry, ULTRA) == []


async def test_the_action_without_a_time_means_now(hass: HomeAssistant) -> None:
    await _setup(hass)
    response = await hass.services.async_call(
        DOMAIN,
        "ingest_message",
        {"text": ULTRA_BALANCE, "sender": "6700"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["changed"] == ["balance", "plan_expiry"]
    await hass.services.async_call(
        DOMAIN, "ingest_message", {"text": ULTRA_BALANCE, "sender": "6700"}, blocking=True
    )  # the same minute: the same message, applied once (and no response asked)


# --- Listening directly (account options) ---------------------------------------------------
def imap_event(
    text: str, sender: str, subject: str, date: datetime, uid: str = "7"
) -> dict[str, Any]:
    """Return the data the IMAP integration fires with "text" enabled in its message data.

    See homeassistant/components/imap/coordinator.py.
    """
    return {
        "entry_id": "imap-entry",
        "server": "imap.example.com",
        "username": "me@example.com",
        "search": "UnSeen UnDeleted",
        "folder": "INBOX",
        "initial": True,
        "date": date,
        "sender": sender,
        "subject": subject,
        "uid": uid,
        "parts": {},
        "text": text,
    }


async def test_imap_events_record_a_payment_from_an_email(hass: HomeAssistant) -> None:
    entry = await _setup(hass, **{CONF_LISTEN_IMAP: True})
    events = renewal_events(hass)
    data = imap_event(
        TELLO_RENEWED,
        "Tello <noreply@tello.com>",
        "Your Tello plan was renewed",
        NOW_DT - timedelta(minutes=5),
    )
    hass.bus.async_fire("imap_content", data)
    await hass.async_block_till_done(wait_background_tasks=True)
    (record,) = records(entry, TELLO)
    assert record.source == "email"
    assert str(record.amount) == "5.00 USD"
    assert state(hass, "sensor.tello_plan_expiry").startswith("2026-12-31")
    assert [e.data["source"] for e in events] == ["email"]
    # The IMAP integration fetches the same e-mail again ("initial": false): applied once.
    hass.bus.async_fire("imap_content", {**data, "initial": False})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(records(entry, TELLO)) == 1


async def test_imap_sender_filter_and_unload(hass: HomeAssistant) -> None:
    entry = await _setup(hass, **{CONF_LISTEN_IMAP: True, CONF_MESSAGE_SENDERS: "usmobile.com"})
    data = imap_event(
        TELLO_RENEWED, "noreply@tello.com", "Tello renewed", NOW_DT - timedelta(minutes=5)
    )
    hass.bus.async_fire("imap_content", data)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert records(entry, TELLO) == []
    hass.config_entries.async_update_entry(entry, options={CONF_LISTEN_IMAP: True})
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.bus.async_fire("imap_content", data)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.subentries[TELLO].data[CONF_LEDGER]["balance"] == "1.00"


async def test_imap_without_a_date_or_text_reads_the_subject(hass: HomeAssistant) -> None:
    entry = await _setup(hass, **{CONF_LISTEN_IMAP: True})
    data = imap_event("", "billing@twilio.com", "", NOW_DT)
    data["date"] = None
    hass.bus.async_fire("imap_content", data)  # nothing to read: ignored
    data["subject"] = "Hello"
    data["date"] = "not a date"
    hass.bus.async_fire("imap_content", data)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert records(entry, ULTRA) == []


async def test_netgear_lte_texts(hass: HomeAssistant) -> None:
    entry = await _setup(hass, **{CONF_LISTEN_NETGEAR_LTE: True})
    data = {"host": "192.168.5.1", "sms_id": 4, "from": "6700", "message": ULTRA_RECHARGED}
    hass.bus.async_fire("netgear_lte_sms", data)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "sensor.ultra_balance") == "13.25"
    (record,) = records(entry, ULTRA)
    assert record.source == "text"
    hass.bus.async_fire("netgear_lte_sms", data)  # the same SMS id on the same modem
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(records(entry, ULTRA)) == 1


async def test_a_listener_survives_a_failure(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    await _setup(hass, **{CONF_LISTEN_NETGEAR_LTE: True})
    hass.data.pop(INBOX)  # something broke underneath
    hass.bus.async_fire(
        "netgear_lte_sms", {"host": "h", "sms_id": 1, "from": "6700", "message": "x"}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "A text message could not be applied" in caplog.text
    assert "x" not in caplog.text.split("could not be applied")[1].splitlines()[0]


def test_sender_filter() -> None:
    assert sender_allowed([], "anyone")
    assert sender_allowed(["tello.com"], "Tello <noreply@TELLO.com>")
    assert not sender_allowed(["6700"], "Tello")


# --- A custom pattern -------------------------------------------------------------------------
async def _reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str, **extra: Any
) -> dict[str, Any]:
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    values = {
        k: v["suggested_value"]
        for k, v in ((str(key), key.description or {}) for key in result["data_schema"].schema)
        if "suggested_value" in v
    }
    return dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {**values, "plan": {}, "renewal": {"auto_renew": "off"}, **extra}
        )
    )


async def test_a_custom_pattern_reads_the_numbers_own_texts(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    result = await _reconfigure(
        hass,
        entry,
        TELLO,
        messages={"custom_pattern": r"Saldo: (?P<balance>[\d.]+), vence (?P<expiry>[\d/]+)"},
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    # (Saving the form recorded the balance as of now: the text must be newer.)
    response = await ingest(
        hass, "Saldo: 7.50, vence 12/30/2026", sender="Movistar", received_at=NOW
    )
    assert response["changed"] == ["balance", "plan_expiry"]
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "sensor.tello_balance") == "7.50"


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        (r"(?P<balance>(a+)+)", "custom_pattern_slow"),
        (r"balance (?P<balance>[\d.]+", "custom_pattern_syntax"),
        (r"balance (?P<money>[\d.]+)", "custom_pattern_groups"),
        ("x" * 1000 + "(?P<balance>1)", "custom_pattern_too_long"),
    ],
)
async def test_a_bad_custom_pattern_is_a_form_error(
    hass: HomeAssistant, pattern: str, error: str
) -> None:
    entry = await _setup(hass)
    before = dict(entry.subentries[TELLO].data)
    result = await _reconfigure(hass, entry, TELLO, messages={"custom_pattern": pattern})
    assert result["errors"] == {"base": error}
    assert dict(entry.subentries[TELLO].data) == before


# --- The blueprints --------------------------------------------------------------------------
async def _blueprint(hass: HomeAssistant, path: str, inputs: dict[str, Any]) -> None:
    await async_install_shipped_files(hass)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "id": path,
                    "alias": path,
                    "use_blueprint": {"path": f"esim_keeper/{path}", "input": inputs},
                }
            ]
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_phone_notifications_through_the_blueprint(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    await _blueprint(
        hass,
        "carrier_texts_from_phone.yaml",
        {"notification_sensor": "sensor.pixel_last_notification", "senders": "6700, Tello"},
    )
    posted = int((NOW_DT - timedelta(minutes=2)).timestamp() * 1000)
    # The companion app's "Last notification" sensor: state is the text, details in attributes.
    attributes = {
        "android.title": "6700",
        "android.text": ULTRA_RECHARGED,
        "package": "com.google.android.apps.messaging",
        "post_time": posted,
        "channel_id": "incoming_sms",
    }
    hass.states.async_set("sensor.pixel_last_notification", ULTRA_RECHARGED[:255], attributes)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "sensor.ultra_balance") == "13.25"
    (record,) = records(entry, ULTRA)
    assert record.source == "text"
    assert record.paid_at == NOW_DT - timedelta(minutes=2)
    # The same notification again (the sensor updates its attributes): applied once. A chat
    # app's notification, or a sender not in the filter, is ignored.
    hass.states.async_set(
        "sensor.pixel_last_notification", "same", {**attributes, "is_clearable": True}
    )
    hass.states.async_set(
        "sensor.pixel_last_notification", "chat", {**attributes, "package": "com.tencent.mm"}
    )
    hass.states.async_set(
        "sensor.pixel_last_notification", "other", {**attributes, "android.title": "Mom"}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(records(entry, ULTRA)) == 1


async def test_phone_notifications_naming_the_number(hass: HomeAssistant) -> None:
    second = SECOND_ULTRA
    await _setup(hass, _numbers(second))
    await _blueprint(
        hass,
        "carrier_texts_from_phone.yaml",
        {
            "notification_sensor": "sensor.pixel_last_notification",
            "number": device_id(hass, ULTRA2),
        },
    )
    hass.states.async_set(
        "sensor.pixel_last_notification",
        "x",
        {"android.title": "6700", "android.text": ULTRA_BALANCE, "package": "com.android.mms"},
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "sensor.ultra_2_balance") == "4.25"
    assert state(hass, "sensor.ultra_balance") == "10.00"


async def test_carrier_emails_through_the_blueprint(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    await _blueprint(hass, "carrier_emails.yaml", {"senders": "google.com, tello.com"})
    hass.bus.async_fire(
        "imap_content",
        imap_event(GV_RECLAIM, "voice-noreply@google.com", "Google Voice number inactive", NOW_DT),
    )
    hass.bus.async_fire(
        "imap_content",
        imap_event(
            TELLO_RENEWED, "noreply@tello.com", "Tello renewed", NOW_DT - timedelta(minutes=3)
        ),
    )
    hass.bus.async_fire(
        "imap_content",
        imap_event(ULTRA_BALANCE, "someone@example.com", "fwd", NOW_DT),  # not in the filter
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "message_warning_reclaim_sub-0145" in issues(hass)
    (record,) = records(entry, TELLO)
    assert record.source == "email"
    assert state(hass, "sensor.ultra_balance") == "10.00"


async def test_a_number_of_an_unloaded_account_is_refused(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    target = device_id(hass, ULTRA)
    assert await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await ingest(hass, ULTRA_BALANCE, sender="6700", device_id=target)
    assert err.value.translation_key == "entry_not_loaded"


async def test_a_stored_pattern_that_no_longer_compiles_is_skipped(hass: HomeAssistant) -> None:
    entry = _numbers()
    subentry = entry.subentries[TELLO]
    broken = {"messages": {"custom_pattern": "(?P<balance>", "custom_sender": ""}}
    object.__setattr__(subentry, "data", {**subentry.data, **broken})
    await _setup(hass, entry)
    response = await ingest(hass, "Saldo: 7.50", sender="Movistar")
    assert response["changed"] == []


async def test_the_same_payment_twice_in_ten_minutes_is_recorded_once(
    hass: HomeAssistant,
) -> None:
    entry = await _setup(hass)
    later = (NOW_DT - timedelta(minutes=55)).isoformat()
    await ingest(hass, ULTRA_RECHARGED, sender="6700")
    response = await ingest(hass, ULTRA_RECHARGED, sender="6700", received_at=later)
    assert "payment:payment_already_recorded" in response["not_applied"]
    assert len(records(entry, ULTRA)) == 1


async def test_times_without_a_zone_are_local_and_imap_dates_may_be_text(
    hass: HomeAssistant,
) -> None:
    entry = await _setup(hass, **{CONF_LISTEN_IMAP: True})
    response = await ingest(hass, ULTRA_BALANCE, sender="6700", received_at="2026-11-25T20:00:00")
    assert response["changed"] == ["balance", "plan_expiry"]
    data = imap_event(TELLO_RENEWED, "noreply@tello.com", "Tello", NOW_DT)
    data["date"] = (NOW_DT - timedelta(minutes=1)).isoformat()
    hass.bus.async_fire("imap_content", data)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(records(entry, TELLO)) == 1


async def test_the_options_turn_the_listeners_on(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    fields = {str(key) for key in result["data_schema"].schema}
    assert {"listen_imap", "listen_netgear_lte", "message_senders"} <= fields
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "scan_interval": 60,
            "warn_days": 7,
            "listen_imap": False,
            "listen_netgear_lte": True,
            "message_senders": " 6700 ",
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert {k: v for k, v in entry.options.items() if k != "new_numbers"} == {
        "scan_interval": 60,
        "warn_days": 7,
        "listen_imap": False,
        "listen_netgear_lte": True,
        "message_senders": "6700",
    }
    data = {"host": "h", "sms_id": 9, "from": "6700", "message": ULTRA_BALANCE}
    hass.bus.async_fire("netgear_lte_sms", data)
    hass.bus.async_fire("netgear_lte_sms", {**data, "sms_id": 10, "from": "Tello"})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "sensor.ultra_balance") == "4.25"


async def test_api_accounts_have_no_message_options(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, demo_entry)
    result = await hass.config_entries.options.async_init(demo_entry.entry_id)
    assert "listen_imap" not in {str(key) for key in result["data_schema"].schema}
