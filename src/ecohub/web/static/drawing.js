// Drawing a region on the map: a polygon (click the vertices, 完成) or a circle (the centre, then
// a point on the circle). A drawing becomes the page's region only once the server has taken it
// (POST /api/v1/geo/feature); until then, and when it is refused, the sketch stays on the map so
// the user can mend it, and a note says why in the page's language, never the API's English.
import { api, ApiError } from "./api.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const STYLE = { color: "#b35c00", weight: 2, interactive: false, className: "draw-sketch" };
const WRONG = { ...STYLE, color: "#a30000", dashArray: "4 4", className: "draw-sketch wrong" };

// Twice the signed area of the triangle a, b, c: > 0 when c lies left of a→b, 0 on its line.
function cross(a, b, c) {
  return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

function within(a, b, c) { // c, on the line through a and b, lies on the segment a-b
  return Math.min(a[0], b[0]) <= c[0] && c[0] <= Math.max(a[0], b[0])
    && Math.min(a[1], b[1]) <= c[1] && c[1] <= Math.max(a[1], b[1]);
}

function segmentsMeet(p, q, r, s) {
  const d1 = cross(r, s, p), d2 = cross(r, s, q), d3 = cross(p, q, r), d4 = cross(p, q, s);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  return (d1 === 0 && within(r, s, p)) || (d2 === 0 && within(r, s, q))
    || (d3 === 0 && within(p, q, r)) || (d4 === 0 && within(p, q, s));
}

// Whether a closed ring of [lon, lat] positions (last = first, no two consecutive equal) meets
// itself anywhere but where consecutive edges join: what GEOS, and so the server, calls a
// self-intersection. Edges that are not neighbours must not meet at all; neighbours only at
// their shared vertex, so an edge folding back along the one before it counts too.
export function selfIntersects(ring) {
  const n = ring.length - 1; // edges
  for (let i = 0; i < n; i++) {
    const [a, b, c] = [ring[i], ring[i + 1], ring[(i + 2) % n]];
    if (n > 2 && cross(a, b, c) === 0 && (a[0] - b[0]) * (c[0] - b[0]) + (a[1] - b[1]) * (c[1] - b[1]) > 0) return true;
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue; // the first and last edges share the first vertex
      if (segmentsMeet(ring[i], ring[i + 1], ring[j], ring[j + 1])) return true;
    }
  }
  return false;
}

// The drawing on a Leaflet map. ``offer(region, label)`` asks whether the drawing is taken
// (resolves true or false); ``refuse(key, vars)`` says why the tool itself would not send it.
export class DrawTool {
  constructor(map, { offer, refuse }) {
    this.map = map;
    this.offer = offer;
    this.refuse = refuse;
    this.mode = null;
    this.points = [];
    this.maxRadius = Infinity; // metres; the server's, once known (GET /api/v1/geo/limits)
    this.pending = false;
  }

  start(mode) {
    this.cancel();
    this.mode = mode;
    this.map.getContainer().style.cursor = "crosshair";
    this.map.doubleClickZoom.disable();
  }

  cancel() {
    this.mode = null;
    this.points = [];
    this._unsketch();
    this.map.getContainer().style.cursor = "";
    this.map.doubleClickZoom.enable();
  }

  _unsketch() {
    if (this.sketch) { this.sketch.remove(); this.sketch = null; }
  }

  click(latlng) {
    if (!this.mode || this.pending) return;
    if (this.mode === "circle" && this.points.length === 1) {
      this._circle(this.points[0], latlng);
      return;
    }
    this.points = this.mode === "circle" ? [latlng] : [...this.points, latlng];
    this._sketch();
  }

  // The rubber band of a circle stops growing at the server's maximum and turns red past it.
  move(latlng) {
    if (this.mode !== "circle" || this.points.length !== 1 || this.pending) return;
    const r = this.map.distance(this.points[0], latlng);
    this._unsketch();
    this.sketch = L.circle(this.points[0], { radius: Math.min(r, this.maxRadius), ...(r > this.maxRadius ? WRONG : STYLE) }).addTo(this.map);
  }

  async _circle(centre, rim) {
    const r = Math.round(this.map.distance(centre, rim));
    // A click on the centre again (a marker's click gives the marker's own position) is no
    // circle yet: the tool waits for a point on it.
    if (r < 1) return;
    if (r > this.maxRadius) {
      // Not sent: the centre stays, and the next click on the map is the point on the circle.
      this.refuse("circle_too_large", { km: this.maxRadius / 1000 });
      return;
    }
    // The label as a key and its values: shown in whichever language the page has then.
    const label = { key: "circle_area", vars: { km: (r / 1000).toFixed(1) } };
    if (!(await this._offer({ point: [centre.lng, centre.lat], distance_m: r }, label))) {
      this.points = []; // the refused circle stays drawn until the next centre is clicked
    }
  }

