"""DataTransfer from the CSMS to an OCPP 2.0.1 station (P01): the vendors it knows, and that it
implements no vendor message. Requests and answers checked against the v201 schemas."""

from __future__ import annotations

import pytest

from tests.ocpp201_station_fake import Station201Fake, handle

# isort: split
# After the fake, which stands in for ocpp201/evses.py until it is merged.
from simulator.station.ocpp201.data_transfer import data_transfer


async def transfer(station: Station201Fake, vendor_id: str, **fields: str) -> str:
    answer = await handle(data_transfer, station, "DataTransfer", vendorId=vendor_id, **fields)
    return str(answer["status"])


async def test_another_vendor_is_unknown_vendor_id() -> None:
    """P01.FR.05: no implementation for that vendorId."""
    assert await transfer(Station201Fake(), "com.example.other") == "UnknownVendorId"


async def test_the_stations_own_vendor_is_accepted() -> None:
    """The template's chargePointVendor, as an evsim 1.6 station answers it."""
    assert await transfer(Station201Fake(), "evsim") == "Accepted"


async def test_a_message_of_a_known_vendor_is_unknown_message_id() -> None:
    """P01.FR.06: evsim implements no vendor message."""
    assert await transfer(Station201Fake(), "evsim", messageId="Reboot") == "UnknownMessageId"


@pytest.mark.parametrize(
    ("enabled", "status"), [("true", "Accepted"), ("false", "UnknownVendorId")]
)
async def test_a_vendor_the_device_model_enables_is_known(enabled: str, status: str) -> None:
    """CustomizationCtrlr.CustomImplementationEnabled[vendorId]."""
    station = Station201Fake()
    station.variables.values["CustomizationCtrlr.CustomImplementationEnabled.org.acme"] = enabled

    assert await transfer(station, "org.acme", data="{}") == status
