"""What the web page costs in a headless Chromium with a large fleet: README "UI".

`python -m bench.ui_page` loads the real page (simulator/ui/static) in Debian's `chromium`
driven by Playwright (as tests/test_ui_browser.py does; `apt-get install chromium` first),
answered by a stand-in for the UI server: listChargingStations returns `--stations` copies of
a real station's entry (ChargingStation.data(), the idle profile) once; the page's WebSocket
finds no server (an .invalid host), so it uses HTTP. Then, inside the page, median of `--repeats`:

1. a page drawn: render() (filter on a word every station matches, sort, build the 50 rows of
   the current page) and the layout it causes;
2. a push applied: applyDeltas() of `--changed` stations whose connector status changed, then
   the page drawn again;
3. the floor both are put against: the same page drawn with a fleet of one page (50 stations),
   where filtering and sorting cost next to nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import tempfile
from pathlib import Path
from typing import Any

from playwright.async_api import Route, async_playwright

from bench.stations import bench_specs
from simulator.station.clock import SystemClock
from simulator.station.station import ChargingStation

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
STATIC = Path(__file__).resolve().parent.parent / "simulator" / "ui" / "static"
ORIGIN = "http://evsim-bench.invalid"
PAGE_SIZE = 50  # app.js
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}

# Runs in the page: app.js's top-level bindings (state, render, applyDeltas) are globals.
MEASURE = """
({stations, changed, repeats}) => {
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const draw = () => { render(); return document.body.offsetHeight; };
  const all = state.stations;
  const timed = (work) => {
    const times = [];
    for (let i = 0; i < repeats; i++) {
      const started = performance.now();
      work(i);
      times.push(performance.now() - started);
    }
    return median(times);
  };
  state.filter = "bench";
  const page = timed(() => draw());
  const ids = [...all.keys()].slice(0, changed);
  const push = timed((i) => {
    const status = i % 2 ? "Available" : "Charging";
    const deltas = { stations: {} };
    for (const id of ids) {
      const connectors = all.get(id).connectors.map((c) => ({
        ...c, connectorStatus: { ...c.connectorStatus, status },
      }));
      deltas.stations[id] = { connectors };
    }
    applyDeltas(deltas);
    draw();
  });
  state.stations = new Map([...all].slice(0, 50));
  const floor = timed(() => draw());
  state.stations = all;
  return { page, push, floor, shown: document.querySelectorAll("#stations-body tr").length };
}
"""


def fleet(count: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="evsim-bench-ui-") as name:
        spec = bench_specs(Path(name), "ws://127.0.0.1:9", 1)[0]
        station = ChargingStation(spec, clock=SystemClock(), on_change=lambda s, d: None)
        entry = station.data()
    stations = []
    for number in range(1, count + 1):
        copied = copy.deepcopy(entry)
        copied["stationInfo"]["chargingStationId"] = f"BENCH-{number:05d}"
        copied["stationInfo"]["hashId"] = f"{number:064x}"
        stations.append(copied)
    return stations


async def measure(stations: int, changed: int, repeats: int) -> dict[str, Any]:
    listing = json.dumps({"status": "success", "chargingStations": fleet(stations)})
    answers = {
        "listChargingStations": listing,
        "simulatorState": json.dumps({"status": "success", "state": {"started": True}}),
        "listTemplates": json.dumps({"status": "success", "templates": ["station.json"]}),
    }

    async def serve(route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN).split("?")[0]
        if path.startswith("/ui/0.0.1/"):
            procedure = path.rsplit("/", 1)[1]
            body = answers.get(procedure, '{"status": "success"}')
            if procedure == "listChargingStations":
                # Loaded once, as over WebSocket: the HTTP mode's polls (every 2 s) would
                # replace the fleet under the measurement, and pipe it through Playwright.
                answers[procedure] = '{"status": "failure", "errorMessage": "loaded once"}'
            await route.fulfill(body=body, content_type="application/json")
        elif path == "/metrics":
            await route.fulfill(body="", content_type="text/plain")
        else:
            file = STATIC / (path.lstrip("/") or "index.html")
            if file.is_file() and file.parent == STATIC:
                await route.fulfill(body=file.read_bytes(), content_type=TYPES[file.suffix])
            else:
                await route.fulfill(status=404, body="")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            await page.route(f"{ORIGIN}/**", serve)
            await page.goto(f"{ORIGIN}/", timeout=30_000)
            await page.wait_for_function(
                f"state.stations.size === {stations}", timeout=60_000, polling=200
            )
            result: dict[str, Any] = await page.evaluate(
                MEASURE, {"stations": stations, "changed": changed, "repeats": repeats}
            )
        finally:
            await browser.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--changed", type=int, default=2_000, help="stations in one push")
    parser.add_argument("--repeats", type=int, default=21, help="runs per figure (median kept)")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} not found: apt-get install chromium")
    result = asyncio.run(measure(args.stations, args.changed, args.repeats))
    print(f"headless Chromium, {args.stations:,} stations, pages of {PAGE_SIZE}")
    print(f"page drawn (filter, sort, 50 rows):      {result['page']:.1f} ms")
    print(f"push of {args.changed:,} changed stations, drawn:  {result['push']:.1f} ms")
    print(f"floor: the page drawn with 50 stations: {result['floor']:.1f} ms")
    print(
        f"page / floor: {result['page'] / result['floor']:.1f}x, "
        f"push / floor: {result['push'] / result['floor']:.1f}x ({result['shown']} rows shown)"
    )


if __name__ == "__main__":
    main()
