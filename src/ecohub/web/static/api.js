// The API client: bearer token from sessionStorage, one refresh on 401, problem+json errors.
const KEY = "ecohub.tokens";

export class ApiError extends Error {
  constructor(status, detail, { expired = false, errors = null, retryAfter = null } = {}) {
    super(detail || `HTTP ${status}`);
    this.status = status;
    // Seconds a 429 asks to wait (its Retry-After header), else null.
    this.retryAfter = retryAfter;
    // The session ended (the refresh token was refused): the log-in page says so, nothing else.
    this.expired = expired;
    // What a refusal names (the problem's errors[].field, e.g. region.geojson), so a page can
    // say it in its own language; the first one as ``field``.
    this.errors = Array.isArray(errors) ? errors : [];
    this.field = this.errors.length ? this.errors[0].field : null;
  }
}

export function tokens() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

function keep(pair) {
  sessionStorage.setItem(KEY, JSON.stringify(pair));
}

// Drops the tokens here (the tab forgets the log-in).
export function logout() {
  sessionStorage.removeItem(KEY);
}

// 退出: asks the server to revoke the log-in's refresh tokens (POST /api/v1/auth/logout), then
// drops them here at once, without waiting for the answer: a reload or the next log-in right
// after must not find them. ``keepalive`` lets the request outlive the page. Any failure of that
// call (no network, an older server without the route, a token already gone) is ignored:
// logging out always works locally.
export async function logOutEverywhere() {
  const t = tokens();
  let sent = null;
  if (t && t.refresh_token) {
    try {
      sent = fetch("/api/v1/auth/logout", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${t.access_token}` },
        body: JSON.stringify({ refresh_token: t.refresh_token }),
        keepalive: true,
      });
    } catch { /* ignored */ }
  }
  logout();
  if (sent) await sent.catch(() => null);
}

async function tokenRequest(form) {
  const r = await fetch("/api/v1/auth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    const wait = Number.parseInt(r.headers.get("Retry-After") || "", 10);
    throw new ApiError(r.status, body.detail, { retryAfter: Number.isFinite(wait) ? wait : null });
  }
  keep(body);
  return body;
}

export function login(username, password) {
  return tokenRequest({ grant_type: "password", username, password });
}

let refreshing = null;
async function refresh() {
  const t = tokens();
  if (!t || !t.refresh_token) throw new ApiError(401, "not logged in");
  // Concurrent 401s share one refresh: the refresh token is spent once.
  refreshing ??= tokenRequest({ grant_type: "refresh_token", refresh_token: t.refresh_token })
    .finally(() => { refreshing = null; });
  return refreshing;
}

export async function api(path, { method = "GET", body, retry = true } = {}) {
  const t = tokens();
  const headers = { Accept: "application/json" };
  if (t) headers.Authorization = `Bearer ${t.access_token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status === 401 && retry && t) {
    try {
      await refresh();
    } catch {
      logout();
      window.dispatchEvent(new Event("ecohub:logged-out"));
      throw new ApiError(401, "session expired", { expired: true });
    }
    return api(path, { method, body, retry: false });
  }
  const data = await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, data && data.detail, { errors: data && data.errors });
  return data;
}
