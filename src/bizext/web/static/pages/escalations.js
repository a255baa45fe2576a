// My open escalations (warnings and breaches raised to me); acknowledge each with a note.
import { html, useState } from '../lib/ui.js';
import { api, allPages, Problem } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { instant } from '../lib/format.js';
import { Loaded, Notice, useLoad } from '../lib/components.js';

function Acknowledge({ e, onDone }) {
  const [note, setNote] = useState('');
  const [error, setError] = useState(null);
  const id = `ack-${e.id}`;
  const submit = async (ev) => {
    ev.preventDefault(); setError(null);
    try {
      await api(`/v1/escalations/${e.id}/acknowledge`, { method: 'POST', body: { note }, ifMatch: e.version });
      onDone();
    } catch (p) {
      setError(p.status === 412 ? t('stale') : p instanceof Problem ? (p.fieldErrors()['/note'] || p.message) : String(p));
    }
  };
  return html`<form class="inline" onSubmit=${submit} novalidate>
    <div class=${error ? 'field invalid' : 'field'}><label for=${id}>${t('note')}</label>
      <input id=${id} value=${note} onInput=${(ev) => setNote(ev.target.value)} aria-invalid=${error ? 'true' : undefined}
        aria-describedby=${error ? `${id}-error` : undefined} />
      ${error ? html`<p class="field-error" id=${`${id}-error`} role="alert">${error}</p>` : null}</div>
    <button type="submit">${t('acknowledge')}</button>
  </form>`;
}

export function Escalations() {
  const state = useLoad(() => allPages('/v1/escalations?status=open&recipient_id=me'), []);
  const [notice, setNotice] = useState(null);
  return html`<section>
    <h1>${t('escalations')}</h1>
    <p class="muted">${t('esc_intro')}</p>
    <${Notice} notice=${notice} onClose=${() => setNotice(null)} />
    <${Loaded} state=${state}>${(items) => items.length ? html`<ul class="cards">${items.map((e) => html`<li key=${e.id} class="card escalation" data-escalation=${e.id}>
      <p><span class=${`badge ${e.kind === 'warning' ? 'due_soon' : 'overdue'}`}>${t(`esc_${e.kind}`)} · L${e.level}</span>
        ${' '}<a href=${`/console/projects/${e.project_id}`}><strong>${e.project_number || e.project_id}</strong></a>
        ${' '}<span class="muted">${t('raised')}: ${instant(e.raised_at)}${e.deadline_at ? ` · ${t('deadline')}: ${instant(e.deadline_at)}` : ''}</span></p>
      <p>${e.explanation}</p>
      <${Acknowledge} e=${e} onDone=${async () => { await state.reload(); setNotice({ text: t('acknowledged') }); }} />
    </li>`)}</ul>` : html`<p class="empty">${t('no_escalations')}</p>`}<//>
  </section>`;
}
