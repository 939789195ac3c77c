// evsim's web page: speaks the UI protocol ui0.0.1 to the server that served it.
// WebSocket first (requests, pushed station deltas); plain HTTP POST and polling when the server
// has WebSocket off (uiServer.type "http"). The fleet lives in a Map updated by deltas; only the
// current page of the filtered list is rendered, so 10,000 stations stay fast.
"use strict";

const PROTOCOL = "ui0.0.1";
const PAGE_SIZE = 50;
const POLL_MS = 2000;
const CHART_POINTS = 90;

const state = {
  stations: new Map(), // hashId -> ChargingStationData
  filter: "",
  page: 0,
  socket: null,
  pending: new Map(), // uuid -> resolve
  credentials: null, // [user, password] for protocol-basic-auth
  useHttp: false,
  renderQueued: false,
  samples: [], // {t, calls, buckets} from /metrics
  series: [], // {rate, p99}
};

const $ = (id) => document.getElementById(id);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "className") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

// -- transport ---------------------------------------------------------------------------------

function basicToken(urlsafe) {
  const [user, password] = state.credentials;
  const token = btoa(unescape(encodeURIComponent(`${user}:${password}`)));
  return urlsafe ? token.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "") : token;
}

function connect() {
  return new Promise((resolve) => {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const protocols = [PROTOCOL];
    if (state.credentials) protocols.push(`authorization.basic.${basicToken(true)}`);
    let opened = false;
    const socket = new WebSocket(`${scheme}//${location.host}/`, protocols);
    socket.onopen = () => {
      opened = true;
      state.socket = socket;
      state.useHttp = false;
      setConnection(true, "WebSocket");
      resolve(true);
    };
    socket.onmessage = (event) => onFrame(JSON.parse(event.data));
    socket.onclose = () => {
      state.socket = null;
      for (const resolvePending of state.pending.values()) {
        resolvePending({ status: "failure", errorMessage: "connection closed" });
      }
      state.pending.clear();
      if (!opened) {
        resolve(false);
        return;
      }
      setConnection(false, "reconnecting…");
      setTimeout(start, 1000);
    };
  });
}

function onFrame(frame) {
  if (frame.length === 2 && typeof frame[0] === "string" && state.pending.has(frame[0])) {
    const resolve = state.pending.get(frame[0]);
    state.pending.delete(frame[0]);
    resolve(frame[1]);
  } else if (frame[0] === "stationDeltas") {
    applyDeltas(frame[1]);
  }
  // ["refresh"] needs nothing: this page subscribed to the deltas themselves.
}

async function call(procedure, payload = {}) {
  if (state.socket && !state.useHttp) {
    const uuid = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
    return new Promise((resolve) => {
      state.pending.set(uuid, resolve);
      state.socket.send(JSON.stringify([uuid, procedure, payload]));
    });
  }
  const headers = { "Content-Type": "application/json" };
  if (state.credentials) headers.Authorization = `Basic ${basicToken(false)}`;
  const response = await fetch(`/ui/0.0.1/${procedure}`, {
    method: "POST",
    headers,
    body: JSON.stringify(payload),
  });
  try {
    return await response.json();
  } catch {
    return { status: "failure", errorMessage: `HTTP ${response.status}` };
  }
}

function setConnection(on, text) {
  const badge = $("connection");
  badge.textContent = text;
  badge.className = `badge ${on ? "on" : "off"}`;
}

function showResult(procedure, response) {
  const message = $("message");
  if (response.status === "success") {
    const count = response.hashIdsSucceeded ? ` (${response.hashIdsSucceeded.length})` : "";
    message.textContent = `${procedure}: success${count}`;
    message.className = "success";
  } else {
    const failed = (response.responsesFailed || []).map((f) => f.error).join("; ");
    message.textContent = `${procedure}: ${response.errorMessage || failed || "failure"}`;
    message.className = "failure";
  }
}

async function act(procedure, payload = {}) {
  const response = await call(procedure, payload);
  showResult(procedure, response);
  if (state.useHttp) await reload();
  return response;
}

// -- the fleet ---------------------------------------------------------------------------------

async function reload() {
  const response = await call("listChargingStations");
  if (response.status !== "success") return;
  state.stations = new Map(response.chargingStations.map((s) => [s.stationInfo.hashId, s]));
  queueRender();
}

