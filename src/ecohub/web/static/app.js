// The console: log-in, the map with its region picker and panels, and the detail pages.
import { api, ApiError, login, logOutEverywhere, logout, tokens } from "./api.js";
import { esc, lang, loadLang, named, t } from "./i18n.js";
import { ConsoleMap } from "./map.js";
import { drawControls } from "./drawing.js";
import { airPanels, forbiddenPanels, resizeCharts, waterPanel } from "./charts.js";
import { nextVisit, sourcePage, stationPage } from "./pages.js";
import { ComplaintLayer, showComplaints } from "./complaints.js";
import { alertsPage, openAlerts } from "./alerts.js";
import { watchlistPanel } from "./enterprise.js";
import { openPage } from "./opendata.js";

const $ = (id) => document.getElementById(id);
// label: a drawn area's title as {key, vars} of the dictionaries (drawn in the page's language).
const state = { me: null, levels: [], region: null, label: null, path: [], map: null, seq: 0 };

function show(view) {
  for (const v of ["login-view", "main-view", "detail-view", "alerts-view", "open-view"]) $(v).hidden = v !== view;
  $("logout").hidden = !state.me;
  if (view === "main-view" && state.map) {
    state.map.map.invalidateSize();
    resizeCharts();
  }
}

function notify(err) {
  const box = $("error");
  // An ended session is said on the log-in page (session_expired), not in a banner above it.
  if (!err || err.expired) { box.hidden = true; return; }
  box.textContent = err instanceof ApiError && err.status === 404 ? t("not_found")
    : err instanceof ApiError && err.status === 403 ? t("forbidden")
      : t("request_failed", { detail: err.message });
  box.hidden = false;
}

// ---- log-in
$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  $("login-error").textContent = "";
  try {
    await login(f.get("username"), f.get("password"));
    e.target.reset();
    await start();
  } catch (err) {
    $("login-error").textContent = loginMessage(err);
  }
});

// Why a log-in failed, in the page's language: the server's own words only for what the console
// has no sentence for.
function loginMessage(err) {
  if (err.status === 401) return t("login_failed");
  if (err.status === 429) {
    return err.retryAfter ? t("login_throttled", { seconds: err.retryAfter }) : t("login_throttled_now");
  }
  if (err.status === undefined || err.status >= 500) return t("login_unavailable");
  return err.message;
}

// Nothing of the previous user stays on the page (a shared office PC): the header's name,
// region and alert count, what the detail and alerts pages drew, and the region state; a
// refresh or an alerts page still loading is dropped when it answers.
function signedOut() {
  state.me = null;
  state.region = null;
  state.home = null;
  state.division = null;
  state.label = null;
  state.seq++;
  $("who").textContent = "";
  $("region-title").textContent = "";
  delete $("region-title").dataset.region;
  alertCount(null);
  notify(null);
  for (const id of ["detail", "alerts-page", "station-list", "source-list", "crumbs", "watchlist", "hotspot-list"]) {
    $(id).innerHTML = "";
  }
  $("alerts-page").alertsGen = ($("alerts-page").alertsGen || 0) + 1;
  if (state.drawing) state.drawing.reset(); // no sketch of the previous user stays either
  show("login-view");
}

$("logout").addEventListener("click", async () => {
  signedOut();
  location.hash = "";
  await logOutEverywhere();
});

window.addEventListener("ecohub:logged-out", () => {
  signedOut();
  $("login-error").textContent = t("session_expired");
});

// An alert acknowledged or closed (or found handled by someone else): the header's count.
window.addEventListener("ecohub:alerts-changed", () => updateAlertCount());

$("lang").addEventListener("click", async () => {
  await loadLang(lang === "zh-CN" ? "en" : "zh-CN");
  $("lang").textContent = t("switch_lang");
  if (state.me) {
    whoami();
    areaOptions();
    state.map.legend(state.levels, lang);
    state.map.relabel();
    state.drawing.relabel();
    await route();
  } else if (location.hash === "#/open") {
    await openPage($("open"));
  }
});

function areaOptions() {
  $("areas").innerHTML = `<option value="">${esc(t("choose"))}</option>` + (state.areas || [])
    .map((a) => `<option value="${esc(a.code)}">${esc(lang === "en" && a.name_en ? a.name_en : a.name)}</option>`).join("");
}

function whoami() {
  $("who").textContent = t("who", { name: state.me.name, role: named(`role_${state.me.role}`, state.me.role) });
}

// ---- the region picker
async function pickDivision(code) {
  state.region = code;
  if ($("areas").value !== code) $("areas").value = "";
  await refresh();
}

