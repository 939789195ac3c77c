"""Firmware management profile (OCPP 1.6 sections 5.9 GetDiagnostics, 5.19 UpdateFirmware,
4.4 / 4.5 their status notifications).

Decisions are the pure functions at the top. The handlers answer at once and run the update /
upload in the background (`station.spawn`); file I/O runs in a thread (`asyncio.to_thread`).

An update is simulated unless its location is fetchable (file://, http(s):// on this host),
in which case the image is downloaded for real and a failed download is a real failure. The
template's `firmwareUpgrade` sets the simulated durations and an injected failure.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from simulator.station.clock import iso_timestamp
from simulator.station.file_transfer import TransferError, fetch, fetchable, upload
from simulator.station.ocpp16.ports import FirmwareStation
from simulator.station.rpc import CallFailed, ConnectionLost

if TYPE_CHECKING:
    from simulator.template_model import StationTemplate

IDLE = "Idle"
# When the CSMS leaves them out, the spec leaves attempts and interval to the station.
DEFAULT_ATTEMPTS = 1
DEFAULT_RETRY_INTERVAL_SECONDS = 60
FIRMWARE_VERSION_MAX_LENGTH = 50  # BootNotification.req firmwareVersion: CiString50Type
_IMAGE_SUFFIXES = (".tar.gz", ".bin", ".img", ".hex", ".fw", ".zip", ".tgz")
# Semantic Versioning 2.0.0 (semver.org), major, minor and patch as the first three groups: the
# TS simulator's default firmwareVersionPattern, which firmwareUpgrade.versionUpgrade raises.
_SEMVER_IDENTIFIER = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
SEMVER_PATTERN = (
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    rf"(?:-({_SEMVER_IDENTIFIER}(?:\.{_SEMVER_IDENTIFIER})*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


# -- decisions ---------------------------------------------------------------------------------


def firmware_version_from(location: str, current: str) -> str:
    """The firmwareVersion a station reports after installing the image at `location`: evsim's
    rule is the URL's last path segment without an image suffix (`.../evsim-2.1.0.bin` ->
    `evsim-2.1.0`), cut to 50 characters; the current version when the path has no segment."""
    name = PurePosixPath(unquote(urlsplit(location).path)).name
    for suffix in _IMAGE_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return name[:FIRMWARE_VERSION_MAX_LENGTH] or current


def raised_version(current: str, pattern: str, pattern_group: int | None, step: int) -> str | None:
    """The TS simulator's versionUpgrade rule: the first `pattern_group` capture groups of
    `pattern` in `current` (default: as many as `current` has dot-separated parts), the last one
    raised by `step`, joined by dots (`1.2.3`, group 3, step 1 -> `1.2.4`; group 2 -> `1.3`).
    None when `current` does not match or that group is no number."""
    match = re.search(pattern, current)
    count = pattern_group if pattern_group is not None else len(current.split("."))
    parts = list(match.groups()[:count]) if match is not None else []
    if not parts or parts[-1] is None or not parts[-1].isdigit():
        return None
    parts[-1] = str(int(parts[-1]) + step)
    return ".".join(part or "" for part in parts)


def installed_version(template: StationTemplate, location: str, current: str) -> str | None:
    """The firmwareVersion an UpdateFirmware of `location` installs: raised from `current` by
    the template's firmwareUpgrade.versionUpgrade (the TS simulator's rule, which ignores the
    location; its pattern is firmwareVersionPattern, else semver), else evsim's rule from the
    location (`firmware_version_from`). None (InstallationFailed) when there is none or it
    does not match firmwareVersionPattern (searched, as the TS simulator's RegExp.test)."""
    pattern = template.firmware_version_pattern
    upgrade = template.firmware_upgrade.version_upgrade
    if upgrade is not None:
        version = raised_version(
            current, pattern or SEMVER_PATTERN, upgrade.pattern_group, upgrade.step
        )
    else:
        version = firmware_version_from(location, current)
    if version is None or (pattern is not None and re.search(pattern, version) is None):
        return None
    return version[:FIRMWARE_VERSION_MAX_LENGTH]


def attempts(retries: int | None) -> int:
    """How many times a download / upload is tried: `retries` (section 6.55: "how many times
    Charge Point must try"), at least once."""
    return max(retries if retries is not None else DEFAULT_ATTEMPTS, 1)


def seconds_until(moment: str, now: datetime) -> float:
    """The wait until the OCPP dateTime `moment` (none when it has passed); one without a
    UTC offset is taken as UTC, as OCPP's dateTime is."""
    parsed = datetime.fromisoformat(moment)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return max((parsed - now).total_seconds(), 0.0)


def diagnostics_file_name(station_id: str, now: datetime) -> str:
    """GetDiagnostics.conf fileName (CiString255): station and moment, so uploads of several
    stations to one directory do not overwrite each other."""
    safe_id = "".join(c if c.isalnum() or c in "-_." else "_" for c in station_id)
    return f"diagnostics-{safe_id}-{now.strftime('%Y%m%dT%H%M%SZ')}.zip"[:255]


def diagnostics_archive(
    station_data: dict[str, Any],
    configuration: list[dict[str, Any]],
    request: dict[str, Any],
    created: str,
) -> bytes:
    """The diagnostics file (the spec leaves its format open): a zip of the station's state
    (`station.json`), its configuration keys (`configuration.json`) and what was asked for
    (`request.json`: location, startTime, stopTime, when). evsim keeps no log history per
    station, so there are no log lines to include."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("station.json", json.dumps(station_data, indent=2, default=str))
        archive.writestr("configuration.json", json.dumps(configuration, indent=2))
        archive.writestr("request.json", json.dumps({**request, "created": created}, indent=2))
    return buffer.getvalue()


# -- UpdateFirmware -----------------------------------------------------------------------------


async def update_firmware(station: FirmwareStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.19: UpdateFirmware.conf (empty) at once; the update follows (`_update`)."""
    station.spawn(_update(station, payload))
    return {}


async def _update(station: FirmwareStation, payload: dict[str, Any]) -> None:
    """At retrieveDate: Downloading, then Downloaded after a successful attempt (up to
    `retries` attempts `retryInterval` apart) or DownloadFailed; Installing, then Installed or
    InstallationFailed (also when the new version does not match the template's
    firmwareVersionPattern, `installed_version`); after Installed the station reboots (the
    Hard reset path; not with the template's firmwareUpgrade.reset false) and its next
    BootNotification carries the new firmwareVersion."""
    upgrade = station.template.firmware_upgrade
    location = payload["location"]
    await station.clock.sleep(seconds_until(payload["retrieveDate"], station.clock.now()))
    interval = payload.get("retryInterval", DEFAULT_RETRY_INTERVAL_SECONDS)
    await _firmware_status(station, "Downloading")
    downloaded = False
    for attempt in range(1, attempts(payload.get("retries")) + 1):
        if attempt > 1:
            await station.clock.sleep(interval)
        try:
            await _download(station, location)
            downloaded = True
            break
        except TransferError as exc:
            station.log.info("Firmware download attempt {} failed: {}", attempt, exc)
    if not downloaded:
        await _firmware_status(station, "DownloadFailed", final=True)
        return
    await _firmware_status(station, "Downloaded")
    await _firmware_status(station, "Installing")
    await station.clock.sleep(upgrade.install_seconds)
    version = installed_version(station.template, location, station.firmware_version)
    if version is None:
        station.log.info("Firmware of {} refused: no version matching the template's", location)
    if upgrade.failure_status == "InstallationFailed" or version is None:
        await _firmware_status(station, "InstallationFailed", final=True)
        return
    station.firmware_version = version
    station.station_info_changed()  # the UI shows the new version
    await _firmware_status(station, "Installed", final=True)
    station.log.info("Firmware {} installed", station.firmware_version)
    if upgrade.reset:
        await station.reset("Hard")


async def _download(station: FirmwareStation, location: str) -> None:
    """One download attempt: real for a fetchable location, else the template's delay; the
    template's DownloadFailed fails every attempt."""
    upgrade = station.template.firmware_upgrade
    if fetchable(location):
        await asyncio.to_thread(fetch, location)
    else:
        await station.clock.sleep(upgrade.download_seconds)
    if upgrade.failure_status == "DownloadFailed":
        raise TransferError(f"download of {location} failed (template firmwareUpgrade)")


async def _firmware_status(station: FirmwareStation, status: str, *, final: bool = False) -> None:
    # A final status ends the update: a later trigger reports Idle again (section 4.5).
    station.firmware_status = IDLE if final else status
    await _notify(station, "FirmwareStatusNotification", status)


async def _notify(station: FirmwareStation, action: str, status: str) -> None:
    try:
        await station.call(action, {"status": status})
    except (TimeoutError, CallFailed, ConnectionLost) as exc:  # the update / upload goes on
        station.log.info("{} {} not sent: {}", action, status, exc)


# -- GetDiagnostics -----------------------------------------------------------------------------


async def get_diagnostics(station: FirmwareStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.9: GetDiagnostics.conf names the file to be uploaded (a diagnostics file is
    always available: the station's state); the upload follows (`_upload_diagnostics`).
    startTime / stopTime are accepted and recorded in the archive."""
    now = station.clock.now()
    file_name = diagnostics_file_name(station.spec.station_id, now)
    archive = diagnostics_archive(
        station.data(), station.configuration.as_list(), payload, iso_timestamp(now)
    )
    station.spawn(_upload_diagnostics(station, payload, file_name, archive))
    return {"fileName": file_name}


async def _upload_diagnostics(
    station: FirmwareStation, payload: dict[str, Any], file_name: str, archive: bytes
) -> None:
    """Uploading, then Uploaded after a successful attempt (up to `retries` attempts
    `retryInterval` apart) or UploadFailed (errata 3.31)."""
    location = payload["location"]
    interval = payload.get("retryInterval", DEFAULT_RETRY_INTERVAL_SECONDS)
    station.diagnostics_status = "Uploading"
    await _notify(station, "DiagnosticsStatusNotification", "Uploading")
    outcome = "UploadFailed"
    for attempt in range(1, attempts(payload.get("retries")) + 1):
        if attempt > 1:
            await station.clock.sleep(interval)
        try:
            await asyncio.to_thread(upload, location, file_name, archive)
            outcome = "Uploaded"
            break
        except TransferError as exc:
            station.log.info("Diagnostics upload attempt {} failed: {}", attempt, exc)
    station.diagnostics_status = IDLE
    await _notify(station, "DiagnosticsStatusNotification", outcome)
