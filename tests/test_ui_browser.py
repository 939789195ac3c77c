"""The web page in a real headless Chromium (Debian's `chromium`, driven by Playwright): a user
adds stations, starts a transaction, sees it charging and stops it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright, expect

from simulator.station import station_data
from simulator.station.core.model import ConnectorState
from tests.ui_fleet import UiFleet, running_fleet

# Generous: on a fresh machine the first test also installs Debian chromium (apt-get).
pytestmark = [pytest.mark.integration, pytest.mark.process, pytest.mark.timeout(900)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADDED = 5
WAIT_MS = 20_000


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium, installed with apt-get when missing (Playwright's own browser builds
    are downloads this machine cannot make)."""
    if not CHROMIUM.exists():
        if shutil.which("apt-get") is None:
            pytest.skip("no /usr/bin/chromium and no apt-get to install it")
        for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
            try:
                done = subprocess.run(
                    command, check=False, capture_output=True, text=True, timeout=600
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                pytest.skip(f"cannot install chromium ({' '.join(command)}): {exc}")
            if done.returncode != 0:
                pytest.skip(f"cannot install chromium ({' '.join(command)}): {done.stderr[-300:]}")
    return CHROMIUM


@pytest_asyncio.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture
async def fleet(tmp_path: Path) -> AsyncIterator[UiFleet]:
    async with running_fleet(tmp_path, 0) as running:
        yield running


async def test_add_stations_start_a_transaction_see_it_charging_and_stop_it(
    browser: Browser, fleet: UiFleet, tmp_path: Path
) -> None:
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    await page.goto(fleet.http_url)
    await expect(page.locator("#connection")).to_have_text("WebSocket", timeout=WAIT_MS)
    await expect(page.locator("#add-template")).to_have_value("quick", timeout=WAIT_MS)

    await page.fill("#add-count", str(ADDED))
    await page.click("#add-submit")
    await expect(page.locator("#message")).to_have_text(
        f"addChargingStations: success ({ADDED})", timeout=WAIT_MS
    )
    rows = page.locator("#stations-body tr")
    await expect(rows).to_have_count(ADDED, timeout=WAIT_MS)
    await fleet.csms.wait_booted(ADDED, 30)
    first = page.locator('tr[data-station-id="CS-TEST-00001"]')
    await expect(first.locator("td").nth(4)).to_have_text("Accepted", timeout=WAIT_MS)

    await page.fill("#id-tag", "BROWSER-TAG")
    connector = first.locator('[data-connector="1"]')
    await connector.locator('button[data-action="startTransaction"]').click()
    await expect(connector.locator(".status")).to_have_text("Charging", timeout=WAIT_MS)
    await expect(connector.locator(".tx")).to_contain_text("BROWSER-TAG", timeout=WAIT_MS)
    (transaction,) = fleet.csms.report.transactions.values()
    assert (transaction.station_id, transaction.id_tag) == ("CS-TEST-00001", "BROWSER-TAG")
    await page.screenshot(path=str(tmp_path / "charging.png"), full_page=True)

    await connector.locator('button[data-action="stopTransaction"]').click()
    await expect(connector.locator(".status")).to_have_text("Available", timeout=WAIT_MS)
    await fleet.csms.wait_until(lambda: transaction.stopped, 20, "StopTransaction at the CSMS")
    await page.screenshot(path=str(tmp_path / "stopped.png"), full_page=True)
    assert (tmp_path / "charging.png").stat().st_size > 0


async def test_the_filter_shows_only_matching_stations(browser: Browser, fleet: UiFleet) -> None:
    response = await fleet.supervisor.add_stations("quick", 3, {})
    assert len(response.placed) == 3
    page = await browser.new_page()
    await page.goto(fleet.http_url)
    rows = page.locator("#stations-body tr")
    await expect(rows).to_have_count(3, timeout=WAIT_MS)
    await page.fill("#filter", "00002")
    await expect(rows).to_have_count(1, timeout=WAIT_MS)
    await expect(rows.first).to_have_attribute("data-station-id", "CS-TEST-00002")


async def test_with_protocol_basic_auth_the_page_asks_for_credentials_then_connects(
    browser: Browser, tmp_path: Path
) -> None:
    authentication = {
        "enabled": True,
        "type": "protocol-basic-auth",
        "username": "operator",
        "password": "s3cret",
    }
    async with running_fleet(tmp_path, 2, ui_server={"authentication": authentication}) as fleet:
        page = await browser.new_page()
        await page.goto(fleet.http_url)
        await expect(page.locator("#login")).to_be_visible(timeout=WAIT_MS)
        await page.fill("#login-user", "operator")
        await page.fill("#login-password", "s3cret")
        await page.click("#login button")
        await expect(page.locator("#connection")).to_have_text("WebSocket", timeout=WAIT_MS)
        await expect(page.locator("#stations-body tr")).to_have_count(2, timeout=WAIT_MS)


async def test_with_websocket_off_the_page_works_over_http(
    browser: Browser, tmp_path: Path
) -> None:
    async with running_fleet(tmp_path, 2, ui_server={"type": "http"}) as fleet:
        page = await browser.new_page()
        await page.goto(fleet.http_url)
        await expect(page.locator("#connection")).to_have_text("HTTP", timeout=WAIT_MS)
        rows = page.locator("#stations-body tr")
        await expect(rows).to_have_count(2, timeout=WAIT_MS)
        await rows.first.locator('button[data-action="closeConnection"]').click()
        await expect(rows.first.locator("td").nth(3)).to_have_text("closed", timeout=WAIT_MS)


# -- a 2.0.1 station (fake data until 2.0.1 stations run: its entry as station_data builds it) --

# EVSE 1 with connector 1, EVSE 2 with connectors 2 and 3 (station-wide ids).
LAYOUT_201 = {1: (1,), 2: (2, 3)}
HASH_201 = "hash-of-cs-201"


def station_201(connectors: dict[int, ConnectorState]) -> dict[str, Any]:
    info = {
        "hashId": HASH_201,
        "chargingStationId": "CS-201",
        "templateName": "v201",
        "ocppVersion": "2.0.1",
    }
    return {
        "stationInfo": info,
        "started": True,
        "wsState": 1,
        "bootNotificationResponse": {"status": "Accepted"},
        "connectors": [],
        "evses": station_data.evse_entries(connectors, {}, LAYOUT_201),
    }


def report(fleet: UiFleet, data: dict[str, Any]) -> None:
    """As a worker's station delta reaches the supervisor."""
    fleet.supervisor._apply({"kind": "stations", "data": {HASH_201: data}})
    fleet.supervisor._notify()


async def test_a_2_0_1_station_shows_its_ocpp_version_and_its_evses_connectors(
    browser: Browser, fleet: UiFleet
) -> None:
    report(fleet, station_201({i: ConnectorState(i) for i in range(4)}))
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    await page.goto(fleet.http_url)
    row = page.locator('tr[data-station-id="CS-201"]')
    await expect(row.locator("small.ocpp")).to_have_text("OCPP 2.0.1", timeout=WAIT_MS)
    await expect(row.locator("[data-evse]")).to_have_count(2)  # EVSE 0 is the station
    second = row.locator('[data-evse="2"]')
    await expect(second.locator(".evse-id")).to_have_text("EVSE 2")
    await expect(second.locator("div.connector")).to_have_count(2)
    third = second.locator('div.connector[data-connector="3"]')
    await expect(third.locator("span").first).to_have_text("#2")  # connector 2 of EVSE 2
    await expect(third.locator(".status")).to_have_text("Available")


async def test_an_evses_delta_updates_the_2_0_1_station_s_connector_on_the_page(
    browser: Browser, fleet: UiFleet
) -> None:
    connectors = {i: ConnectorState(i) for i in range(4)}
    report(fleet, station_201(connectors))
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    await page.goto(fleet.http_url)
    connector = page.locator('tr[data-station-id="CS-201"] div.connector[data-connector="3"]')
    await expect(connector.locator(".status")).to_have_text("Available", timeout=WAIT_MS)
    connectors[3].status, connectors[3].transaction_started = "Charging", True
    connectors[3].transaction_id_tag = "TAG-201"
    report(fleet, {"evses": station_data.evse_entries(connectors, {}, LAYOUT_201, status=occupied)})
    await expect(connector.locator(".status")).to_have_text("Occupied", timeout=WAIT_MS)
    await expect(connector.locator(".tx")).to_contain_text("TAG-201")
    await expect(connector.locator('button[data-action="stopTransaction"]')).to_have_count(1)


def occupied(core_status: str) -> str:
    """2.0.1's spelling of the core's Charging (ocpp201/status_reports.py maps them all)."""
    return "Occupied" if core_status == "Charging" else core_status
