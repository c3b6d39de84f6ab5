// Strings per language (JSON dictionaries in i18n/); zh-CN first, the choice kept in localStorage.
const LANGS = ["zh-CN", "en"];
let dict = {};
export let lang = localStorage.getItem("ecohub.lang") || "zh-CN";

export async function loadLang(code) {
  lang = LANGS.includes(code) ? code : "zh-CN";
  const r = await fetch(`/static/i18n/${lang}.json`);
  dict = await r.json();
  localStorage.setItem("ecohub.lang", lang);
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
}

export function t(key, vars = {}) {
  const s = dict[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

// The name ``key`` has in the console's language, or ``fallback`` when the dictionary has none
// (a code the dictionaries do not know is shown as it is).
export function named(key, fallback) {
  return dict[key] ?? fallback;
}

// An HJ 633 category's name in the console's language, by its level (1-6) from
// GET /geo/levels, which carries both names; ``fallback`` (the stored name) when unknown.
export function levelName(levels, level, fallback) {
  const l = (levels || []).find((x) => x.level === level);
  return l ? (lang === "en" ? l.en : l.zh) : fallback;
}

// Columns whose values are codes the dictionaries name (<prefix>_<code>); an unknown code is
// shown as it is.
const CODED = { status: "source_status", code_kind: "code_kind", uscc_status: "uscc_status",
  kind: "event", system: "system", actor: "actor", medium: "medium" };
// The registry's fixed reasons for its code events (ecohub.registry: coding, attach).
const REASONS = { "link run": "reason_link_run", "permit/MN of its records": "reason_permit_mn",
  "outlet registered": "reason_outlet_registered" };
const INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;

// An instant as people read it: YYYY-MM-DD HH:MM in China Standard Time.
export function cst(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString("sv-SE", { timeZone: "Asia/Shanghai" }).slice(0, 16);
}

// A value of an API answer as table text, ``col`` its column: known codes by name, a record
// reference (system:id) with its system's name, lists as a list, instants in CST, never JSON.
export function shown(v, col) {
  if (v == null || v === "") return "—";
  if (Array.isArray(v)) return v.length ? listed(v.map((x) => shown(x, col === "records" ? "record" : null))) : "—";
  if (typeof v === "object") return Object.entries(v).map(([k, x]) => t("label_value", { label: k, value: shown(x) })).join("; ");
  if (typeof v === "boolean") return t(v ? "yes" : "no");
  if (typeof v !== "string") return v;
  if (col && CODED[col]) return named(`${CODED[col]}_${v}`, v);
  if (col === "reason" && REASONS[v]) return t(REASONS[v]);
  if (col === "record" && v.includes(":")) {
    const i = v.indexOf(":");
    return `${named(`system_${v.slice(0, i)}`, v.slice(0, i))} ${v.slice(i + 1)}`;
  }
  if (INSTANT.test(v)) return cst(v);
  return v;
}

// Names listed the way the language lists them (、 in Chinese, a comma in English).
export function listed(names) {
  return names.join(t("list_separator"));
}

// "label: value" as markup, with the language's colon (full-width in Chinese): ``label`` is
// text (escaped here), ``html`` markup the caller made safe.
export function labelled(label, html) {
  const [head, tail = ""] = t("label_value", { label }).split("{value}");
  return `${esc(head)}${html}${esc(tail)}`;
}

// Text from the store (names of stations, sources, regions) is escaped before it goes into HTML.
export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