function crumbs(boundaries) {
  const nav = $("crumbs");
  const sel = $("children");
  const path = (boundaries && boundaries.path) || [];
  nav.innerHTML = path.map((n) => `<a data-code="${esc(n.code)}">${esc(n.name)}</a>`).join('<span class="sep">›</span>');
  for (const a of nav.querySelectorAll("a")) a.addEventListener("click", () => pickDivision(a.dataset.code));
  const kids = boundaries ? boundaries.features.map((f) => f.properties) : [];
  sel.innerHTML = `<option value="">${esc(t("choose"))}</option>` +
    kids.map((c) => `<option value="${esc(c.code)}">${esc(c.name)}</option>`).join("");
}

// A key region, basin or drawn area is no division: the path names it alone, with a way back
// to the last division picked, and there are no sub-divisions to list.
function areaCrumbs(name) {
  const back = state.division || state.home;
  $("crumbs").innerHTML = (back ? `<a data-code="${esc(back)}" class="back">${esc(t("back_to_divisions"))}</a><span class="sep">›</span>` : "")
    + `<span class="here">${esc(name)}</span>`;
  for (const a of $("crumbs").querySelectorAll("a")) a.addEventListener("click", () => pickDivision(a.dataset.code));
  $("children").innerHTML = `<option value="">${esc(t("choose"))}</option>`;
}

$("children").addEventListener("change", (e) => { if (e.target.value) pickDivision(e.target.value); });
$("areas").addEventListener("change", (e) => { if (e.target.value) pickDivision(e.target.value); });

// ---- one region: every panel re-scoped (``known``: the region's Feature, already fetched)
async function refresh(known = null) {
  const seq = ++state.seq; // a later pick wins over a slower earlier one
  const region = state.region;
  notify(null);
  document.body.dataset.loading = "1";
  try {
    const isCode = typeof region === "string";
    const division = isCode && /^\d{6}$/.test(region);
    const [boundaries, feature] = await Promise.all([
      division ? api(`/api/v1/geo/boundaries?parent=${region}`) : null,
      known ? known : isCode && !division ? api(`/api/v1/geo/areas/${encodeURIComponent(region)}`)
        : !isCode ? api("/api/v1/geo/feature", { method: "POST", body: { region } }) : null,
    ]);
    if (seq !== state.seq) return;
    if (boundaries) {
      state.division = region;
      crumbs(boundaries);
      // A county has no sub-divisions: its neighbours (the parent's divisions) are the base.
      const path = boundaries.path || [];
      if (!boundaries.features.length && path.length > 1) {
        const up = await api(`/api/v1/geo/boundaries?parent=${path[path.length - 2].code}`);
        if (seq !== state.seq) return;
        state.map.showBoundaries({ ...up, parent: boundaries.parent }, region, true);
      } else state.map.showBoundaries(boundaries, region);
    }
    state.map.showArea(feature);
    const area = isCode && (state.areas || []).find((x) => x.code === region);
    const title = boundaries ? boundaries.parent.properties.name
      : area ? (lang === "en" && area.name_en ? area.name_en : area.name)
        : isCode && feature ? feature.properties.name : t(state.label.key, state.label.vars);
    if (!boundaries) areaCrumbs(title);
    $("region-title").textContent = title;
    $("region-title").dataset.region = isCode ? region : "drawn";
    const body = { region };
    // A role may not use every route (an enterprise user: its sources only): 403 leaves that
    // part empty with a note instead of failing the page.
    const allowed = (p) => p.catch((err) => {
      if (err instanceof ApiError && err.status === 403) return null;
      throw err;
    });
    const post = (path) => allowed(api(`/api/v1/geo/${path}`, { method: "POST", body }));
    const [stations, sources, air, water, alerts] = await Promise.all(
      [...["stations", "sources", "air", "water"].map(post), openAlerts()]);
    if (seq !== state.seq) return;
    alertCount(alerts);
    const alerted = alerts ? alerts.sources : new Set();
    state.map.showStations(stations ? stations.items : []);
    state.map.showSources(sources ? sources.items : [], alerted);
    listStations(stations ? stations.items : null);
    listSources(sources ? sources.items : null, alerted);
    if (air) airPanels(air, lang);
    else forbiddenPanels(["chart-trend", "chart-calendar", "chart-composition", "chart-ranking"]);
    if (water) waterPanel(water);
    else forbiddenPanels(["chart-water"]);
    await showComplaints(state.complaints, $("hotspot-list"), region, () => seq === state.seq);
    await watchlistPanel($("watchlist"), region);
  } catch (err) {
    if (seq === state.seq) notify(err);
  } finally {
    if (seq === state.seq) delete document.body.dataset.loading;
  }
}

function listStations(items) {
  if (items === null) { $("station-list").innerHTML = `<li class="hint">${esc(t("forbidden"))}</li>`; return; }
  $("station-list").innerHTML = items.length ? items.map((s) => `
    <li data-station="${esc(s.station_id)}"><span class="dot" style="background:${state.map.stationColor(s)}"></span>
    <a href="#/station/${encodeURIComponent(s.station_id)}">${esc(s.name || s.station_id)}</a>
    <small>${esc(s.aqi ?? s.water_class ?? "")}</small></li>`).join("")
    : `<li class="hint">${esc(t("none"))}</li>`;
}