function applyDeltas(deltas) {
  for (const [hashId, delta] of Object.entries(deltas.stations || {})) {
    const known = state.stations.get(hashId);
    if (known) Object.assign(known, delta);
    else if (delta.stationInfo) state.stations.set(hashId, delta);
  }
  for (const hashId of deltas.removed || []) state.stations.delete(hashId);
  queueRender();
}

async function refreshState() {
  const response = await call("simulatorState");
  if (response.status !== "success") return;
  const badge = $("simulator-state");
  badge.textContent = response.state.started ? "started" : "stopped";
  badge.className = `badge ${response.state.started ? "on" : "off"}`;
}

async function loadTemplates() {
  const response = await call("listTemplates");
  const select = $("add-template");
  select.replaceChildren(...(response.templates || []).map((name) => el("option", { value: name }, name)));
}

// -- rendering ---------------------------------------------------------------------------------

const WS_STATES = ["connecting", "open", "closing", "closed"];

// A 1.6 station lists its connectors under `connectors`; a 2.0.1 station under its EVSEs
// (`evses`, as the TypeScript simulator's: {evseId, evseStatus: {availability, connectors}}),
// EVSE 0 being the station itself. Connector ids are station-wide in both.
function evsesOf(station) {
  return (station.evses || []).filter((e) => e.evseId > 0);
}

function physicalConnectors(station) {
  const own = (station.connectors || []).filter((c) => c.connectorId > 0);
  return own.concat(...evsesOf(station).map((e) => e.evseStatus.connectors));
}

function searchText(station) {
  const info = station.stationInfo;
  const statuses = physicalConnectors(station).map((c) => c.connectorStatus.status).join(" ");
  return (
    `${info.chargingStationId} ${info.hashId} ${info.templateName} ` +
    `ocpp${info.ocppVersion} ${statuses}`
  ).toLowerCase();
}

function filtered() {
  const words = state.filter.toLowerCase().split(/\s+/).filter(Boolean);
  const stations = [...state.stations.values()];
  const matching = words.length
    ? stations.filter((s) => {
        const text = searchText(s);
        return words.every((w) => text.includes(w));
      })
    : stations;
  return matching.sort((a, b) =>
    a.stationInfo.chargingStationId.localeCompare(b.stationInfo.chargingStationId),
  );
}

function queueRender() {
  if (state.renderQueued) return;
  state.renderQueued = true;
  requestAnimationFrame(() => {
    state.renderQueued = false;
    render();
  });
}

function render() {
  const stations = filtered();
  const pages = Math.max(1, Math.ceil(stations.length / PAGE_SIZE));
  state.page = Math.min(state.page, pages - 1);
  const shown = stations.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE);
  $("page-info").textContent = `${state.page + 1} / ${pages}`;
  $("count").textContent = `${stations.length} of ${state.stations.size} stations`;
  $("stations-body").replaceChildren(...shown.map(stationRow));
}

function button(label, action, hashId, extra = {}) {
  const attributes = { type: "button", "data-action": action, "data-hash-id": hashId };
  for (const [key, value] of Object.entries(extra)) attributes[`data-${key}`] = String(value);
  return el("button", attributes, label);
}

// A connector entry is the TypeScript simulator's {connectorId, connectorStatus}: the status,
// the lock and the running transaction are all in connectorStatus.
function connectorLine(hashId, connector, label = `#${connector.connectorId}`) {
  const cs = connector.connectorStatus;
  const id = connector.connectorId;
  const transaction = cs.transactionStarted
    ? el(
        "span",
        { className: "tx" },
        `tx ${cs.transactionId ?? "…"} ${cs.transactionIdTag || ""} ` +
          `${Math.round(cs.transactionEnergyActiveImportRegisterValue || 0)} Wh`,
      )
    : null;
  return el(
    "div",
    { className: "connector", "data-connector": String(id) },
    el("span", {}, label),
    el("span", { className: `status ${cs.status}` }, cs.status),
    cs.locked ? el("span", { className: "tx" }, "locked") : null,
    transaction,
    cs.transactionStarted
      ? button("Stop tx", "stopTransaction", hashId, { "transaction-id": cs.transactionId })
      : button("Start tx", "startTransaction", hashId, { connector: id }),
    cs.locked
      ? button("Unlock", "unlockConnector", hashId, { connector: id })
      : button("Lock", "lockConnector", hashId, { connector: id }),
    button("Status", "statusNotification", hashId, { connector: id }),
  );
}

