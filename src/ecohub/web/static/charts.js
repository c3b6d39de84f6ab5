// The ECharts panels of a region. Each panel shows an empty state when there is nothing to draw.
import { t } from "./i18n.js";
import { WATER_COLORS } from "./map.js";

const charts = {};

function chart(id) {
  const el = document.getElementById(id);
  if (!charts[id] || charts[id].isDisposed()) charts[id] = echarts.init(el, null, { renderer: "canvas" });
  return charts[id];
}

function empty(id, text) {
  const c = chart(id);
  c.clear();
  const width = Math.max(120, document.getElementById(id).clientWidth - 40);
  c.setOption({
    title: {
      text, left: "center", top: "middle",
      textStyle: { color: "#8a969e", fontSize: 13, fontWeight: "normal", width, overflow: "break" },
    },
  });
  document.getElementById(id).dataset.state = "empty";
}

function drawn(id, option) {
  const c = chart(id);
  c.clear();
  c.setOption({ animation: false, ...option });
  document.getElementById(id).dataset.state = "drawn";
}

export function forbiddenPanels(ids) {
  for (const id of ids) {
    empty(id, t("forbidden"));
    document.getElementById(id).dataset.state = "forbidden";
  }
}

export function resizeCharts() {
  for (const c of Object.values(charts)) c.resize();
}

export function airPanels(air, lang) {
  const days = air.daily || [];
  for (const id of ["chart-trend", "chart-calendar", "chart-composition", "chart-ranking"]) {
    document.getElementById(id).dataset.region = air.region;
  }
  if (!days.length) {
    const why = air.stations ? t("no_air_results") : t("no_air");
    for (const id of ["chart-trend", "chart-calendar", "chart-composition", "chart-ranking"]) empty(id, why);
    return;
  }
  const colors = Object.fromEntries(air.levels.map((l) => [l.level, l.color]));
  const names = Object.fromEntries(air.levels.map((l) => [l.level, lang === "en" ? l.en : l.zh]));
  drawn("chart-trend", {
    tooltip: { trigger: "axis" },
    legend: { top: 0, data: [t("aqi_mean"), t("aqi_max")] },
    grid: { left: 40, right: 12, top: 28, bottom: 48 },
    xAxis: { type: "category", data: days.map((d) => d.date) },
    yAxis: { type: "value" },
    dataZoom: [{ type: "slider", height: 14, bottom: 6 }],
    series: [
      { name: t("aqi_mean"), type: "line", showSymbol: false, data: days.map((d) => d.aqi_mean && Math.round(d.aqi_mean)) },
      { name: t("aqi_max"), type: "line", showSymbol: false, lineStyle: { width: 1 }, data: days.map((d) => d.aqi_max) },
    ],
  });
  drawn("chart-calendar", {
    tooltip: { formatter: (p) => t("label_value", { label: p.value[0], value: `AQI ${p.value[1]} ${names[p.value[2]] || ""}` }) },
    // The colours are the map legend's (HJ 633 Table 2); a second legend here would not fit.
    visualMap: {
      show: false, type: "piecewise", dimension: 2,
      pieces: air.levels.map((l) => ({ value: l.level, color: l.color, label: lang === "en" ? l.en : l.zh })),
      textStyle: { fontSize: 10 },
    },
    calendar: {
      range: [String(air.from), String(air.to)], top: 24, left: 30, right: 10, cellSize: ["auto", 16],
      dayLabel: { nameMap: lang === "en" ? "EN" : "ZH", fontSize: 9 },
      monthLabel: { nameMap: lang === "en" ? "EN" : "ZH", fontSize: 10 },
      yearLabel: { show: false },
    },
    series: [{
      type: "heatmap", coordinateSystem: "calendar",
      data: days.filter((d) => d.level).map((d) => [d.date, Math.round(d.aqi_mean), d.level]),
    }],
  });
  const primary = Object.entries(air.primary_days || {});
  if (primary.length) {
    drawn("chart-composition", {
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["30%", "58%"], data: primary.map(([name, value]) => ({ name, value })) }],
    });
  } else empty("chart-composition", t("no_air"));
  const rank = air.ranking || [];
  if (rank.length) {
    const rows = [...rank].reverse();
    drawn("chart-ranking", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 90, right: 16, top: 8, bottom: 24 },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: rows.map((r) => r.name), axisLabel: { fontSize: 11 } },
      series: [{
        type: "bar", data: rows.map((r) => ({
          value: r.aqi_mean == null ? null : Math.round(r.aqi_mean * 10) / 10,
          itemStyle: { color: colors[r.level] || "#9aa5ad" },
        })),
      }],
    });
  } else empty("chart-ranking", t("no_air"));
}

export function waterPanel(water) {
  document.getElementById("chart-water").dataset.region = water.region;
  if (!water.assessed) {
    empty("chart-water", t("no_water"));
    return;
  }
  const grades = Object.keys(water.by_grade);
  drawn("chart-water", {
    tooltip: { trigger: "axis" },
    grid: { left: 36, right: 10, top: 16, bottom: 24 },
    xAxis: { type: "category", data: grades },
    yAxis: { type: "value", name: t("sections"), minInterval: 1 },
    series: [{ type: "bar", data: grades.map((g) => ({ value: water.by_grade[g], itemStyle: { color: WATER_COLORS[g] } })) }],
  });
}

// AQI values over time as one series, each point in its category's colour (a missing AQI is a
// gap, not a zero).
function aqiSeries(el, labels, rows, levels, series) {
  const colors = Object.fromEntries(levels.map((l) => [l.level, l.color]));
  const c = echarts.init(el);
  c.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    grid: { left: 40, right: 12, top: 16, bottom: 30 },
    xAxis: { type: "category", data: labels },
    yAxis: { type: "value", name: "AQI" },
    series: [{ ...series, data: rows.map((r) => ({ value: r.aqi ?? null, itemStyle: { color: colors[r.level] || "#9aa5ad" } })) }],
  });
}

// A station's daily AQI as bars.
export function stationChart(el, rows, levels) {
  aqiSeries(el, rows.map((r) => r.date), rows, levels, { type: "bar" });
}

// A station's hourly AQI as a line (``label``: each hour as people read it).
export function hourlyChart(el, rows, levels) {
  aqiSeries(el, rows.map((r) => r.label), rows, levels,
    { type: "line", connectNulls: false, symbolSize: 5, lineStyle: { color: "#6b7a86", width: 1 } });
  el.dataset.state = "drawn";
}
