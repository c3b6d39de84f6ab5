// The map: division polygons as the base layer (no tiles: there is no internet), stations
// coloured by category, sources, and the polygon / circle drawing tool (drawing.js).
import { DrawTool } from "./drawing.js";
import { esc, levelName, t } from "./i18n.js";

// Conventional water-class colours (as on Chinese water-quality maps).
export const WATER_COLORS = {
  I: "#44c5f2", II: "#1f78d1", III: "#2fb34a", IV: "#f2c500", V: "#f28500", "劣V": "#d7191c",
};
const NO_DATA = "#9aa5ad";

export class ConsoleMap {
  constructor(el, { onPickDivision, onStation, onSource }) {
    // No default zoom control: Leaflet's has English titles; ours is made by _zoomButtons.
    this.map = L.map(el, { zoomSnap: 0.25, attributionControl: true, preferCanvas: false, zoomControl: false });
    this._zoomButtons();
    this.map.attributionControl.setPrefix("Leaflet");
    this.attribution = t("attribution_boundaries");
    this.map.attributionControl.addAttribution(this.attribution);
    this.map.setView([39.9, 116.4], 8);
    this.base = L.layerGroup().addTo(this.map);
    this.labels = L.layerGroup().addTo(this.map);
    this.stations = L.layerGroup().addTo(this.map);
    this.sources = L.layerGroup().addTo(this.map);
    this.drawn = L.layerGroup().addTo(this.map);
    this.cb = { onPickDivision, onStation, onSource };
    this.levelColors = {};
    // What it sends and what a refusal says: drawing.js's drawControls.
    this.draw = new DrawTool(this.map, { offer: async () => false, refuse: () => {} });
    this.map.on("click", (e) => this.draw.click(e.latlng));
    this.map.on("mousemove", (e) => this.draw.move(e.latlng));
  }

  // The attribution and the zoom buttons in the console's language (after a language switch).
  relabel() {
    this.map.attributionControl.removeAttribution(this.attribution);
    this.attribution = t("attribution_boundaries");
    this.map.attributionControl.addAttribution(this.attribution);
    this._zoomButtons();
  }

  // Leaflet's zoom buttons take their titles (tooltip and aria-label) only when made, so a
  // language switch makes them again; the old ones go first (one control, same corner).
  _zoomButtons() {
    if (this.zoom) this.zoom.remove();
    this.zoom = L.control.zoom({ zoomInTitle: t("zoom_in"), zoomOutTitle: t("zoom_out") }).addTo(this.map);
  }

  setLevels(levels) {
    this.levels = levels;
    this.levelColors = Object.fromEntries(levels.map((l) => [l.level, l.color]));
  }

  showBoundaries(fc, current, siblings = false) {
    this.base.clearLayers();
    this.labels.clearLayers();
    const parent = fc.parent;
    const layer = L.geoJSON(fc, {
      // Neighbours of the chosen county are drawn muted; the chosen one (or the children) plain.
      style: (f) => ({
        color: "#4b6473", weight: 1, fillOpacity: 0.9,
        fillColor: siblings && f.properties.code !== current ? "#e2e5e0" : "#f7f4ea",
      }),
      onEachFeature: (f, l) => {
        l.on("click", (e) => {
          if (this.draw.mode) return; // drawing: the click is a vertex
          L.DomEvent.stopPropagation(e);
          this.cb.onPickDivision(f.properties.code);
        });
        l.on("mouseover", () => l.setStyle({ fillColor: "#e8f1d8" }));
        l.on("mouseout", () => layer.resetStyle(l));
        const c = l.getBounds().getCenter();
        L.marker(c, {
          interactive: false,
          icon: L.divIcon({ className: "region-label", html: esc(f.properties.name), iconSize: [80, 14] }),
        }).addTo(this.labels);
      },
    });
    layer.addTo(this.base);
    if (parent) {
      const outline = L.geoJSON(parent, {
        style: { color: "#0f4c3a", weight: 2.5, fill: !fc.features.length, fillColor: "#f7f4ea", fillOpacity: 0.9 },
        interactive: false,
      }).addTo(this.base);
      this.map.fitBounds(outline.getBounds(), { padding: [10, 10], animate: false });
    } else if (fc.features.length) {
      this.map.fitBounds(layer.getBounds(), { padding: [10, 10], animate: false });
    }
  }