// An EVSE of a 2.0.1 station: its id, its availability when Inoperative, its connectors
// numbered from 1 within it as the station's messages number them (the buttons act on the
// station-wide id).
function evseBlock(hashId, evse) {
  const status = evse.evseStatus;
  return el(
    "div",
    { className: "evse", "data-evse": String(evse.evseId) },
    el("span", { className: "evse-id" }, `EVSE ${evse.evseId}`),
    status.availability === "Inoperative" ? el("span", { className: "tx" }, "inoperative") : null,
    ...status.connectors.map((c, index) => connectorLine(hashId, c, `#${index + 1}`)),
  );
}

function connectorsCell(hashId, station) {
  const evses = evsesOf(station);
  if (evses.length) return el("td", {}, ...evses.map((e) => evseBlock(hashId, e)));
  const connectors = (station.connectors || []).filter((c) => c.connectorId > 0);
  return el("td", {}, ...connectors.map((c) => connectorLine(hashId, c)));
}

function stationRow(station) {
  const info = station.stationInfo;
  const hashId = info.hashId;
  const boot = station.bootNotificationResponse ? station.bootNotificationResponse.status : "-";
  const atg = station.automaticTransactionGenerator;
  const atgRunning =
    atg && (atg.automaticTransactionGeneratorStatuses || []).some((s) => s.start);
  return el(
    "tr",
    { "data-hash-id": hashId, "data-station-id": info.chargingStationId },
    el("td", { className: "station" }, info.chargingStationId, el("small", {}, hashId.slice(0, 16))),
    el(
      "td",
      {},
      info.templateName,
      el("small", { className: "ocpp" }, `OCPP ${info.ocppVersion || "?"}`),
    ),
    el("td", {}, station.started ? "yes" : "no"),
    el("td", {}, WS_STATES[station.wsState] ?? "?"),
    el("td", {}, boot),
    connectorsCell(hashId, station),
    el(
      "td",
      { className: "actions" },
      station.started
        ? button("Stop", "stopChargingStation", hashId)
        : button("Start", "startChargingStation", hashId),
      station.wsState === 1
        ? button("Close", "closeConnection", hashId)
        : button("Open", "openConnection", hashId),
      atgRunning
        ? button("ATG off", "stopAutomaticTransactionGenerator", hashId)
        : button("ATG on", "startAutomaticTransactionGenerator", hashId),
      button("Set URL", "setSupervisionUrl", hashId),
      button("Set key", "changeConfiguration", hashId),
      button("Delete", "deleteChargingStations", hashId),
    ),
  );
}

// -- actions -----------------------------------------------------------------------------------

function actionPayload(target) {
  const action = target.dataset.action;
  const payload = { hashIds: [target.dataset.hashId] };
  const connectorId = Number(target.dataset.connector);
  switch (action) {
    case "startTransaction":
      return { ...payload, connectorId, idTag: $("id-tag").value };
    case "stopTransaction": {
      // 1.6 transaction ids are integers; a 2.0.1 station's are strings (UUIDs).
      const id = target.dataset.transactionId;
      return { ...payload, transactionId: /^\d+$/.test(id) ? Number(id) : id };
    }
    case "lockConnector":
    case "unlockConnector":
      return { ...payload, connectorId };
    case "statusNotification":
      return { ...payload, connectorId, status: $("connector-status").value };
    case "setSupervisionUrl":
      return { ...payload, url: $("supervision-url").value };
    case "changeConfiguration":
      return { ...payload, key: $("config-key").value, value: $("config-value").value };
    default:
      return payload;
  }
}

function wireControls() {
  $("stations-body").addEventListener("click", (event) => {
    const target = event.target.closest("button[data-action]");
    if (target) act(target.dataset.action, actionPayload(target));
  });
  $("filter").addEventListener("input", (event) => {
    state.filter = event.target.value;
    state.page = 0;
    queueRender();
  });
  $("page-prev").addEventListener("click", () => {
    state.page = Math.max(0, state.page - 1);
    queueRender();
  });
  $("page-next").addEventListener("click", () => {
    state.page += 1;
    queueRender();
  });
  $("simulator-start").addEventListener("click", async () => {
    await act("startSimulator");
    await refreshState();
  });
  $("simulator-stop").addEventListener("click", async () => {
    await act("stopSimulator");
    await refreshState();
  });
  $("add-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    await act("addChargingStations", {
      template: $("add-template").value,
      numberOfStations: Number($("add-count").value),
      options: { autoStart: $("add-auto-start").checked },
    });
    refreshState();
  });
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    state.credentials = [$("login-user").value, $("login-password").value];
    start();
  });
}

