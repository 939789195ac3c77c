"""What a station says about itself in BootNotification.req (OCPP 1.6 section 4.2, 6.4): the
template's identity keys, as the bundled CSMS (the ocpp library, which validates every
payload against the 1.6 schemas) receives them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from simulator.config_error import ConfigError
from simulator.csms import CentralSystem
from simulator.template_model import load_template
from tests.test_station import booted, make_station
from tests.transports import EACH

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30), EACH]

TIMEOUT = 10


async def boot_payload(tmp_path: Path, **template: Any) -> dict[str, Any]:
    """The first BootNotification.req the bundled CSMS receives from a station of `template`."""
    async with CentralSystem() as csms:
        station, _changes = make_station(tmp_path, csms.url, **template)
        async with booted(station, csms):
            sid = station.spec.station_id
            [boot] = await csms.wait_received(sid, "BootNotification", TIMEOUT)
            return dict(boot.payload)


@pytest.mark.key("iccid", "imsi", "meterType")
async def test_boot_notification_carries_the_templates_meter_type_iccid_and_imsi(
    tmp_path: Path,
) -> None:
    """Section 6.4: meterType, iccid and imsi are optional fields of BootNotification.req."""
    boot = await boot_payload(
        tmp_path, meterType="Volta meter", iccid="89490200001234567890", imsi="262011234567890"
    )
    assert boot["meterType"] == "Volta meter"
    assert boot["iccid"] == "89490200001234567890"
    assert boot["imsi"] == "262011234567890"


@pytest.mark.key("meterType")
async def test_boot_notification_leaves_out_the_identity_fields_a_template_does_not_set(
    tmp_path: Path,
) -> None:
    boot = await boot_payload(tmp_path)
    absent = {"meterType", "iccid", "imsi", "chargeBoxSerialNumber", "meterSerialNumber"}
    assert absent.isdisjoint(boot)


@pytest.mark.key("chargeBoxSerialNumberPrefix", "meterSerialNumberPrefix")
async def test_boot_notification_serial_numbers_start_with_their_template_prefixes(
    tmp_path: Path,
) -> None:
    """chargeBoxSerialNumberPrefix and meterSerialNumberPrefix, completed as the charge point
    serial number is (a suffix from the run seed and the station id)."""
    boot = await boot_payload(
        tmp_path, chargeBoxSerialNumberPrefix="CB-", meterSerialNumberPrefix="MTR-"
    )
    assert boot["chargeBoxSerialNumber"].startswith("CB-")
    assert len(boot["chargeBoxSerialNumber"]) > len("CB-")
    assert boot["meterSerialNumber"].startswith("MTR-")
    assert len(boot["meterSerialNumber"]) > len("MTR-")


@pytest.mark.key("iccid", "imsi")
@pytest.mark.parametrize(
    ("key", "length"), [("meterType", 26), ("iccid", 21), ("imsi", 21)], ids=str
)
def test_an_identity_field_longer_than_boot_notification_allows_is_a_template_error(
    tmp_path: Path, key: str, length: int
) -> None:
    """Section 6.4: meterType is CiString25Type, iccid and imsi CiString20Type."""
    path = tmp_path / "t.json"
    path.write_text(json.dumps({key: "9" * length}))
    with pytest.raises(ConfigError) as error:
        load_template(path)
    assert error.value.key == key
