// The alerts page (#/alerts): alerts in the user's scope, with acknowledge / close for
// inspectors and admins; and the set of sources with alerts not yet closed (the map marks them).
import { api, ApiError } from "./api.js";
import { cst, esc, lang, named, t } from "./i18n.js";

const ACTIVE = ["open", "acknowledged"];

// Source codes with an alert that is not closed, and how many such alerts there are; null when
// the role may not read alerts (an enterprise user: 403).
export async function openAlerts() {
  try {
    const lists = await Promise.all(ACTIVE.map((s) => api(`/api/v1/alerts?state=${s}&limit=10000`)));
    const items = lists.flatMap((l) => l.items);
    return { count: items.length, sources: new Set(items.map((a) => a.source_code).filter(Boolean)) };
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return null;
    throw err;
  }
}

// An alert's rule by name: the dictionaries' (rule_<kind>_<rule>: an anomaly rule, or the
// averaging period of an exceeded permit limit), else the API's name in the page's language (a
// rule newer than the console), else the code.
function ruleName(a) {
  return named(`rule_${a.kind}_${a.rule}`, (lang === "en" ? a.rule_en : a.rule_zh) || a.rule);
}

// The rule cell's tooltip: what kind of alert it is and the rule's name, in words.
function ruleTip(a) {
  return t("alert_rule_tip", { kind: named(`alert_kind_${a.kind}`, a.kind), name: ruleName(a) });
}

function row(a, canAct) {
  const what = lang === "en" ? a.title_en : a.title_zh;
  const when = (s) => (s ? cst(s) : "");
  const actions = !canAct || a.state === "closed" ? "" : `
    <input class="alert-comment" data-i18n-placeholder="alert_comment" placeholder="${esc(t("alert_comment"))}" maxlength="2000">
    ${a.state === "open" ? `<button type="button" class="alert-ack">${esc(t("alert_ack"))}</button>` : ""}
    <button type="button" class="alert-close">${esc(t("alert_close"))}</button>`;
  const who = a.state === "closed" ? `${a.closed_by}: ${a.close_comment}`
    : a.state === "acknowledged" ? `${a.acked_by}${a.ack_comment ? `: ${a.ack_comment}` : ""}` : "";
  return `<tr data-alert="${esc(a.id)}" data-state="${esc(a.state)}">
    <td>${esc(a.id)}</td>
    <td><span class="sev sev-${esc(a.severity)}">${esc(t(`sev_${a.severity}`))}</span></td>
    <td>${esc(t(`state_${a.state}`))}</td>
    <td>${esc(what)}</td>
    <td>${a.source_name ? `<span class="source-name">${esc(a.source_name)}</span><br>` : ""}<a href="#/source/${encodeURIComponent(a.source_code || "")}">${esc(a.source_code || "—")}</a><br><code>${esc(a.mn)}</code></td>
    <td><small title="${esc(ruleTip(a))}">${esc(ruleName(a))}</small></td>
    <td>${esc(when(a.first_seen))}<br>${esc(when(a.last_seen))}</td>
    <td>${esc(a.occurrences)}</td>
    <td>${esc(who)}</td>
    <td class="alert-actions">${actions}<span class="error alert-error" role="alert"></span></td>
  </tr>`;
}

