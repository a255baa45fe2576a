// One transition as a form generated from its JSON Schema; sent with If-Match so a stale page is told to
// reload rather than overwrite; the server's field errors shown beside the fields.
import { html, useEffect, useRef, useState } from '../lib/ui.js';
import { api } from '../lib/api.js';
import { label, t } from '../lib/i18n.js';
import { ObjectFields, cleanValue, initialValue, localToInstant, placeErrors, shownPointers } from '../lib/schemaform.js';

/** The caller acts as an admin (and must give a reason) when it is neither the owner nor the customer
 * manager standing in for the customer. */
export function actsAsAdmin(action, project, principal) {
  const roles = principal.roles || [];
  if (!roles.includes('admin')) return false;
  if (action.owner.kind === 'staff' && action.owner.id === principal.id) return false;
  if (action.owner.kind === 'customer' && project.customer_manager_id === principal.id) return false;
  return true;
}

export function ActionForm({ action, project, workflow, principal, open, onDone }) {
  const schema = action.input_schema;
  const [value, setValue] = useState(() => initialValue(schema));
  const [extra, setExtra] = useState({ comment: '', occurred_at: '', admin_reason: '' });
  const [errors, setErrors] = useState({});
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const admin = actsAsAdmin(action, project, principal);
  const onBehalf = action.owner.kind === 'customer' && project.customer_manager_id === principal.id;
  const ns = `a-${action.name}-`;
  // Who may take the next stage: offered as a list when the form has assign_to (the engine picks otherwise).
  const nextRole = action.to.map((s) => workflow.states.find((x) => x.name === s)?.owner_role)
    .find((r) => r && r !== 'customer');
  const offers = !!(schema.properties?.assign_to && nextRole);
  const [choices, setChoices] = useState(offers ? { '/input/assign_to': [] } : {});
  const loaded = useRef(false);
  const loadChoices = () => {
    if (!offers || loaded.current) return;
    loaded.current = true;
    api(`/v1/staff?role=${nextRole}&active=true&limit=200`).then((r) => setChoices({
      '/input/assign_to': r.items.map((p) => ({ value: p.id, label: `${p.name} (${p.region})` })) }),
    () => { loaded.current = false; });
  };
  useEffect(() => { if (open) loadChoices(); }, []);
  const dest = action.to.map((s) => label(workflow.states.find((x) => x.name === s)?.label, s)).join(' / ');

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setProblem(null); setErrors({});
    const body = { name: action.name, input: cleanValue(schema, value) || {} };
    if (extra.comment.trim()) body.comment = extra.comment.trim();
    if (extra.occurred_at) body.occurred_at = localToInstant(extra.occurred_at);
    if (admin) body.admin_reason = extra.admin_reason;
    try {
      const fired = await api(`/v1/projects/${project.id}/transitions`, { method: 'POST', body, ifMatch: project.version });
      onDone(t('fired', { state: label(fired.project.state_label, fired.project.state) }));
    } catch (p) {
      setBusy(false);
      setProblem(p);
      if (p.status === 422) setErrors(placeErrors(p.body.errors));
    }
  };

  const shown = new Set([...shownPointers(schema, value, '/input'), '/comment', '/occurred_at', '/admin_reason']);
  const stray = Object.entries(errors).filter(([ptr]) => !shown.has(ptr) || ptr === '/input');
  const field = (key, text, type = 'text') => {
    const id = `${ns}${key}`, err = errors[`/${key}`];
    return html`<div class=${err ? 'field invalid' : 'field'}><label for=${id}>${text}</label>
      ${type === 'textarea' ? html`<textarea id=${id} rows="2" value=${extra[key]} aria-invalid=${err ? 'true' : undefined}
          aria-describedby=${err ? `${id}-error` : undefined} onInput=${(e) => setExtra({ ...extra, [key]: e.target.value })}></textarea>`
        : html`<input id=${id} type=${type} value=${extra[key]} aria-invalid=${err ? 'true' : undefined}
          aria-describedby=${err ? `${id}-error` : undefined} onInput=${(e) => setExtra({ ...extra, [key]: e.target.value })} />`}
      ${err ? html`<p class="field-error" id=${`${id}-error`} role="alert">${err}</p>` : null}</div>`;
  };
  return html`<details class="action" open=${open} data-action=${action.name} onToggle=${(e) => e.target.open && loadChoices()}>
    <summary><span class="action-name">${label(action.label, action.name)}</span> <span class="muted">→ ${dest}</span></summary>
    <form onSubmit=${submit} novalidate aria-label=${label(action.label, action.name)}>
      ${onBehalf ? html`<p class="muted">${t('on_behalf')}</p>` : null}
      ${problem ? html`<div class="notice error" role="alert">
        ${problem.status === 412 ? html`${t('stale')} <button type="button" class="small" onClick=${() => location.reload()}>${t('reload')}</button>`
          : problem.status === 422 ? t('fix_errors') : problem.message}
        ${stray.length ? html`<ul>${stray.map(([ptr, m]) => html`<li>${ptr === '/input' ? '' : `${ptr}: `}${m}</li>`)}</ul>` : null}
      </div>` : null}
      <${ObjectFields} schema=${schema} value=${value} onChange=${setValue} pointer="/input" errors=${errors} ns=${ns} choices=${choices} />
      ${admin ? field('admin_reason', t('admin_reason')) : null}
      <details class="more"><summary>${t('more_fields')}</summary>
        ${field('comment', t('comment'), 'textarea')}
        ${field('occurred_at', t('occurred_at'), 'datetime-local')}
      </details>
      <button type="submit" disabled=${busy}>${label(action.label, action.name)}</button>
    </form>
  </details>`;
}