function listSources(items, alerted = new Set()) {
  if (items === null) { $("source-list").innerHTML = `<li class="hint">${esc(t("forbidden"))}</li>`; return; }
  $("source-list").innerHTML = items.length ? items.map((s) => `
    <li data-source="${esc(s.source_code)}"${alerted.has(s.source_code) ? ' data-alerted="1"' : ""}><a href="#/source/${encodeURIComponent(s.source_code)}">${esc(s.name || s.source_code)}</a>
    ${alerted.has(s.source_code) ? `<a class="alert-mark" href="#/alerts" title="${esc(t("source_alerted"))}">⚠</a>` : ""}</li>`).join("")
    : `<li class="hint">${esc(t("none"))}</li>`;
}

// The header's link to the alerts page with the number not yet closed (hidden for roles that
// may not read alerts).
function alertCount(alerts) {
  $("alerts-link").hidden = !alerts;
  $("alert-count").textContent = alerts && alerts.count ? String(alerts.count) : "";
}

// The count on a page other than the map (the map's refresh sets it with its own answer).
async function updateAlertCount() {
  if (!state.me) return;
  const me = state.me;
  try {
    const alerts = await openAlerts();
    if (state.me === me) alertCount(alerts);
  } catch { /* the count stays as it was; the page itself reports the failure */ }
}

// ---- start-up and routes
async function firstRegion(me) {
  if (me.region) return me.region;
  // Nationwide: open on the province of the first station (the bundled sample: Beijing).
  try {
    const st = await api("/api/v1/stations?limit=1");
    const code = st.items[0] && st.items[0].region_code;
    if (code) return `${code.slice(0, 2)}0000`;
  } catch { /* a role without station access starts at Beijing too */ }
  return "110000";
}

async function start() {
  state.me = await api("/api/v1/me");
  whoami();
  state.levels = await api("/api/v1/geo/levels");
  if (!state.map) {
    state.map = new ConsoleMap($("map"), {
      onPickDivision: pickDivision,
      onStation: (id) => { location.hash = `#/station/${encodeURIComponent(id)}`; },
      onSource: (code) => { location.hash = `#/source/${encodeURIComponent(code)}`; },
    });
    // A drawing the server took is the region; a refused one leaves the region as it was.
    state.drawing = drawControls(state.map.draw, {
      accept: (region, label, feature) => {
        state.region = region;
        state.label = label;
        $("areas").value = "";
        refresh(feature);
      },
      failed: notify,
    });
  }
  // The circle tool stops at the server's longest distance (an older server: the API refuses).
  state.drawing.limits(await api("/api/v1/geo/limits").catch(() => null));
  if (!state.complaints) {
    state.complaints = new ComplaintLayer(state.map);
    $("show-complaints").addEventListener("change", (e) => state.complaints.setVisible(e.target.checked));
  }
  state.map.setLevels(state.levels);
  state.map.legend(state.levels, lang);
  state.areas = await api("/api/v1/geo/areas").catch(() => []);
  areaOptions();
  state.region = state.home = await firstRegion(state.me);
  state.division = null;
  await route(true);
}

async function route(fresh = false) {
  nextVisit(); // whatever page was loading is no longer the one shown
  // The open-data page needs no log-in.
  if (location.hash === "#/open") {
    show("open-view");
    await openPage($("open"));
    return;
  }
  if (!state.me) {
    show("login-view");
    return;
  }
  const onMap = !/^#\/(alerts|station|source)/.test(location.hash);
  if (!onMap) updateAlertCount(); // the map's refresh sets it; every other page asks here
  const alerts = location.hash.match(/^#\/alerts(?:\/(\d+))?$/);
  if (alerts) {
    show("alerts-view");
    await alertsPage($("alerts-page"), state.me, null, alerts[1]);
    return;
  }
  const m = location.hash.match(/^#\/(station|source)\/(.+)$/);
  if (m) {
    show("detail-view");
    let id;
    try {
      id = decodeURIComponent(m[2]);
    } catch {
      // A malformed address (#/source/%): nothing can have that id; the previous page goes.
      $("detail").innerHTML = `<p class="error" data-state="404">${esc(t("not_found"))}</p>`;
      return;
    }
    if (m[1] === "station") await stationPage($("detail"), id, state.levels);
    else await sourcePage($("detail"), id);
    return;
  }
  show("main-view");
  if (fresh || state.region) await refresh();
}

window.addEventListener("hashchange", () => route());
window.addEventListener("resize", resizeCharts);

(async () => {
  await loadLang(lang);
  $("lang").textContent = t("switch_lang");
  if (typeof L === "undefined" || typeof echarts === "undefined") $("vendor-missing").hidden = false;
  if (tokens()) {
    try {
      await start();
      return;
    } catch (err) {
      logout();
    }
  }
  await route();
})();