// focus: the id of an alert to show (#/alerts/N, the link in an alert's mail): every state is
// listed so a closed one is found too, and its row is marked and scrolled to.
// notice: {id, text} said in alert id's row once the table is drawn (a step another person had
// already taken: the table is reloaded and the row says so).
export async function alertsPage(el, me, stateFilter, focus, notice) {
  // Each call owns the page until a newer one starts (a filter change, the reload after an
  // action): an answer that arrives after a newer call started is dropped, not drawn over it.
  const gen = (el.alertsGen = (el.alertsGen || 0) + 1);
  const stale = () => el.alertsGen !== gen;
  const canAct = me.role === "admin" || me.role === "inspector";
  const filter = stateFilter || (focus ? "all" : "active");
  el.innerHTML = `
    <h1 id="detail-title">${esc(t("alerts"))}</h1>
    <label>${esc(t("status"))}
      <select id="alert-state">
        ${["active", "open", "acknowledged", "closed", "all"].map((s) =>
          `<option value="${s}"${s === filter ? " selected" : ""}>${esc(t(`state_${s}`))}</option>`).join("")}
      </select></label>
    <div id="alert-table"><p class="hint">…</p></div>`;
  el.querySelector("#alert-state").addEventListener("change", (e) => alertsPage(el, me, e.target.value));
  let items;
  try {
    const states = filter === "active" ? ACTIVE : filter === "all" ? [null] : [filter];
    const lists = await Promise.all(states.map((s) => api(`/api/v1/alerts?limit=10000${s ? `&state=${s}` : ""}`)));
    items = lists.flatMap((l) => l.items).sort((x, y) => y.id - x.id);
  } catch (err) {
    if (stale()) return;
    const msg = err instanceof ApiError && err.status === 403 ? t("forbidden") : t("request_failed", { detail: err.message });
    el.querySelector("#alert-table").innerHTML = `<p class="error">${esc(msg)}</p>`;
    return;
  }
  if (stale()) return;
  const head = ["id", "alert_severity", "status", "alert_what", "source", "alert_rule",
    "alert_period", "alert_occurrences", "alert_handled", ""].map((k) => `<th>${k ? esc(t(k)) : ""}</th>`).join("");
  el.querySelector("#alert-table").innerHTML = items.length
    ? `<table id="alerts"><thead><tr>${head}</tr></thead><tbody>${items.map((a) => row(a, canAct)).join("")}</tbody></table>`
    : `<p class="hint">${esc(t("none"))}</p>`;
  if (focus) {
    const tr = el.querySelector(`tr[data-alert="${CSS.escape(String(focus))}"]`);
    if (tr) {
      tr.classList.add("alert-focus");
      tr.scrollIntoView({ block: "center" });
    } else {
      // Unknown, or outside the user's region (the API answers both alike).
      el.querySelector("#alert-table").insertAdjacentHTML("afterbegin",
        `<p class="hint" id="alert-missing">${esc(t("alert_not_found", { id: focus }))}</p>`);
    }
  }
  if (notice) {
    const tr = el.querySelector(`tr[data-alert="${CSS.escape(String(notice.id))}"]`);
    const box = tr ? tr.querySelector(".alert-error") : null;
    if (box) box.textContent = notice.text;
    else {
      el.querySelector("#alert-table").insertAdjacentHTML("afterbegin",
        `<p class="error" id="alert-notice">${esc(notice.text)}</p>`);
    }
  }
  for (const tr of el.querySelectorAll("tr[data-alert]")) {
    const id = tr.dataset.alert;
    const step = async (name) => {
      const comment = tr.querySelector(".alert-comment").value.trim();
      const err = tr.querySelector(".alert-error");
      err.textContent = "";
      if (name === "close" && !comment) { err.textContent = t("alert_comment_needed"); return; }
      try {
        await api(`/api/v1/alerts/${id}/${name}`, { method: "POST", body: { comment: comment || null } });
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 409)) {
          err.textContent = e.expired ? "" : e.status === 403 ? t("forbidden")
            : e.status === 404 ? t("not_found") : t("request_failed", { detail: e.message });
          return;
        }
        // Someone else was faster: say who (the alert as it is now), and show the table as it is.
        window.dispatchEvent(new Event("ecohub:alerts-changed"));
        await alertsPage(el, me, filter, null, { id, text: await conflict(id) });
        return;
      }
      window.dispatchEvent(new Event("ecohub:alerts-changed"));
      await alertsPage(el, me, filter);
    };
    tr.querySelector(".alert-ack")?.addEventListener("click", () => step("ack"));
    tr.querySelector(".alert-close")?.addEventListener("click", () => step("close"));
  }
}

// The message for a step refused with 409: the alert's state now and who took it there.
async function conflict(id) {
  try {
    const a = await api(`/api/v1/alerts/${encodeURIComponent(id)}`);
    const who = a.state === "closed" ? a.closed_by : a.acked_by;
    if (who) return t("alert_conflict_by", { state: t(`state_${a.state}`), who });
  } catch { /* the general message below */ }
  return t("alert_conflict");
}
