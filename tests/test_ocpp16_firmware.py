"""Firmware management profile (OCPP 1.6 sections 4.4, 4.5, 5.9, 5.19) between a station and
the bundled CSMS; firmware and diagnostics files move through tmp_path or a small HTTP server
on 127.0.0.1."""

from __future__ import annotations

import io
import json
import socket
import socketserver
import threading
import zipfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from ocpp.v16 import call, call_result

from simulator.csms import CentralSystem
from simulator.station.ocpp16.firmware_management import (
    attempts,
    diagnostics_file_name,
    firmware_version_from,
    seconds_until,
)
from simulator.station.station import ChargingStation
from tests.test_station import booted, make_station

pytestmark = pytest.mark.integration

TIMEOUT = 10
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
# Short simulated durations: each update takes a fraction of a second.
QUICK_UPGRADE = {"downloadSeconds": 0.05, "installSeconds": 0.05}


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60) as central:
        yield central


class FileServer:
    """The far side of a transfer: an HTTP server on 127.0.0.1 (ephemeral port, own thread)
    that answers GET with `firmware` and stores PUT bodies, or answers `status` to both;
    while `release` is clear, both wait (a transfer in progress)."""

    def __init__(self) -> None:
        self.firmware = b"firmware image"
        self.status = 200
        self.uploads: dict[str, bytes] = {}
        self.requests: list[str] = []
        # Cleared to hold PUTs until the test sets it (an upload in progress).
        self.release = threading.Event()
        self.release.set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(f"GET {self.path}")
                server.release.wait(TIMEOUT)
                self._answer(server.firmware)

            def do_PUT(self) -> None:
                server.requests.append(f"PUT {self.path}")
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.release.wait(TIMEOUT)
                if server.status == 200:
                    server.uploads[self.path] = body
                self._answer(b"")

            def _answer(self, body: bytes) -> None:
                self.send_response(server.status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass  # keeps the test output clean

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(TIMEOUT)


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    with FileServer() as server:
        yield server


class FtpServer:
    """The far side of an ftp:// upload: the few commands ftplib's login, cwd and storbinary
    send (passive mode), on 127.0.0.1 (ephemeral port, own thread); stored files land in
    `files` by their path, with the login that sent them in `logins`."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.logins: list[str] = []
        server = self

        class Session(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                directory, user, passive = "/", "", None
                self.reply("220 ready")
                while line := self.rfile.readline().decode().strip():
                    command, _, argument = line.partition(" ")
                    command = command.upper()
                    if command == "USER":
                        user = argument
                        self.reply("331 password please")
                    elif command == "PASS":
                        server.logins.append(f"{user}:{argument}")
                        self.reply("230 logged in")
                    elif command == "CWD":
                        directory = argument
                        self.reply("250 ok")
                    elif command == "TYPE":
                        self.reply("200 ok")
                    elif command == "PASV":
                        passive = socket.create_server(("127.0.0.1", 0))
                        port = passive.getsockname()[1]
                        self.reply(f"227 passive (127,0,0,1,{port >> 8},{port & 255})")
                    elif command == "STOR" and passive is not None:
                        self.reply("150 send it")
                        passive.settimeout(TIMEOUT)
                        data, _ = passive.accept()
                        with data, data.makefile("rb") as stream:
                            server.files[f"{directory.rstrip('/')}/{argument}"] = stream.read()
                        passive.close()
                        self.reply("226 stored")
                    elif command == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not here")

            def reply(self, text: str) -> None:
                self.wfile.write(f"{text}\r\n".encode())

        self._tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Session)
        self._tcp.daemon_threads = True
        self.url = f"ftp://evsim:secret@127.0.0.1:{self._tcp.server_address[1]}"
        self._thread = threading.Thread(target=self._tcp.serve_forever, daemon=True)

    def __enter__(self) -> FtpServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._tcp.shutdown()
        self._tcp.server_close()
        self._thread.join(TIMEOUT)


def statuses(csms: CentralSystem, station: ChargingStation, action: str) -> list[str]:
    return [m.payload["status"] for m in csms.received(station.spec.station_id, action)]


def update(location: str, **fields: Any) -> call.UpdateFirmware:
    """An UpdateFirmware.req whose retrieveDate has passed: the download starts at once."""
    retrieve = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    return call.UpdateFirmware(location=location, retrieve_date=retrieve, **fields)


def archive_entries(data: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


# -- decisions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "version"),
    [
        ("http://fw.example.com/images/evsim-2.1.0.bin", "evsim-2.1.0"),
        ("ftp://fw.example.com/2.1.0", "2.1.0"),
        ("file:///srv/fw/evsim%202.tar.gz", "evsim 2"),
        ("http://fw.example.com/", "1.0.0"),
    ],
)
def test_the_new_firmware_version_is_the_locations_last_path_segment(
    location: str, version: str
) -> None:
    assert firmware_version_from(location, "1.0.0") == version


def test_the_firmware_version_fits_boot_notifications_fifty_characters() -> None:
    assert firmware_version_from("http://x/" + "v" * 80, "1") == "v" * 50


def test_retries_count_attempts_and_at_least_one_is_made() -> None:
    """Section 6.55: retries is how many times the station tries."""
    assert [attempts(None), attempts(0), attempts(3)] == [1, 1, 3]


def test_the_download_waits_until_retrieve_date_and_no_longer() -> None:
    """Section 5.19 (errata 3.63): retrieveDate is when the station may start retrieving."""
    assert seconds_until("2026-01-01T12:01:30Z", NOW) == 90
    assert seconds_until("2026-01-01T12:01:30", NOW) == 90  # no offset: UTC
    assert seconds_until("2026-01-01T11:58:30+00:00", NOW) == 0


def test_diagnostics_file_names_are_per_station_and_moment() -> None:
    assert diagnostics_file_name("CS/1", NOW) == "diagnostics-CS_1-20260101T120000Z.zip"


# -- UpdateFirmware (section 5.19) --------------------------------------------------------------


@pytest.mark.key("firmwareVersion", "firmwareUpgrade.reset")
async def test_update_firmware_downloads_installs_and_reboots_with_the_new_version(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.19, errata 3.47: UpdateFirmware.conf; FirmwareStatusNotification Downloading,
    Downloaded, Installing, Installed; then a reboot whose BootNotification carries the new
    firmwareVersion (the location's last path segment)."""
    station, changes = make_station(
        tmp_path, csms.url, firmwareVersion="1.0.0", resetTime=0, firmwareUpgrade=QUICK_UPGRADE
    )
    async with booted(station, csms):
        sid = station.spec.station_id
        answer = await csms.call(sid, update("http://fw.example.com/evsim-2.0.0.bin"))
        assert answer == call_result.UpdateFirmware()  # an empty UpdateFirmware.conf
        boots = await csms.wait_received(sid, "BootNotification", TIMEOUT, 2)
        assert statuses(csms, station, "FirmwareStatusNotification") == [
            "Downloading",
            "Downloaded",
            "Installing",
            "Installed",
        ]
        assert [b.payload["firmwareVersion"] for b in boots] == ["1.0.0", "evsim-2.0.0"]
        assert station.data()["stationInfo"]["firmwareVersion"] == "evsim-2.0.0"
        shown = [d["stationInfo"]["firmwareVersion"] for d in changes.deltas if "stationInfo" in d]
        assert shown[-1:] == ["evsim-2.0.0"]  # the UI learns the new version


async def test_firmware_on_a_local_server_is_downloaded_for_real(
    tmp_path: Path, csms: CentralSystem, file_server: FileServer
) -> None:
    """Section 5.19: an http:// location on 127.0.0.1 is fetched (GET) before Downloaded."""
    station, _ = make_station(tmp_path, csms.url, resetTime=0, firmwareUpgrade=QUICK_UPGRADE)
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.call(sid, update(f"{file_server.url}/fw/3.0"))
        await csms.wait_received(sid, "BootNotification", TIMEOUT, 2)
        assert file_server.requests == ["GET /fw/3.0"]
        assert csms.received(sid, "BootNotification")[-1].payload["firmwareVersion"] == "3.0"


async def test_a_failing_download_is_retried_then_reported_download_failed(
    tmp_path: Path, csms: CentralSystem, file_server: FileServer
) -> None:
    """Section 5.19 / 6.55: `retries` attempts `retryInterval` apart, then DownloadFailed; no
    installation, no reboot."""
    file_server.status = 404
    station, _ = make_station(
        tmp_path, csms.url, firmwareVersion="1.0.0", firmwareUpgrade=QUICK_UPGRADE
    )
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.call(sid, update(f"{file_server.url}/fw/2.0", retries=3, retry_interval=0))
        await csms.wait_received(sid, "FirmwareStatusNotification", TIMEOUT, 2)
        assert statuses(csms, station, "FirmwareStatusNotification") == [
            "Downloading",
            "DownloadFailed",
        ]
        assert file_server.requests == ["GET /fw/2.0"] * 3
        assert len(csms.received(sid, "BootNotification")) == 1
        assert station.firmware_version == "1.0.0"


@pytest.mark.key("firmwareUpgrade", "firmwareUpgrade.failureStatus")
async def test_template_injected_download_failure(tmp_path: Path, csms: CentralSystem) -> None:
    """Template firmwareUpgrade.failureStatus DownloadFailed: every attempt fails."""
    station, _ = make_station(
        tmp_path, csms.url, firmwareUpgrade={**QUICK_UPGRADE, "failureStatus": "DownloadFailed"}
    )
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.call(sid, update("http://fw.example.com/2.0", retries=2, retry_interval=0))
        await csms.wait_received(sid, "FirmwareStatusNotification", TIMEOUT, 2)
        assert statuses(csms, station, "FirmwareStatusNotification") == [
            "Downloading",
            "DownloadFailed",
        ]


@pytest.mark.key("firmwareUpgrade.failureStatus")
async def test_template_injected_installation_failure_keeps_the_old_firmware(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Template firmwareUpgrade.failureStatus InstallationFailed: Downloading, Downloaded,
    Installing, InstallationFailed; no reboot, the version stays."""
    station, _ = make_station(
        tmp_path,
        csms.url,
        firmwareVersion="1.0.0",
        firmwareUpgrade={**QUICK_UPGRADE, "failureStatus": "InstallationFailed"},
    )
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.call(sid, update("http://fw.example.com/2.0"))
        await csms.wait_received(sid, "FirmwareStatusNotification", TIMEOUT, 4)
        assert statuses(csms, station, "FirmwareStatusNotification") == [
            "Downloading",
            "Downloaded",
            "Installing",
            "InstallationFailed",
        ]
        assert len(csms.received(sid, "BootNotification")) == 1
        assert station.firmware_version == "1.0.0"


async def test_triggered_firmware_status_reports_the_running_update_then_idle(
    tmp_path: Path, csms: CentralSystem, file_server: FileServer
) -> None:
    """Sections 4.5 and 5.17: a triggered FirmwareStatusNotification carries the update's
    status while it runs (Downloading), Idle once it ended."""
    file_server.release.clear()  # the download waits in the server until the test lets it go
    station, _ = make_station(
        tmp_path, csms.url, firmwareUpgrade={**QUICK_UPGRADE, "failureStatus": "InstallationFailed"}
    )
    async with booted(station, csms):
        sid = station.spec.station_id
        trigger = call.TriggerMessage(requested_message="FirmwareStatusNotification")
        await csms.call(sid, update(f"{file_server.url}/fw/2.0"))
        await csms.wait_received(sid, "FirmwareStatusNotification", TIMEOUT, 1)
        assert (await csms.call(sid, trigger)).status == "Accepted"
        await csms.wait_received(sid, "FirmwareStatusNotification", TIMEOUT, 2)
        file_server.release.set()
        await csms.wait_received(sid, "FirmwareStatusNotification", TIMEOUT, 5)
        await csms.call(sid, trigger)
        await csms.wait_received(sid, "FirmwareStatusNotification", TIMEOUT, 6)
        assert statuses(csms, station, "FirmwareStatusNotification") == [
            "Downloading",
            "Downloading",  # triggered
            "Downloaded",
            "Installing",
            "InstallationFailed",
            "Idle",  # triggered
        ]


# -- GetDiagnostics (section 5.9) ---------------------------------------------------------------


async def test_get_diagnostics_writes_the_archive_to_a_file_location(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.9, errata 3.31: GetDiagnostics.conf names the file; DiagnosticsStatusNotification
    Uploading then Uploaded; the archive holds the station's state and configuration, and the
    requested startTime / stopTime."""
    station, _ = make_station(tmp_path, csms.url)
    target = tmp_path / "uploads"
    async with booted(station, csms):
        sid = station.spec.station_id
        answer = await csms.call(
            sid,
            call.GetDiagnostics(
                location=target.as_uri(),
                start_time="2026-01-01T00:00:00Z",
                stop_time="2026-01-02T00:00:00Z",
            ),
        )
        await csms.wait_received(sid, "DiagnosticsStatusNotification", TIMEOUT, 2)
        assert statuses(csms, station, "DiagnosticsStatusNotification") == ["Uploading", "Uploaded"]
    assert answer.file_name.startswith(f"diagnostics-{sid}-")
    entries = archive_entries((target / answer.file_name).read_bytes())
    assert entries["station.json"]["stationInfo"]["chargingStationId"] == sid
    assert "HeartbeatInterval" in {key["key"] for key in entries["configuration.json"]}
    assert entries["request.json"]["startTime"] == "2026-01-01T00:00:00Z"
    assert entries["request.json"]["stopTime"] == "2026-01-02T00:00:00Z"


async def test_get_diagnostics_puts_the_archive_to_an_http_location(
    tmp_path: Path, csms: CentralSystem, file_server: FileServer
) -> None:
    """Section 5.9: an http:// location gets the file by PUT, under its name; a triggered
    DiagnosticsStatusNotification during the upload says Uploading (section 4.4)."""
    file_server.release.clear()  # the upload waits in the server until the test lets it go
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        answer = await csms.call(sid, call.GetDiagnostics(location=f"{file_server.url}/diag/"))
        await csms.wait_received(sid, "DiagnosticsStatusNotification", TIMEOUT, 1)
        trigger = call.TriggerMessage(requested_message="DiagnosticsStatusNotification")
        assert (await csms.call(sid, trigger)).status == "Accepted"
        await csms.wait_received(sid, "DiagnosticsStatusNotification", TIMEOUT, 2)
        file_server.release.set()
        await csms.wait_received(sid, "DiagnosticsStatusNotification", TIMEOUT, 3)
        assert statuses(csms, station, "DiagnosticsStatusNotification") == [
            "Uploading",
            "Uploading",  # triggered
            "Uploaded",
        ]
    uploaded = file_server.uploads[f"/diag/{answer.file_name}"]
    assert archive_entries(uploaded)["station.json"]["stationInfo"]["chargingStationId"] == sid


async def test_a_refused_upload_is_retried_then_reported_upload_failed(
    tmp_path: Path, csms: CentralSystem, file_server: FileServer
) -> None:
    """Section 5.9 / 6.23: `retries` attempts `retryInterval` apart, then UploadFailed."""
    file_server.status = 500
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.call(
            sid, call.GetDiagnostics(location=file_server.url, retries=2, retry_interval=0)
        )
        await csms.wait_received(sid, "DiagnosticsStatusNotification", TIMEOUT, 2)
        assert statuses(csms, station, "DiagnosticsStatusNotification") == [
            "Uploading",
            "UploadFailed",
        ]
        assert len(file_server.requests) == 2


async def test_get_diagnostics_stores_the_archive_on_an_ftp_location(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.9: an ftp:// location gets the file by STOR in the location's directory,
    logged in with the URL's credentials."""
    station, _ = make_station(tmp_path, csms.url)
    with FtpServer() as ftp:
        async with booted(station, csms):
            sid = station.spec.station_id
            answer = await csms.call(sid, call.GetDiagnostics(location=f"{ftp.url}/diag"))
            await csms.wait_received(sid, "DiagnosticsStatusNotification", TIMEOUT, 2)
            assert statuses(csms, station, "DiagnosticsStatusNotification") == [
                "Uploading",
                "Uploaded",
            ]
    assert ftp.logins == ["evsim:secret"]
    stored = ftp.files[f"/diag/{answer.file_name}"]
    assert archive_entries(stored)["station.json"]["stationInfo"]["chargingStationId"] == sid
