// The customer's portal: my projects, each with its steps, who has it now, my customer manager, the
// forecast energization date, questions and answers, and a rating once energized.
import { html, useState } from '../lib/ui.js';
import { api, allPages, Problem } from '../lib/api.js';
import { label, lang, t } from '../lib/i18n.js';
import { day, instant } from '../lib/format.js';
import { Loaded, Notice, ownerName, useLoad } from '../lib/components.js';
import { Messages } from './messages.js';

export function PortalHome() {
  const state = useLoad(() => allPages('/v1/projects'), []);
  return html`<section><h1>${t('nav_my_projects')}</h1>
    <${Loaded} state=${state}>${(items) => items.length ? html`<ul class="cards">${items.map((p) => html`<li key=${p.id} class="card">
      <h2><a href=${`/portal/projects/${p.id}`}>${p.number} · ${p.title}</a></h2>
      <p><span class="state-badge">${label(p.state_label, p.state)}</span> <span class="muted">${p.site_address}</span></p>
    </li>`)}</ul>` : html`<p class="empty">${t('no_projects')}</p>`}<//></section>`;
}

async function loadPortalProject(id) {
  const [progress, messages, project] = await Promise.all([
    api(`/v1/projects/${id}/progress`), api(`/v1/projects/${id}/messages`), api(`/v1/projects/${id}`)]);
  return { progress, messages, project };
}

export function PortalProject({ id }) {
  const state = useLoad(() => loadPortalProject(id), [id, lang()]);
  const [notice, setNotice] = useState(null);
  const done = async (text) => { await state.reload(); setNotice({ text }); };
  return html`<${Loaded} state=${state}>${({ progress: g, messages, project }) => {
    const current = g.steps.find((s) => s.status === 'current');
    return html`<article class="portal-project">
      <p class="muted"><a href="/portal/">← ${t('nav_my_projects')}</a></p>
      <h1><span class="number">${g.number}</span> ${g.title}</h1>
      <${Notice} notice=${notice} onClose=${() => setNotice(null)} />
      <div class="columns">
        <div class="main-col">
          <section class="card" aria-labelledby="h-progress"><h2 id="h-progress">${t('progress')}</h2>
            <ol class="steps">${g.steps.map((s, i) => html`<li key=${i} class=${`step ${s.status}`} data-state=${s.state}
                aria-current=${s.status === 'current' ? 'step' : undefined}>
              <span class="dot" aria-hidden="true"></span>
              <span class="step-label">${s.label}</span>
              <span class="muted"> · ${t(`step_${s.status}`)}
                ${s.status === 'done' && s.completed_at ? ` · ${instant(s.completed_at)}` : ''}
                ${s.status === 'current' && s.owner ? ` · ${t('current_owner')}: ${ownerName(s.owner)}` : ''}
                ${s.status === 'current' && s.deadline_at ? ` · ${t('deadline')}: ${instant(s.deadline_at)}` : ''}</span>
            </li>`)}</ol>
          </section>
          <${Messages} projectId=${id} messages=${messages} onDone=${done} />
          ${project.state === 'energized' || (g.terminal && g.forecast.energized_on) ? html`<${Rating} projectId=${id} onDone=${done} />` : null}
        </div>
        <div class="side-col">
          <section class="card forecast" aria-labelledby="h-forecast"><h2 id="h-forecast">${g.terminal ? t('energized_on') : t('forecast')}</h2>
            <p class="big" id="forecast-date">${g.forecast.energized_on ? day(g.forecast.energized_on) : t('forecast_depends')}</p>
            ${g.forecast.basis.length ? html`<details open=${!g.forecast.energized_on}><summary>${t('forecast_basis')}</summary>
              <ul class="plain basis">${g.forecast.basis.map((b) => html`<li key=${b.state}><strong>${b.label}</strong>
                ${b.ends_on ? html` · <span>${day(b.ends_on)}</span>` : null}<br /><span class="muted">${b.explanation}</span></li>`)}</ul></details>` : null}
          </section>
          ${current ? html`<section class="card" aria-labelledby="h-owner"><h2 id="h-owner">${t('current_owner')}</h2>
            <p>${ownerName(current.owner)} <span class="muted">(${current.label})</span></p></section>` : null}
          ${g.customer_manager ? html`<section class="card" aria-labelledby="h-contact"><h2 id="h-contact">${t('contact')}</h2>
            <p><strong>${g.customer_manager.name}</strong></p>
            ${g.customer_manager.phone ? html`<p>${t('phone')}: <a href=${`tel:${g.customer_manager.phone}`}>${g.customer_manager.phone}</a></p>` : null}
            ${g.customer_manager.email ? html`<p>${t('email')}: <a href=${`mailto:${g.customer_manager.email}`}>${g.customer_manager.email}</a></p>` : null}
          </section>` : null}
        </div>
      </div>
    </article>`;
  }}<//>`;
}

function Rating({ projectId, onDone }) {
  const [satisfaction, setSatisfaction] = useState('');
  const [comment, setComment] = useState('');
  const [error, setError] = useState(null);
  const [rated, setRated] = useState(false);
  const submit = async (e) => {
    e.preventDefault(); setError(null);
    const body = { satisfaction: Number(satisfaction) || satisfaction };
    if (comment.trim()) body.comment = comment.trim();
    try { await api(`/v1/projects/${projectId}/feedback`, { method: 'POST', body }); setRated(true); onDone(t('thanks_rating')); }
    catch (p) {
      if (p.status === 409) setRated(true);
      else setError(p instanceof Problem ? (p.fieldErrors()['/satisfaction'] || p.message) : String(p));
    }
  };
  if (rated) return html`<section class="card"><h2>${t('rate')}</h2><p>${t('already_rated')}</p></section>`;
  return html`<section class="card" aria-labelledby="h-rate"><h2 id="h-rate">${t('rate')}</h2>
    <form onSubmit=${submit} novalidate>
      <div class=${error ? 'field invalid' : 'field'}><label for="rating">${t('satisfaction')}</label>
        <select id="rating" value=${satisfaction} onChange=${(e) => setSatisfaction(e.target.value)}
          aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? 'rating-error' : undefined}>
          <option value="">${t('choose')}</option>
          ${[5, 4, 3, 2, 1].map((n) => html`<option value=${n}>${t(`sat_${n}`)}</option>`)}
        </select>${error ? html`<p class="field-error" id="rating-error" role="alert">${error}</p>` : null}</div>
      <div class="field"><label for="rating-comment">${t('comment')}</label>
        <textarea id="rating-comment" rows="2" value=${comment} onInput=${(e) => setComment(e.target.value)}></textarea></div>
      <button type="submit">${t('rate')}</button>
    </form></section>`;
}