  undo() {
    if (this.mode !== "polygon" || this.pending) return;
    this.points = this.points.slice(0, -1);
    this._sketch();
  }

  _ring() {
    const ring = [];
    for (const p of this.points) {
      const last = ring[ring.length - 1];
      if (!last || last[0] !== p.lng || last[1] !== p.lat) ring.push([p.lng, p.lat]); // a double click
    }
    if (ring.length > 1 && ring[0][0] === ring[ring.length - 1][0] && ring[0][1] === ring[ring.length - 1][1]) ring.pop();
    return ring.length >= 3 ? [...ring, ring[0]] : null;
  }

  _sketch() {
    this._unsketch();
    if (!this.points.length) return;
    if (this.mode === "polygon") {
      const ring = this._ring();
      this.sketch = L.polygon(this.points, ring && selfIntersects(ring) ? WRONG : STYLE).addTo(this.map);
    } else {
      this.sketch = L.circleMarker(this.points[0], STYLE).addTo(this.map);
    }
  }

  // 完成: false when there is nothing to finish or the polygon was not taken (the sketch stays).
  async finish() {
    if (this.mode !== "polygon" || this.pending) return false;
    const ring = this._ring();
    if (!ring) return false;
    if (selfIntersects(ring)) {
      this.refuse("polygon_self_intersects");
      return false;
    }
    // RFC 7946: exterior counter-clockwise (positive shoelace area in lon/lat).
    let a = 0;
    for (let i = 0; i < ring.length - 1; i++) a += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
    if (a < 0) ring.reverse();
    const region = { geojson: { type: "Polygon", coordinates: [ring] }, name: t("drawn_area") };
    return this._offer(region, { key: "drawn_area" });
  }

  async _offer(region, label) {
    this.pending = true;
    try {
      const taken = await this.offer(region, label);
      if (taken) this.cancel();
      return taken;
    } finally {
      this.pending = false;
    }
  }
}

// What a refusal of the server (422) means for a drawing, by the field it names.
const REFUSED = {
  "region.geojson": "drawn_polygon_refused",
  "region.point": "drawn_centre_refused",
  "region.distance_m": "drawn_radius_refused",
};

// The drawing buttons, the hint and the note under them. ``accept(region, label, feature)``
// makes a taken drawing the page's region; ``failed(err)`` reports any other failure.
export function drawControls(tool, { accept, failed }) {
  let drawing = null;
  let note = null; // [key, vars]: redrawn in the other language on a switch

  const say = (key, vars = {}) => {
    note = key ? [key, vars] : null;
    $("draw-error").textContent = key ? t(key, vars) : "";
    $("draw-error").hidden = !key;
  };
  const buttons = (mode) => {
    drawing = mode;
    $("draw-finish").hidden = mode !== "polygon";
    $("draw-undo").hidden = mode !== "polygon";
    $("draw-cancel").hidden = !mode;
    $("draw-polygon").classList.toggle("active", mode === "polygon");
    $("draw-circle").classList.toggle("active", mode === "circle");
    const hint = mode === "circle" && Number.isFinite(tool.maxRadius) ? "hint_circle_max" : `hint_${mode}`;
    $("draw-hint").textContent = mode ? t(hint, { km: tool.maxRadius / 1000 }) : "";
  };
  tool.refuse = say;
  tool.offer = async (region, label) => {
    say(null);
    let feature;
    document.body.dataset.loading = "1"; // the page is busy from the click on (accept goes on)
    try {
      feature = await api("/api/v1/geo/feature", { method: "POST", body: { region } });
    } catch (err) {
      delete document.body.dataset.loading;
      if (err instanceof ApiError && err.status === 422) {
        const key = REFUSED[err.field] || "drawn_refused";
        say(key, { km: tool.maxRadius / 1000 });
      } else failed(err);
      return false;
    }
    buttons(null);
    accept(region, label, feature);
    return true;
  };
  const begin = (mode) => { say(null); tool.start(mode); buttons(mode); };
  $("draw-polygon").addEventListener("click", () => begin("polygon"));
  $("draw-circle").addEventListener("click", () => begin("circle"));
  $("draw-undo").addEventListener("click", () => { say(null); tool.undo(); });
  $("draw-cancel").addEventListener("click", () => { say(null); tool.cancel(); buttons(null); });
  $("draw-finish").addEventListener("click", () => tool.finish());
  return {
    relabel: () => { buttons(drawing); if (note) say(...note); },
    reset: () => { say(null); tool.cancel(); buttons(null); },
    limits: (limits) => { if (limits && limits.distance_m) tool.maxRadius = limits.distance_m; },
  };
}
