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

// Names listed the way the language lists them (、 in Chinese, a comma in English).
export function listed(names) {
  return names.join(lang === "en" ? ", " : "、");
}

// Text from the store (names of stations, sources, regions) is escaped before it goes into HTML.
export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
