// The station page and the source page (hash routes #/station/ID and #/source/CODE).
import { api, ApiError } from "./api.js";
import { cst, esc, levelName, named, shown, t } from "./i18n.js";
import { hourlyChart, stationChart } from "./charts.js";
import { enterpriseSection } from "./enterprise.js";

// A column's heading: its label in the console's language (col_<name>), else the name itself;
// ``labels`` overrides a name whose label means something else here.
function heading(c, labels) {
  return (labels && labels[c]) || named(`col_${c}`, c);
}

function table(rows, columns, labels) {
  if (!rows || !rows.length) return `<p class="hint">${esc(t("none"))}</p>`;
  const cols = columns || Object.keys(rows[0]);
  const head = cols.map((c) => `<th data-col="${esc(c)}">${esc(heading(c, labels))}</th>`).join("");
  const body = rows.map((r) => `<tr>${cols.map((c) => `<td>${esc(shown(r[c], c))}</td>`).join("")}</tr>`).join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

// Each page shown gets a visit number. An answer that arrives after the reader has moved on (a
// slow station page, then another link) must not paint over the page shown since.
let visits = 0;
export function nextVisit() {
  visits += 1;
  return visits;
}
const current = (visit) => visit === visits;

function failure(el, err) {
  const msg = err instanceof ApiError && err.status === 404 ? t("not_found")
    : err instanceof ApiError && err.status === 403 ? t("forbidden")
      : t("request_failed", { detail: err.message });
  el.innerHTML = `<p class="error" data-state="${err.status || "error"}">${esc(msg)}</p>`;
}

export async function stationPage(el, id, levels) {
  const visit = nextVisit();
  el.innerHTML = "";
  try {
    const s = await api(`/api/v1/stations/${encodeURIComponent(id)}`);
    const daily = await api(`/api/v1/air/aqi/daily?station=${encodeURIComponent(id)}&limit=10000`);
    if (!current(visit)) return;
    const rows = (daily.items || daily).slice(-90);
    const last = rows[rows.length - 1];
    el.innerHTML = `
      <h1 id="detail-title">${esc(t("station_title", { name: s.name || s.station_id }))}</h1>
      ${table([{ station_id: s.station_id, [t("network")]: named(`network_${s.network}`, s.network), [t("region_code")]: s.region_code,
        [t("coordinates")]: `${s.lon}, ${s.lat}`,
        [t("latest_aqi")]: last ? `${last.aqi} ${levelName(levels, last.level, last.category ?? "")} (${last.date})` : "—",
        [t("primary")]: last ? last.primary_pollutants : "—" }])}
      <h2>${esc(t("latest_hour"))}</h2><div id="latest-hour"></div>
      <h2>${esc(t("hourly_aqi"))}</h2><div class="chart" id="station-hourly"></div>
      <h2>${esc(t("daily_aqi"))}</h2><div class="chart" id="station-chart"></div>`;
    if (rows.length) stationChart(el.querySelector("#station-chart"), rows, levels);
    if (last) await stationHours(el, visit, id, last.date, levels);
  } catch (err) {
    if (current(visit)) failure(el, err);
  }
}

// The six pollutants of an hourly row: (label, column, unit); CO in mg/m³ (HJ 633).
const HOUR_VALUES = [["SO2", "so2_1h", "µg/m³"], ["NO2", "no2_1h", "µg/m³"], ["PM10", "pm10_1h", "µg/m³"],
  ["CO", "co_1h", "mg/m³"], ["O3", "o3_1h", "µg/m³"], ["PM2.5", "pm25_1h", "µg/m³"]];

// The station's last 7 days of hourly AQI (to its last reported day) and its latest hour.
async function stationHours(el, visit, id, lastDay, levels) {
  const from = new Date(Date.parse(`${lastDay}T00:00:00Z`) - 6 * 86400000).toISOString().slice(0, 10);
  const q = `station=${encodeURIComponent(id)}&from=${from}&to=${lastDay}&limit=500`;
  const hourly = await api(`/api/v1/air/aqi/hourly?${q}`);
  if (!current(visit)) return;
  const hours = hourly.items || hourly;
  const box = el.querySelector("#latest-hour");
  const latest = hours[hours.length - 1];
  box.innerHTML = latest ? table([{
    [t("hour_time")]: cst(latest.time), AQI: latest.aqi ?? "—", [t("col_category")]: levelName(levels, latest.level, latest.category ?? "—"),
    ...Object.fromEntries(HOUR_VALUES.map(([name, col, unit]) => [`${name} (${unit})`, latest[col]])),
  }]) : `<p class="hint">${esc(t("none"))}</p>`;
  const chart = el.querySelector("#station-hourly");
  if (hours.length) hourlyChart(chart, hours.map((h) => ({ ...h, label: cst(h.time) })), levels);
}

export async function sourcePage(el, code) {
  const visit = nextVisit();
  el.innerHTML = "";
  try {
    const d = await api(`/api/v1/registry/sources/${encodeURIComponent(code)}`);
    const devices = await Promise.all((d.monitor_points || []).map(async (m) => {
      try {
        const dev = await api(`/api/v1/hj212/devices/${encodeURIComponent(m.mn)}`);
        return { ...m, online: dev.online };
      } catch {
        return { ...m, online: null };
      }
    }));
    if (!current(visit)) return;
    const head = d.source || {};
    el.innerHTML = `
      <h1 id="detail-title">${esc(t("source_title", { name: head.name || code }))}</h1>
      ${table([head])}
      <h2>${esc(t("records"))}</h2>${table(d.records)}
      <h2>${esc(t("outlets"))}</h2>${table(d.outlets)}
      <h2>${esc(t("permits"))}</h2>${table(d.permits)}
      <h2>${esc(t("monitor_points"))}</h2>
      <div id="devices">${devices.length ? devices.map((m) => `
        <p><code>${esc(m.mn)}</code> ${esc(m.outlet_code || "")}
        <span class="badge ${m.online ? "on" : "off"}">${esc(m.online ? t("online") : t("offline"))}</span>
        ${esc(t("label_value", { label: t("latest_data"), value: shown(m.latest_data) }))}</p>`).join("") : `<p class="hint">${esc(t("none"))}</p>`}</div>
      <h2>${esc(t("latest_data"))}</h2>${table(d.latest)}
      <h2>${esc(t("code_history"))}</h2><div id="code-history">${table(d.history, null, { kind: t("event_kind") })}</div>
      <div id="enterprise"></div>`;
    await enterpriseSection(el.querySelector("#enterprise"), code);
  } catch (err) {
    if (current(visit)) failure(el, err);
  }
}