  stationColor(s) {
    if (s.network === "air") return this.levelColors[s.level] || NO_DATA;
    return WATER_COLORS[s.water_class] || NO_DATA;
  }

  showStations(items) {
    this.stations.clearLayers();
    for (const s of items) {
      if (s.lat == null || s.lon == null) continue;
      const m = L.circleMarker([s.lat, s.lon], {
        radius: 8, color: "#223", weight: 1, fillColor: this.stationColor(s), fillOpacity: 0.95,
        className: "station-marker",
      });
      const what = s.network === "air"
        ? `AQI ${s.aqi ?? "—"} ${levelName(this.levels, s.level, s.category ?? "")} (${s.aqi_date ?? ""})`
        : `${t("water_class")} ${s.water_class ?? "—"}`;
      m.bindTooltip(`${esc(s.name || s.station_id)}<br>${esc(what)}`);
      m.on("click", (e) => this._markerClick(e, () => this.cb.onStation(s.station_id)));
      m.addTo(this.stations);
    }
  }

  // Sources with an alert not yet closed (``alerted``, a set of codes) are a warning sign, a
  // shape no station has (station colours already use red for AQI).
  showSources(items, alerted = new Set()) {
    this.sources.clearLayers();
    for (const s of items) {
      if (s.lat == null || s.lon == null) continue;
      const hot = alerted.has(s.source_code);
      const m = hot
        ? L.marker([s.lat, s.lon], {
          icon: L.divIcon({ className: "source-alerted", html: "⚠", iconSize: [22, 22] }),
          zIndexOffset: 1000,
        })
        : L.circleMarker([s.lat, s.lon], {
          radius: 5, color: "#5a2d82", weight: 2, fillColor: "#fff", fillOpacity: 1,
          className: "source-marker",
        });
      m.bindTooltip(esc(s.name || s.source_code) + (hot ? `<br>⚠ ${esc(t("source_alerted"))}` : ""));
      m.on("click", (e) => this._markerClick(e, () => this.cb.onSource(s.source_code)));
      m.addTo(this.sources);
    }
  }

  // While drawing, a click on a marker is a vertex like any other point of the map.
  _markerClick(e, open) {
    L.DomEvent.stopPropagation(e);
    if (this.draw.mode) this.draw.click(e.latlng);
    else open();
  }

  // Fits are not animated: Leaflet drops a fit asked for while a zoom animation runs, so a
  // quick second pick (a key region, then one of its districts) kept the first one's view.
  showArea(feature) {
    this.drawn.clearLayers();
    if (!feature) return;
    const l = L.geoJSON(feature, {
      style: { color: "#b35c00", weight: 2, dashArray: "6 4", fillOpacity: 0.08 }, interactive: false,
    }).addTo(this.drawn);
    this.map.fitBounds(l.getBounds(), { padding: [20, 20], animate: false });
  }

  legend(levels, lang) {
    const rows = levels.map((l) => `<div><span class="dot" style="background:${l.color}"></span> ${esc(lang === "en" ? l.en : l.zh)}</div>`);
    rows.push(`<div><span class="dot" style="background:${NO_DATA}"></span> —</div>`);
    if (this.legendCtl) this.legendCtl.remove();
    this.legendCtl = L.control({ position: "bottomright" });
    this.legendCtl.onAdd = () => {
      const d = L.DomUtil.create("div", "legend");
      d.innerHTML = rows.join("");
      return d;
    };
    this.legendCtl.addTo(this.map);
  }
}
