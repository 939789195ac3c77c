"""The version-neutral UI intents (simulator/station/intents.py, STATION-CORE.md 3.6) against a
fake station: a local start goes through the station's `start_local`, whatever its version,
and a key change through its key store. No socket, no ChargingStation; what a 1.6 station does
with them is test_ui_procedures.py's."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.station import intents
from simulator.station.core.errors import NotAuthorized, TransactionError
from simulator.station.core.tokens import IdToken, TokenStatus, Verdict
from simulator.station.keystore import KeyStore, StoredKey


class FakeStation:
    """The members the two intents below use."""

    def __init__(self, refusal: Exception | None = None) -> None:
        self.refusal = refusal
        self.starts: list[tuple[int, IdToken]] = []
        self.configuration = KeyStore(
            [StoredKey("Interval", "60"), StoredKey("Url", "ws://a", reboot=True)],
            rule=lambda key, value, get: value.isdigit() or key == "Url",
        )
        self.changed: list[str] = []

    async def start_local(self, connector_id: int, token: IdToken) -> Verdict:
        self.starts.append((connector_id, token))
        if self.refusal is not None:
            raise self.refusal
        return Verdict(TokenStatus.ACCEPTED, {})

    def configuration_changed(self, key: str) -> None:
        self.changed.append(key)


async def start(station: FakeStation, **payload: Any) -> None:
    await intents.start_transaction(station, payload)  # type: ignore[arg-type]


async def change(station: FakeStation, key: str, value: str) -> None:
    await intents.change_configuration(station, {"key": key, "value": value})  # type: ignore[arg-type]


async def test_a_local_start_asks_the_station_for_the_connector_and_the_token() -> None:
    station = FakeStation()
    await start(station, connectorId="2", idTag="TAG-1")
    assert station.starts == [(2, IdToken("TAG-1"))]


async def test_a_start_made_offline_is_no_failure() -> None:
    """Its start message waits in the queue (OCPP 1.6 section 3.7): the verdict has no status."""
    station = FakeStation()

    async def offline(connector_id: int, token: IdToken) -> Verdict:
        return Verdict(None)

    station.start_local = offline  # type: ignore[method-assign]
    await start(station, connectorId=1, idTag="TAG-1")


async def test_a_token_refused_at_the_start_fails_with_the_station_s_reason() -> None:
    station = FakeStation(NotAuthorized("StartTransaction: Invalid"))
    with pytest.raises(PermissionError) as failed:
        await start(station, connectorId=1, idTag="TAG-1")
    assert str(failed.value) == "StartTransaction: Invalid"


async def test_a_start_the_connector_does_not_allow_fails_as_the_station_raised_it() -> None:
    station = FakeStation(TransactionError("connector 1 already has a transaction"))
    with pytest.raises(TransactionError, match="already has a transaction"):
        await start(station, connectorId=1, idTag="TAG-1")


async def test_a_key_change_the_store_applies_now_or_at_reboot_succeeds() -> None:
    station = FakeStation()
    await change(station, "Interval", "30")
    await change(station, "Url", "ws://b")
    assert (station.configuration.get("Interval"), station.configuration.get("Url")) == (
        "30",
        "ws://b",
    )
    assert station.changed == ["Interval", "Url"]


@pytest.mark.parametrize(
    ("key", "value", "status"), [("Interval", "soon", "Rejected"), ("Warp", "1", "NotSupported")]
)
async def test_a_key_change_the_store_refuses_fails_with_its_status(
    key: str, value: str, status: str
) -> None:
    station = FakeStation()
    with pytest.raises(intents.Refused, match=f"^{key}: {status}$"):
        await change(station, key, value)