// -- the chart: messages/s and p99 latency, from /metrics ---------------------------------------

function parseMetrics(text) {
  let calls = 0;
  const buckets = new Map(); // le -> cumulative count over every action
  for (const line of text.split("\n")) {
    if (line.startsWith("evsim_ocpp_calls_total{")) {
      calls += Number(line.slice(line.lastIndexOf(" ") + 1));
    } else if (line.startsWith("evsim_ocpp_call_latency_seconds_bucket{")) {
      const le = /le="([^"]+)"/.exec(line)[1];
      const count = Number(line.slice(line.lastIndexOf(" ") + 1));
      buckets.set(le, (buckets.get(le) || 0) + count);
    }
  }
  return { t: performance.now() / 1000, calls, buckets };
}

function windowP99(before, after) {
  // histogram_quantile over the window: the first bucket holding 99 % of the new samples.
  const bounds = [...after.buckets.keys()].filter((le) => le !== "+Inf");
  const total = (after.buckets.get("+Inf") || 0) - (before.buckets.get("+Inf") || 0);
  if (total <= 0) return null;
  for (const le of bounds) {
    const count = (after.buckets.get(le) || 0) - (before.buckets.get(le) || 0);
    if (count >= 0.99 * total) return Number(le) * 1000;
  }
  return Number(bounds[bounds.length - 1] || 0) * 1000;
}

async function sampleMetrics() {
  const headers = state.credentials ? { Authorization: `Basic ${basicToken(false)}` } : {};
  try {
    const response = await fetch("/metrics", { headers });
    if (!response.ok) return;
    const sample = parseMetrics(await response.text());
    const previous = state.samples[state.samples.length - 1];
    state.samples = [previous, sample].filter(Boolean);
    if (previous && sample.t > previous.t) {
      const rate = Math.max(0, (sample.calls - previous.calls) / (sample.t - previous.t));
      state.series.push({ rate, p99: windowP99(previous, sample) });
      state.series = state.series.slice(-CHART_POINTS);
      drawChart();
    }
  } catch {
    // the chart waits for the next sample
  }
}

function drawChart() {
  const canvas = $("chart");
  const context = canvas.getContext("2d");
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  context.strokeStyle = "#d9dde5";
  context.strokeRect(0.5, 0.5, width - 1, height - 1);
  const plot = (values, color, label) => {
    const present = values.filter((v) => v !== null);
    const top = Math.max(1, ...present) * 1.1;
    context.strokeStyle = color;
    context.lineWidth = 2;
    context.beginPath();
    let drawing = false;
    values.forEach((value, index) => {
      if (value === null) {
        drawing = false;
        return;
      }
      // The newest sample at the right edge.
      const x = width - 2 - (values.length - 1 - index) * ((width - 4) / (CHART_POINTS - 1));
      const y = height - 4 - (value / top) * (height - 20);
      if (drawing) context.lineTo(x, y);
      else context.moveTo(x, y);
      drawing = true;
    });
    context.stroke();
    context.fillStyle = color;
    context.font = "11px sans-serif";
    const last = present.length ? present[present.length - 1] : 0;
    context.fillText(`${label} ${last.toFixed(1)} (max ${(top / 1.1).toFixed(1)})`, 6, label === "msg/s" ? 13 : 26);
  };
  plot(state.series.map((s) => s.rate), "#1f6feb", "msg/s");
  plot(state.series.map((s) => s.p99), "#bf3989", "p99 ms");
}

// -- start -------------------------------------------------------------------------------------

let polling = null;

async function start() {
  if (!(await connect())) {
    // No WebSocket: uiServer.type "http", or credentials needed (protocol-basic-auth).
    state.useHttp = true;
    const probe = await call("simulatorState");
    if (probe.status !== "success") {
      $("login").hidden = false;
      setConnection(false, "sign in");
      return;
    }
    setConnection(true, "HTTP");
    if (!polling) polling = setInterval(reload, POLL_MS);
  } else {
    await call("subscribeStationDeltas");
  }
  $("login").hidden = true;
  await Promise.all([reload(), refreshState(), loadTemplates()]);
}

wireControls();
start();
setInterval(sampleMetrics, POLL_MS);
setInterval(refreshState, 5 * POLL_MS);
