// The console: what serving's admin API says about every tenant, refreshed every 2 s.
// The admin token comes from the page's #token=… fragment (kept for this tab only) or the form.
"use strict";

const REFRESH_MS = 2000;
const SPLIT_COLOURS = ["#2e7d32", "#f9a825", "#5c6bc0"];

function token() {
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromFragment) {
    sessionStorage.setItem("lorastream-token", fromFragment);
    history.replaceState(null, "", location.pathname);
  }
  return sessionStorage.getItem("lorastream-token");
}

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: "Bearer " + token() } });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(path + ": " + response.status + " " + (problem.detail || response.statusText));
  }
  return response.json();
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
  children.forEach(c => node.append(c));
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
  return node;
}

// accuracy per version: holdout (offline gate) and live (labelled predictions), 0.5–1.0
function accuracyPlot(versions) {
  const w = 360, h = 160, left = 36, bottom = 22, top = 8;
  const plot = svg("svg", { width: w, height: h, class: "accuracy-plot", role: "img" });
  const x = i => left + (versions.length === 1 ? (w - left) / 2 : 12 + i * (w - left - 24) / (versions.length - 1));
  const y = a => top + (1 - Math.max(0.5, Math.min(1, a))) / 0.5 * (h - top - bottom);
  [0.5, 0.75, 1.0].forEach(a => {
    plot.append(svg("line", { x1: left, x2: w, y1: y(a), y2: y(a), stroke: "#ddd" }));
    const label = svg("text", { x: 2, y: y(a) + 4, "font-size": 10 });
    label.textContent = a.toFixed(2);
    plot.append(label);
  });
  const series = [["holdoutAccuracy", "#1565c0"], ["live", "#ef6c00"]];
  series.forEach(([field, colour]) => {
    const points = versions.map((v, i) => {
      const a = field === "live" ? (v.live && v.live.predictions > 0 ? v.live.correct / v.live.predictions : null) : v[field];
      return a == null ? null : [x(i), y(a)];
    }).filter(p => p);
    if (points.length > 1) {
      plot.append(svg("polyline", { points: points.map(p => p.join(",")).join(" "), fill: "none", stroke: colour, "stroke-width": 2 }));
    }
    points.forEach(([px, py]) => plot.append(svg("circle", { cx: px, cy: py, r: 4, fill: colour, class: field })));
  });
  versions.forEach((v, i) => {
    const label = svg("text", { x: x(i) - 6, y: h - 6, "font-size": 11 });
    label.textContent = "v" + v.version;
    plot.append(label);
  });
  return plot;
}

function trafficSplit(split) {
  const bar = el("div", { class: "split" });
  Object.entries(split).forEach(([version, share], i) => {
    if (share > 0) {
      const part = el("div", { style: `width:${share * 100}%;background:${SPLIT_COLOURS[i % SPLIT_COLOURS.length]}` },
        `v${version} ${Math.round(share * 100)} %`);
      bar.append(part);
    }
  });
  return bar;
}

function tenantCard(adapters) {
  const card = el("div", { class: "tenant", id: "tenant-" + adapters.tenant });
  const pinned = adapters.pinned ? ` · pinned to v${adapters.pinned}` : "";
  const candidate = adapters.candidate ? ` · candidate v${adapters.candidate}${adapters.shadow ? " (shadow)" : ""}` : "";
  card.append(el("h2", {}, `${adapters.tenant} — stable v${adapters.stable}${candidate}${pinned}`));
  const timeline = el("div", { class: "timeline" });
  adapters.versions.flatMap(v => v.history.map(h => ({ ...h, version: v.version })))
    .sort((a, b) => a.at.localeCompare(b.at))
    .forEach(h => timeline.append(el("span", { class: "chip " + h.status, title: h.at }, `v${h.version} ${h.status}`)));
  card.append(timeline);
  const table = el("table", {}, el("tr", {}, el("th", {}, "version"), el("th", {}, "status"), el("th", {}, "holdout"),
    el("th", {}, "live"), el("th", {}, "served here")));
  adapters.versions.forEach(v => {
    const counts = adapters.predictionCounts[v.version] || {};
    const live = v.live ? `${v.live.correct}/${v.live.predictions}` : "–";
    table.append(el("tr", {}, el("td", {}, "v" + v.version), el("td", {}, v.status),
      el("td", {}, v.holdoutAccuracy == null ? "–" : v.holdoutAccuracy.toFixed(4)), el("td", {}, live),
      el("td", {}, Object.entries(counts).map(([route, n]) => `${route} ${n}`).join(", ") || "–")));
  });
  const legend = el("div", { class: "legend" }, el("span", { class: "holdout" }, "● holdout"), el("span", { class: "live" }, "● live"));
  card.append(el("div", { class: "row" }, table, el("div", {}, accuracyPlot(adapters.versions), legend),
    el("div", {}, el("div", {}, "traffic split"), trafficSplit(adapters.trafficSplit))));
  if (adapters.trainingFailures && adapters.trainingFailures.length) {
    const failures = el("ul", { class: "failures" });
    adapters.trainingFailures.forEach(f => failures.append(el("li", { title: f.failedAt },
      `${f.requestId} ${f.kind}: ${f.reason} (${f.retryShards.length} shards go into the next request)`)));
    card.append(el("div", {}, el("div", {}, "training requests that made no version"), failures));
  }
  return card;
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const overview = await api("/v1/tenants");
    document.getElementById("replica").textContent = "replica " + overview.replica;
    document.getElementById("resident").textContent =
      `${overview.residentAdapters} resident adapters · ${(overview.residentBytes / 1024).toFixed(0)} KiB of ${(overview.cacheMaxBytes / 1048576).toFixed(0)} MiB`;
    const cards = await Promise.all(overview.tenants.map(t => api(`/v1/tenants/${encodeURIComponent(t.tenant)}/adapters`)));
    document.getElementById("tenants").replaceChildren(...cards.map(tenantCard));
    status.className = "";
    status.textContent = `${overview.tenants.length} tenant${overview.tenants.length === 1 ? "" : "s"} · updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    status.className = "error";
    status.textContent = e.message;
  }
}

document.getElementById("login").addEventListener("submit", event => {
  event.preventDefault();
  sessionStorage.setItem("lorastream-token", document.getElementById("token").value.trim());
  document.getElementById("login").hidden = true;
  refresh();
});

if (token()) {
  refresh();
  setInterval(refresh, REFRESH_MS);
} else {
  document.getElementById("login").hidden = false;
  document.getElementById("status").textContent = "an admin token is needed";
}
