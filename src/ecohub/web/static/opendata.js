// The open-data download page (hash route #/open): the published open resources with their
// licence, attribution and update cycle, and CSV / Parquet links where a bulk download exists.
// It needs no log-in: /open/v1 is open to everyone.
import { esc, lang, t } from "./i18n.js";

function cycle(value) {
  const key = `cycle_${value}`;
  const label = t(key);
  return label === key ? value : label;
}

function links(item) {
  const fmts = Object.entries(item.downloads || {});
  if (!fmts.length) return `<span class="hint">${esc(t("api_only"))}</span>`;
  return fmts.map(([fmt, href]) => (
    `<a class="download" data-format="${esc(fmt)}" href="${esc(href)}" download>${esc(fmt.toUpperCase())}</a>`
  )).join(" ");
}

export async function openPage(el) {
  el.innerHTML = `<p class="hint">${esc(t("loading"))}</p>`;
  let body;
  try {
    const r = await fetch("/open/v1/catalog", { headers: { Accept: "application/json" } });
    body = await r.json();
    if (!r.ok) throw new Error(body.detail || `HTTP ${r.status}`);
  } catch (err) {
    el.innerHTML = `<p class="error">${esc(t("request_failed", { detail: err.message }))}</p>`;
    return;
  }
  const licence = body.licence_url
    ? `<a href="${esc(body.licence_url)}" rel="license">${esc(body.licence)}</a>` : esc(body.licence);
  const rows = (body.items || []).map((i) => `
    <tr data-code="${esc(i.code)}" data-access="${esc(i.access || "open")}">
      <td>${esc(lang === "en" ? i.name_en : i.name_zh)}<br><small>${esc(i.code)}</small></td>
      <td>${esc(cycle(i.update_cycle))}</td>
      <td>${i.access === "conditional" ? esc(t("open_conditional"))
        : i.licence_url ? `<a href="${esc(i.licence_url)}" rel="license">${esc(i.licence)}</a>` : esc(i.licence)}</td>
      <td>${esc(i.attribution || "")}</td>
      <td>${i.access === "conditional" ? `<span class="hint">${esc(t("open_apply"))}</span>` : links(i)}</td>
    </tr>`).join("");
  el.innerHTML = `
    <h1>${esc(t("open_data"))}</h1>
    <p>${esc(t("open_terms"))} ${licence} · ${esc(body.attribution || "")}</p>
    <table id="open-table">
      <thead><tr><th>${esc(t("resource"))}</th><th>${esc(t("update_cycle"))}</th>
        <th>${esc(t("licence"))}</th><th>${esc(t("attribution"))}</th><th>${esc(t("download"))}</th></tr></thead>
      <tbody>${rows || `<tr><td colspan="5">${esc(t("none"))}</td></tr>`}</tbody>
    </table>`;
}
