"""The template's firmwareVersionPattern and firmwareUpgrade.versionUpgrade (keys of the
TypeScript simulator 4.x): which version an UpdateFirmware (OCPP 1.6 section 5.19) installs,
and InstallationFailed when it does not match the pattern. On a virtual clock against the
in-memory CSMS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulator.config_error import ConfigError
from simulator.station.ocpp16.firmware_management import (
    SEMVER_PATTERN,
    raised_version,
    update_firmware,
)
from simulator.template_model import load_template
from tests.offline_station import OfflineStation, make_station, shutdown
from tests.virtual_clock import VirtualClock

# No reboot after Installed: the in-memory CSMS has no connection to boot on again.
QUICK = {"downloadSeconds": 1, "installSeconds": 1, "reset": False}


async def run_update(station: OfflineStation, clock: VirtualClock, location: str) -> list[str]:
    """The FirmwareStatusNotification statuses of one UpdateFirmware whose retrieveDate has
    passed."""
    await update_firmware(station, {"location": location, "retrieveDate": "2020-01-01T00:00:00Z"})
    await clock.run_for(10)
    return [p["status"] for p in station.csms.of("FirmwareStatusNotification")]


@pytest.mark.key("firmwareUpgrade.versionUpgrade.step")
def test_version_upgrade_raises_the_patch_level_by_default() -> None:
    """The TS simulator's rule: as many groups as the version has parts, the last + step."""
    assert raised_version("1.2.3", SEMVER_PATTERN, None, 1) == "1.2.4"


@pytest.mark.key("firmwareUpgrade.versionUpgrade.patternGroup")
def test_version_upgrade_pattern_group_chooses_the_part_raised() -> None:
    assert raised_version("1.2.3", SEMVER_PATTERN, 2, 1) == "1.3"
    assert raised_version("1.2.3", SEMVER_PATTERN, 1, 2) == "3"


def test_a_version_the_pattern_does_not_match_is_not_raised() -> None:
    assert raised_version("evsim-1.2", SEMVER_PATTERN, None, 1) is None


@pytest.mark.key("firmwareVersionPattern")
def test_a_firmware_version_pattern_that_is_no_regular_expression_is_a_template_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.json"
    path.write_text('{"firmwareVersionPattern": "(1"}')
    with pytest.raises(ConfigError, match="firmwareVersionPattern"):
        load_template(path)


@pytest.mark.key("firmwareVersionPattern")
async def test_a_version_not_matching_the_pattern_fails_the_installation(tmp_path: Path) -> None:
    """Section 5.19 / 4.5: Downloading, Downloaded, Installing, then InstallationFailed; the
    station keeps its firmware."""
    clock = VirtualClock()
    station = make_station(
        tmp_path,
        clock=clock,
        firmwareVersion="1.0.0",
        firmwareVersionPattern=r"^\d+\.\d+\.\d+$",
        firmwareUpgrade=QUICK,
    )
    try:
        statuses = await run_update(station, clock, "http://fw.example.com/evsim-2.0.0.bin")
        assert statuses == ["Downloading", "Downloaded", "Installing", "InstallationFailed"]
        assert station.firmware_version == "1.0.0"
    finally:
        await shutdown(station)


@pytest.mark.key("firmwareVersionPattern")
async def test_a_version_matching_the_pattern_is_installed(tmp_path: Path) -> None:
    clock = VirtualClock()
    station = make_station(
        tmp_path,
        clock=clock,
        firmwareVersion="1.0.0",
        firmwareVersionPattern=r"^\d+\.\d+\.\d+$",
        firmwareUpgrade=QUICK,
    )
    try:
        statuses = await run_update(station, clock, "http://fw.example.com/2.0.0.bin")
        assert statuses[-1] == "Installed"
        assert station.firmware_version == "2.0.0"
    finally:
        await shutdown(station)


@pytest.mark.key("firmwareUpgrade.versionUpgrade")
async def test_version_upgrade_raises_the_current_version_whatever_the_location(
    tmp_path: Path,
) -> None:
    """firmwareUpgrade.versionUpgrade: the TS simulator's new version, the current one raised
    (the location names no version there)."""
    upgrade: dict[str, Any] = {**QUICK, "versionUpgrade": {"patternGroup": 2, "step": 1}}
    clock = VirtualClock()
    station = make_station(tmp_path, clock=clock, firmwareVersion="1.4.2", firmwareUpgrade=upgrade)
    try:
        statuses = await run_update(station, clock, "http://fw.example.com/latest.bin")
        assert statuses[-1] == "Installed"
        assert station.firmware_version == "1.5"
    finally:
        await shutdown(station)


@pytest.mark.key("firmwareUpgrade.versionUpgrade")
async def test_version_upgrade_of_a_version_the_pattern_does_not_match_fails(
    tmp_path: Path,
) -> None:
    """Without firmwareVersionPattern, versionUpgrade reads the version as semver (the TS
    default pattern): `R12` has no group to raise, so no version to install."""
    clock = VirtualClock()
    station = make_station(
        tmp_path,
        clock=clock,
        firmwareVersion="R12",
        firmwareUpgrade={**QUICK, "versionUpgrade": {"step": 1}},
    )
    try:
        statuses = await run_update(station, clock, "http://fw.example.com/latest.bin")
        assert statuses[-1] == "InstallationFailed"
        assert station.firmware_version == "R12"
    finally:
        await shutdown(station)
