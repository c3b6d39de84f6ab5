// 12369 complaints on the map (one dot per complaint, coloured by category) and the hot-spot
// panel (largest first, with the top candidate sources). Region-scoped by the API: a role that
// may not read complaints gets 403, shown as a note instead of failing the page.
import { api, ApiError } from "./api.js";
import { esc, lang, t } from "./i18n.js";

export const CATEGORY_COLORS = {
  air: "#8c6bb1", water: "#2b8cbe", noise: "#e6550d", solid_waste: "#8c510a",
  soil: "#a6761d", radiation: "#e7298a", ecology: "#1b9e77", other: "#7f7f7f",
};
const MAX_DOTS = 5000; // one page of the listing is plenty for a district map

export class ComplaintLayer {
  constructor(consoleMap) {
    this.cm = consoleMap;
    this.dots = L.layerGroup().addTo(consoleMap.map);
    this.spots = L.layerGroup().addTo(consoleMap.map);
    this.visible = true;
  }

  setVisible(on) {
    this.visible = on;
    for (const g of [this.dots, this.spots]) {
      if (on) g.addTo(this.cm.map); else g.remove();
    }
  }

  clear() {
    this.dots.clearLayers();
    this.spots.clearLayers();
  }

  show(complaints, hotspots) {
    this.clear();
    for (const c of complaints) {
      if (c.lat == null || c.lon == null) continue;
      const m = L.circleMarker([c.lat, c.lon], {
        radius: 3, weight: 0, fillOpacity: 0.75, fillColor: CATEGORY_COLORS[c.category] || "#777",
        className: "complaint-marker",
      });
      m.bindTooltip(`${esc(c.received_at.slice(0, 16).replace("T", " "))} · ${esc(t(`cat_${c.category}`))}<br>${esc(c.text)}`);
      m.addTo(this.dots);
    }
    for (const h of hotspots) {
      // Its true extent (visible when zoomed in) and a ring of fixed size (visible city-wide).
      L.circle([h.lat, h.lon], {
        radius: Math.max(h.radius_m, 150), color: "#c0392b", weight: 1, fillOpacity: 0.12,
        interactive: false, className: "hotspot-area",
      }).addTo(this.spots);
      const ring = L.circleMarker([h.lat, h.lon], {
        radius: 9 + Math.min(h.n_complaints, 20) / 2, color: "#c0392b", weight: 3, fill: false,
        className: "hotspot-ring",
      });
      ring.bindTooltip(hotspotLabel(h));
      ring.on("click", () => this.focus(h));
      ring.addTo(this.spots);
    }
  }

  focus(h) {
    this.cm.map.setView([h.lat, h.lon], 14, { animate: false });
  }
}

function hotspotLabel(h) {
  return `${esc(t(`cat_${h.category}`))} · ${esc(topicName(h.topic))} · ${esc(t("n_complaints", { n: h.n_complaints }))}`;
}

// Topic ids are English words (docs/complaints.md); shown as they are with spaces in English,
// and through the dictionary when it has them.
function topicName(topic) {
  const key = `topic_${topic}`;
  const s = t(key);
  return s === key ? (lang === "en" ? topic.replaceAll("_", " ") : topic) : s;
}

// The complaint API's region parameters for a console region: a stored region (division, key
// region, basin, custom region) by its code, a drawn circle as point + distance; null for a
// drawn polygon (the GET listings cannot carry one).
export function complaintQuery(region) {
  if (typeof region === "string") return `region=${encodeURIComponent(region)}`;
  if (region && region.point) {
    return `point=${region.point[0]},${region.point[1]}&distance_m=${region.distance_m}`;
  }
  return null;
}

// Fetch and draw the complaints and hot spots of any region but a drawn polygon (cleared, with
// a note).
export async function showComplaints(layer, listEl, region, isCurrent) {
  const where = complaintQuery(region);
  if (!where) {
    layer.clear();
    listEl.innerHTML = `<li class="hint">${esc(t("complaints_divisions_only"))}</li>`;
    return;
  }
  let complaints;
  let hotspots;
  try {
    [complaints, hotspots] = await Promise.all([
      api(`/api/v1/complaints?${where}&limit=${MAX_DOTS}`),
      api(`/api/v1/complaints/hotspots?${where}`),
    ]);
  } catch (err) {
    if (!isCurrent()) return;
    layer.clear();
    if (err instanceof ApiError && err.status === 403) {
      listEl.innerHTML = `<li class="hint" data-state="403">${esc(t("forbidden"))}</li>`;
      return;
    }
    throw err;
  }
  if (!isCurrent()) return;
  layer.show(complaints.items, hotspots.items);
  listEl.innerHTML = hotspots.items.length ? hotspots.items.map((h) => {
    const top = h.sources[0];
    const src = top
      ? `<a href="#/source/${encodeURIComponent(top.source_code)}">${esc(top.name || top.source_code)}</a> <small>${esc(Math.round(top.distance_m))} m</small>`
      : `<small>${esc(t("no_candidate"))}</small>`;
    return `<li data-hotspot="${esc(h.hotspot_id)}"><span class="dot" style="background:${CATEGORY_COLORS[h.category] || "#777"}"></span>
      <button type="button" class="linkish">${hotspotLabel(h)}</button> <small>${esc(h.first_at.slice(0, 10))}…${esc(h.last_at.slice(0, 10))}</small><br>${src}</li>`;
  }).join("") : `<li class="hint">${esc(t("none"))}</li>`;
  for (const li of listEl.querySelectorAll("li[data-hotspot]")) {
    const h = hotspots.items.find((x) => x.hotspot_id === li.dataset.hotspot);
    li.querySelector("button").addEventListener("click", () => layer.focus(h));
  }
}
