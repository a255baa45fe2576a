// The public API, and the signed-in session (the bearer token lives in sessionStorage: it ends with the tab).
import { lang } from './i18n.js';

const KEY = 'bizext.session';
const listeners = new Set();

export function currentSession() {
  try { return JSON.parse(sessionStorage.getItem(KEY)) || null; } catch { return null; }
}
export function saveSession(session) {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
  listeners.forEach((f) => f(session));
}
export function onSession(f) { listeners.add(f); return () => listeners.delete(f); }

/** An RFC 9457 problem answered by the API (or a network failure, status 0). */
export class Problem extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.type = this.body.type || null;
  }
  /** Field errors by JSON Pointer ("/input/meter_ids/0" → message). */
  fieldErrors() {
    const out = {};
    for (const e of this.body.errors || []) if (e.pointer != null) out[e.pointer] = e.message;
    return out;
  }
}

export async function api(path, { method = 'GET', body, ifMatch, token, headers = {} } = {}) {
  const h = { Accept: 'application/json', 'Accept-Language': lang() === 'zh' ? 'zh-CN, en;q=0.5' : 'en, zh;q=0.5', ...headers };
  const bearer = token ?? currentSession()?.token;
  if (bearer) h.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (ifMatch !== undefined) h['If-Match'] = `"${ifMatch}"`;
  let response;
  try {
    response = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new Problem(0, { title: 'network error', detail: String(e.message || e) });
  }
  if (response.status === 204) return null;
  let data = null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) data = await response.json();
  else data = await response.text();
  if (!response.ok) {
    const problem = new Problem(response.status, typeof data === 'object' ? data : { title: response.statusText, detail: data });
    if (response.status === 401 && bearer && !token && currentSession()) {
      sessionStorage.setItem('bizext.ended', '1');  // the sign-in page says why it is back
      saveSession(null);
    }
    throw problem;
  }
  return data;
}

/** Every page of a cursor-paginated list (bounded: a work list, not an export). */
export async function allPages(path, { limit = 200, maxPages = 10 } = {}) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const data = await api(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...data.items);
    cursor = data.next_cursor;
    if (!cursor) break;
  }
  return items;
}

export async function signIn(login, password) {
  const s = await api('/v1/sessions', { method: 'POST', body: { login, password }, token: '' });
  saveSession({ token: s.token, expires_at: s.expires_at, principal: s.principal, kind: 'session' });
  return s.principal;
}

/** Development: a pasted API token; who it is comes from the sessions endpoint like any other token. */
export async function useToken(token) {
  const me = await api('/v1/sessions/current', { token });
  saveSession({ token, principal: me.principal || me, kind: 'token' });
  return me.principal || me;
}

export async function signOut() {
  const s = currentSession();
  if (s && s.kind === 'session') {
    try { await api('/v1/sessions/current', { method: 'DELETE' }); } catch { /* already ended */ }
  }
  saveSession(null);
}

export const hasRole = (principal, ...roles) =>
  !!principal && (principal.roles || []).some((r) => r === 'admin' || roles.includes(r));
