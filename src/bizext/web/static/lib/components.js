// Small pieces every page uses: loading data, showing problems, status badges.
import { html, useState, useEffect, useCallback, useRef } from './ui.js';
import { t } from './i18n.js';
import { remainingWords } from './format.js';

/** Load once per `deps`; `reload()` loads again and resolves once the new data is shown. */
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [n, setN] = useState(0);
  const waiting = useRef([]);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    const settle = () => { waiting.current.splice(0).forEach((resolve) => resolve()); };
    load().then((data) => { if (live) { setState({ data, error: null, loading: false }); settle(); } },
      (error) => { if (live) { setState({ data: null, error, loading: false }); settle(); } });
    return () => { live = false; };
  }, [...deps, n]);
  const reload = useCallback(() => new Promise((resolve) => { waiting.current.push(resolve); setN((x) => x + 1); }), []);
  return { ...state, reload };
}

export function ProblemText({ problem }) {
  if (!problem) return null;
  const status = problem.status;
  const text = status === 404 ? t('not_found') : status === 403 ? `${t('forbidden')} ${problem.message || ''}`
    : problem.message || t('error');
  return html`<span>${text}</span>`;
}

export function Loaded({ state, children }) {
  if (state.error) {
    return html`<div class="notice error" role="alert"><${ProblemText} problem=${state.error} />
      <button type="button" class="small secondary" onClick=${state.reload}>${t('retry')}</button></div>`;
  }
  if (state.data == null) return html`<p class="muted" role="status">${t('loading')}</p>`;
  return children(state.data);
}

export function DueBadge({ clock }) {
  if (!clock) return html`<span class="badge none">${t('no_deadline')}</span>`;
  const paused = clock.status === 'paused';
  return html`<span class=${`badge ${clock.due}`}>${t(clock.due)}${paused ? ` · ${t('paused')}` : ''}</span>`;
}

export function Remaining({ clock }) {
  if (!clock) return html`<span class="muted">—</span>`;
  return html`<span class=${`remaining ${clock.due}`}>${remainingWords(clock.remaining)}</span>`;
}

/** A message after an action (role=status so screen readers hear it). */
export function Notice({ notice, onClose }) {
  if (!notice) return null;
  return html`<div class=${`notice ${notice.kind || 'ok'}`} role=${notice.kind === 'error' ? 'alert' : 'status'}>
    <span>${notice.text}</span>${notice.action || null}
    ${onClose ? html`<button type="button" class="small link" onClick=${onClose}>${t('close')}</button>` : null}
  </div>`;
}

export const ownerName = (owner) => !owner ? '—' : owner.kind === 'unassigned' ? t('unassigned')
  : owner.name || (owner.kind === 'customer' ? t('the_customer') : owner.id);
