// Questions and answers on a project: customers ask, staff on the project answer or keep internal notes.
import { html, useState } from '../lib/ui.js';
import { api, Problem } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { instant } from '../lib/format.js';

function Compose({ id, text, button, onSend }) {
  const [body, setBody] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const send = async (e) => {
    e.preventDefault(); setBusy(true); setError(null);
    try { await onSend(body); setBody(''); } catch (p) {
      setError(p instanceof Problem ? (p.fieldErrors()['/body'] || p.message) : String(p));
    }
    setBusy(false);
  };
  return html`<form class="compose" onSubmit=${send} novalidate>
    <div class=${error ? 'field invalid' : 'field'}><label for=${id}>${text}</label>
      <textarea id=${id} rows="2" value=${body} onInput=${(e) => setBody(e.target.value)}
        aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? `${id}-error` : undefined}></textarea>
      ${error ? html`<p class="field-error" id=${`${id}-error`} role="alert">${error}</p>` : null}</div>
    <button type="submit" disabled=${busy}>${button}</button>
  </form>`;
}

export function Messages({ projectId, messages, staff = false, onDone }) {
  const post = (body) => api(`/v1/projects/${projectId}/messages`, { method: 'POST', body });
  const answersTo = (q) => messages.filter((m) => m.reply_to === q.id);
  const questions = messages.filter((m) => m.kind === 'question');
  const notes = messages.filter((m) => m.kind === 'internal');
  return html`<section class="card" aria-labelledby="h-messages"><h2 id="h-messages">${t('messages')}</h2>
    ${questions.length ? html`<ol class="thread">${questions.map((q) => html`<li key=${q.id} class="question" data-message=${q.id}>
      <p class="q"><span class=${`badge ${q.answered_at ? 'on_track' : 'due_soon'}`}>${t(q.answered_at ? 'answered' : 'unanswered')}</span>
        ${' '}<strong>${q.author_name}</strong> <time class="muted" datetime=${q.created_at}>${instant(q.created_at)}</time></p>
      <p class="body">${q.body}</p>
      ${answersTo(q).map((a) => html`<blockquote key=${a.id} class="answer"><p class="muted">${t('kind_answer')} · ${a.author_name} ·
        ${' '}${instant(a.created_at)}</p><p class="body">${a.body}</p></blockquote>`)}
      ${staff ? html`<${Compose} id=${`answer-${q.id}`} text=${t('your_answer')} button=${t('answer')}
        onSend=${async (body) => { await post({ kind: 'answer', reply_to: q.id, body }); onDone(t('saved')); }} />` : null}
    </li>`)}</ol>` : html`<p class="muted">${t('no_messages')}</p>`}
    ${staff && notes.length ? html`<h3>${t('kind_internal')}</h3><ul class="plain">${notes.map((n) => html`<li key=${n.id}>
      <strong>${n.author_name}</strong> <span class="muted">${instant(n.created_at)}</span>: ${n.body}</li>`)}</ul>` : null}
    ${staff ? html`<details><summary>${t('internal_note')}</summary><${Compose} id="internal-note" text=${t('internal_note')}
        button=${t('add_note')} onSend=${async (body) => { await post({ kind: 'internal', body }); onDone(t('saved')); }} /></details>`
      : html`<${Compose} id="ask" text=${t('your_question')} button=${t('ask')}
        onSend=${async (body) => { await post({ kind: 'question', body }); onDone(t('question_sent')); }} />`}
  </section>`;
}
