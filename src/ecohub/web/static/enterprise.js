// The enterprise parts of the console: the source profile's risk, cases and approvals
// (under the source page), and the region's watch list panel.
import { api, ApiError } from "./api.js";
import { esc, labelled, lang, listed, named, shown, t } from "./i18n.js";

function rows(items, columns) {
  if (!items || !items.length) return `<p class="hint">${esc(t("none"))}</p>`;
  const head = columns.map((c) => `<th>${esc(t(`col_${c}`))}</th>`).join("");
  const body = items.map((r) => `<tr>${columns.map((c) => `<td>${esc(shown(r[c], c))}</td>`).join("")}</tr>`).join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

// A number for display: ``digits`` decimals (multiples 2, points 1); whole numbers and what is
// not a number as they are. The API's values are not changed.
function rounded(v, digits) {
  return typeof v === "number" && !Number.isInteger(v) ? v.toFixed(digits) : v;
}

let riskChart = null;

function drawRisk(el, factors) {
  const shown = factors.filter((f) => f.contribution > 0).sort((a, b) => a.contribution - b.contribution);
  if (typeof echarts === "undefined") return;
  if (riskChart && !riskChart.isDisposed()) riskChart.dispose();
  riskChart = echarts.init(el, null, { renderer: "canvas" });
  if (!shown.length) {
    riskChart.setOption({ title: { text: t("risk_none"), left: "center", top: "middle",
      textStyle: { color: "#8a969e", fontSize: 13, fontWeight: "normal" } } });
    el.dataset.state = "empty";
    return;
  }
  const name = (f) => (lang === "en" ? f.name_en : f.name_zh);
  riskChart.setOption({
    animation: false,
    tooltip: { trigger: "item", formatter: (p) => {
      const f = shown[p.dataIndex];
      return `${esc(name(f))}<br>${esc(t("raw"))} ${rounded(f.raw, 2)} × ${f.weight}${f.cap != null ? ` (≤ ${f.cap})` : ""} = ${f.contribution.toFixed(1)}`;
    } },
    grid: { left: 150, right: 30, top: 10, bottom: 24 },
    xAxis: { type: "value", name: t("contribution") },
    yAxis: { type: "category", data: shown.map(name) },
    series: [{ type: "bar", data: shown.map((f) => ({ value: +f.contribution.toFixed(2),
      itemStyle: { color: f.serious ? "#c23531" : "#5470c6" } })) }],
  });
  el.dataset.state = "drawn";
}

// Below the registry part of the source page: the profile's risk, approvals, cases and more.
export async function enterpriseSection(el, code) {
  try {
    const p = await api(`/api/v1/sources/${encodeURIComponent(code)}/profile`);
    const r = p.risk;
    const u = p.unapproved;
    const byCode = Object.fromEntries(r.factors.map((f) => [f.factor, f]));
    el.innerHTML = `
      <h2>${labelled(`${t("risk")} ${r.month}`, `<span id="risk-score">${esc(r.score.toFixed(1))}</span>`)}</h2>
      <p id="risk-serious" class="${r.serious.length ? "error" : "hint"}">${esc(r.serious.length
        ? t("serious", { list: listed(r.serious.map((c) => nameOf(byCode, c))) })
        : t("not_serious"))}</p>
      <div class="chart" id="risk-chart"></div>
      ${rows(r.factors.map((f) => ({ ...f, factor: nameOf(byCode, f.factor), raw: rounded(f.raw, 2),
        weight: rounded(f.weight, 2), contribution: rounded(f.contribution, 1) })), ["factor", "raw", "weight", "cap", "contribution"])}
      <h2>${esc(t("unapproved"))}</h2>
      <div id="unapproved-finding">${u ? `<p class="error">${esc(t(`unapproved_${u.status}`))}
        ${esc(u.first_approval ? `(${u.approval_no} ${u.first_approval})` : "")}</p>
        ${rows(u.evidence, ["kind", "day", "ref", "days_before"])}` : `<p class="hint">${esc(t("none"))}</p>`}</div>
      <h2>${esc(t("eia"))}</h2><div id="eia-list">${rows(p.eia, ["approval_no", "approval_date", "project", "capacity", "link_status"])}</div>
      <h2>${esc(t("cases"))}</h2><div id="case-list">${rows(p.cases, ["case_id", "case_date", "violation_type", "penalty_yuan", "status", "link_status"])}</div>
      <h2>${esc(t("exceedances"))}</h2><div id="exceedance-list">${rows(p.exceedances.map((x) => ({ ...x,
        pollutant: nameOf(p.names.pollutants, x.pollutant), multiple: rounded(x.multiple, 2) })), ["mn", "pollutant", "start", "end", "multiple"])}</div>
      <h2>${esc(t("anomalies"))}</h2><div id="anomaly-list">${rows(p.anomalies.map((a) => ({ ...a,
        rule: nameOf(p.names.rules, a.rule), pollutant: a.pollutant === "*" ? t("whole_device") : nameOf(p.names.pollutants, a.pollutant),
        severity: named(`sev_${a.severity}`, a.severity) })), ["mn", "rule", "pollutant", "start", "end", "severity"])}</div>
      <h2>${labelled(t("complaints"), `<span id="complaint-count">${esc(String(p.complaint_count ?? 0))}</span>`)}</h2>
      <div id="complaint-list">${complaintRows(p.complaints)}</div>`;
    drawRisk(el.querySelector("#risk-chart"), r.factors);
  } catch (err) {
    const msg = err instanceof ApiError && err.status === 403 ? t("forbidden")
      : t("request_failed", { detail: err.message });
    el.innerHTML = `<p class="hint" data-state="${err.status || "error"}">${esc(msg)}</p>`;
  }
}

// The linked complaints: a table for a complaint reader; an enterprise (or any role that may not
// read complaints) gets the count alone (null items), so nothing identifies a complainant.
function complaintRows(items) {
  if (items == null) return `<p class="hint">${esc(t("complaints_count_only"))}</p>`;
  return rows(items.map((c) => ({ ...c, topic: named(`topic_${c.topic}`, c.topic) })), ["complaint_id", "received_at", "topic", "distance_m"]);
}

// A code's name in the console's language, from the names an answer gives for the codes it
// uses (risk factors, pollutants, rules); the code itself when there is none.
function nameOf(names, code) {
  const n = names && names[code];
  return n ? (lang === "en" ? n.name_en : n.name_zh) : code;
}

// The region's watch list (a division code; a drawn area has none).
export async function watchlistPanel(el, region) {
  if (typeof region !== "string" || !/^\d{6}$/.test(region)) {
    el.innerHTML = `<p class="hint">${esc(t("watchlist_division"))}</p>`;
    el.dataset.state = "empty";
    return;
  }
  try {
    const w = await api(`/api/v1/sources/watchlist?region=${region}&limit=10`);
    el.dataset.region = region;
    el.dataset.state = w.items.length ? "drawn" : "empty";
    el.innerHTML = w.items.length ? `<ol class="list">${w.items.map((i) => `
      <li data-source="${esc(i.source_code)}"><a href="#/source/${encodeURIComponent(i.source_code)}">${esc(i.name || i.source_code)}</a>
      <small>${esc(i.score.toFixed(1))} · ${esc(listed(i.serious.map((c) => nameOf(w.factors, c))))}</small></li>`).join("")}</ol>`
      : `<p class="hint">${esc(t("none"))}</p>`;
  } catch (err) {
    el.dataset.state = err instanceof ApiError && err.status === 403 ? "forbidden" : "error";
    el.innerHTML = `<p class="hint">${esc(el.dataset.state === "forbidden" ? t("forbidden") : err.message)}</p>`;
  }
}
