// A project for staff: facts, the workflow with the current state, time limits, history, holds, questions,
// escalations, and the actions (one generated form per transition out of the current state).
import { html, useState } from '../lib/ui.js';
import { api, hasRole, Problem } from '../lib/api.js';
import { label, t } from '../lib/i18n.js';
import { instant, remainingWords } from '../lib/format.js';
import { DueBadge, Loaded, Notice, ownerName, useLoad } from '../lib/components.js';
import { WorkflowDiagram } from '../lib/diagram.js';
import { ActionForm } from './actions.js';
import { Messages } from './messages.js';

const settled = (p) => p.then((v) => v, () => null);

async function loadProject(id) {
  const project = await api(`/v1/projects/${id}`);
  const base = `/v1/projects/${id}`;
  const staffName = (sid) => (sid ? settled(api(`/v1/staff/${sid}`)).then((s) => s && s.name) : null);
  const [actions, workflow, clocks, history, holds, messages, escalations, stages, customer, cm, pm] = await Promise.all([
    api(`${base}/actions`), api(`/v1/workflows/${project.workflow.key}?version=${project.workflow.version}`),
    api(`${base}/clocks`), api(`${base}/history`), api(`${base}/holds`), api(`${base}/messages`),
    api(`${base}/escalations`), api(`${base}/stages`), settled(api(`/v1/customers/${project.customer_id}`)),
    staffName(project.customer_manager_id), staffName(project.project_manager_id),
  ]);
  return { project, actions, workflow, clocks, history, holds, messages, escalations, stages, customer, names: { cm, pm } };
}

export function ProjectPage({ id, principal }) {
  const state = useLoad(() => loadProject(id), [id]);
  const [notice, setNotice] = useState(null);
  const done = async (text) => { await state.reload(); setNotice({ kind: 'ok', text }); };
  return html`<${Loaded} state=${state}>${(d) => html`<article class="project" data-state=${d.project.state}>
    <header class="project-head">
      <p class="muted"><a href="/console/work">← ${t('nav_work')}</a></p>
      <h1><span class="number">${d.project.number}</span> ${d.project.title}</h1>
      <p class="state-line"><span class="state-badge" id="current-state">${label(d.project.state_label, d.project.state)}</span>
        ${d.project.owner ? html` · ${t('current_owner')}: <strong>${ownerName(d.project.owner)}</strong>` : null}</p>
    </header>
    <${Notice} notice=${notice} onClose=${() => setNotice(null)} />
    <div class="columns">
      <div class="main-col">
        <${Actions} d=${d} principal=${principal} onDone=${done} />
        <${Messages} projectId=${id} messages=${d.messages} staff onDone=${done} />
        <${Holds} d=${d} onDone=${done} />
        <${Reassign} d=${d} principal=${principal} onDone=${done} />
      </div>
      <div class="side-col">
        <${Facts} d=${d} />
        <${Clocks} clocks=${d.clocks} />
        <${ProjectEscalations} items=${d.escalations} />
      </div>
    </div>
    <section aria-labelledby="h-diagram" class="card">
      <h2 id="h-diagram">${t('diagram')}</h2>
      <p class="muted">${t('diagram_desc')}</p>
      <div class="scroll-x"><${WorkflowDiagram} workflow=${d.workflow} current=${d.project.state}
        visited=${d.stages.map((s) => s.state)} /></div>
    </section>
    <${History} items=${d.history} names=${peopleNames(d)} />
  </article>`}<//>`;
}

function Facts({ d }) {
  const p = d.project;
  const rows = [
    [t('number'), p.number], [t('customer'), d.customer ? d.customer.name : p.customer_id],
    [t('workflow'), label(d.workflow.title, p.workflow.key)], [t('site_address'), p.site_address],
    [t('voltage'), `${p.voltage_kv} kV`], [t('capacity'), `${p.capacity_kva} kVA`],
    [t('supply'), t(`supply_${p.supply}`)], [t('important'), t(p.important ? 'yes' : 'no')],
    [t('region'), p.region], [t('received_at'), instant(p.received_at)],
    [t('customer_manager'), d.names.cm || '—'], [t('project_manager'), d.names.pm || '—'],
  ];
  return html`<section class="card" aria-labelledby="h-facts"><h2 id="h-facts">${t('facts')}</h2>
    <dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl></section>`;
}

function Clocks({ clocks }) {
  const latest = [...clocks].reverse();
  return html`<section class="card" aria-labelledby="h-clocks"><h2 id="h-clocks">${t('clocks')}</h2>
    ${latest.length ? html`<table class="compact"><thead><tr><th scope="col">${t('clock')}</th><th scope="col">${t('deadline')}</th>
      <th scope="col">${t('status')}</th></tr></thead>
      <tbody>${latest.map((c) => html`<tr key=${c.id} data-clock=${c.name}>
        <td>${label(c.label, c.name)}${c.run > 1 ? ` (${t('run')} ${c.run})` : ''}<br />
          <span class="muted">${c.limit} ${t('wd_many', { n: '' }).trim()}</span></td>
        <td>${instant(c.deadline_at)}</td>
        <td>${c.status === 'stopped' ? html`<span class=${`badge ${c.met ? 'on_track' : 'overdue'}`}>${t(c.met ? 'met' : 'missed')}</span>`
          : html`<${DueBadge} clock=${c} /><br /><span class=${`remaining ${c.due}`}>${remainingWords(c.remaining)}</span>`}</td>
      </tr>`)}</tbody></table>` : html`<p class="muted">${t('nothing')}</p>`}
  </section>`;
}

/** Staff ids the page knows the names of (stage owners, the project's managers). */
function peopleNames(d) {
  const names = {};
  for (const s of d.stages) if (s.owner && s.owner.id && s.owner.name) names[s.owner.id] = s.owner.name;
  if (d.project.customer_manager_id && d.names.cm) names[d.project.customer_manager_id] = d.names.cm;
  if (d.project.project_manager_id && d.names.pm) names[d.project.project_manager_id] = d.names.pm;
  return names;
}

function History({ items, names }) {
  // The history's summaries name staff by id; show the names the page knows instead.
  const named = (text) => text.replace(/staff ([0-9a-f]{8}-[0-9a-f-]{27})/g, (m, id) => names[id] || m);
  return html`<section class="card" aria-labelledby="h-history"><h2 id="h-history">${t('history')}</h2>
    <ol class="timeline">${items.map((e, i) => html`<li key=${i} data-type=${e.type}>
      <time datetime=${e.at}>${instant(e.at)}</time> <span>${named(e.summary)}</span></li>`)}</ol></section>`;
}

function ProjectEscalations({ items }) {
  if (!items.length) return null;
  return html`<section class="card" aria-labelledby="h-pesc"><h2 id="h-pesc">${t('project_escalations')}</h2>
    <ul class="plain">${items.map((e) => html`<li key=${e.id}><span class=${`badge ${e.status === 'open' ? 'overdue' : 'none'}`}>
      ${t(`esc_${e.kind}`)} · L${e.level}</span> ${e.explanation} <span class="muted">(${e.status})</span></li>`)}</ul></section>`;
}

function Actions({ d, principal, onDone }) {
  const allowed = d.actions.actions.filter((a) => a.allowed);
  const others = d.actions.actions.filter((a) => !a.allowed);
  return html`<section class="card actions" aria-labelledby="h-actions"><h2 id="h-actions">${t('actions')}</h2>
    ${allowed.length ? html`<p class="muted">${t('actions_intro')}</p>` : html`<p class="empty">${t('no_actions')}</p>`}
    ${allowed.map((a, i) => html`<${ActionForm} key=${`${d.project.version}-${a.name}`} action=${a} project=${d.project}
      workflow=${d.workflow} principal=${principal} open=${allowed.length === 1} onDone=${onDone} />`)}
    ${others.length ? html`<ul class="plain blocked">${others.map((a) => html`<li key=${a.name}>
      <strong>${label(a.label, a.name)}</strong> — <span class="muted">${whyNot(a, d.names.cm)}</span></li>`)}</ul>` : null}
  </section>`;
}

/** Why an action is not open to the caller: a guard of the project's facts, or someone else's turn (on the
 * customer's stages, its customer manager may act for it). */
function whyNot(a, cm) {
  const guard = a.blocked_reason && /^(requires|not possible)/.test(a.blocked_reason);
  if (guard) return a.blocked_reason;
  if (a.owner.kind === 'customer' && cm) return t('not_yours_customer', { owner: ownerName(a.owner), cm });
  return t('not_yours', { owner: ownerName(a.owner) });
}

function Holds({ d, onDone }) {
  const [reason, setReason] = useState('');
  const [party, setParty] = useState('customer');
  const [error, setError] = useState(null);
  const open = d.holds.filter((h) => !h.released_at);
  const place = async (e) => {
    e.preventDefault(); setError(null);
    try {
      await api(`/v1/projects/${d.project.id}/holds`, { method: 'POST', body: { reason, party } });
      setReason(''); onDone(t('saved'));
    } catch (p) { setError(p); }
  };
  const release = async (h) => {
    try { await api(`/v1/projects/${d.project.id}/holds/${h.id}/release`, { method: 'POST', body: {} }); onDone(t('saved')); }
    catch (p) { setError(p); }
  };
  const fieldErr = error instanceof Problem ? error.fieldErrors() : {};
  return html`<section class="card" aria-labelledby="h-holds"><h2 id="h-holds">${t('holds')}</h2>
    ${d.holds.length ? html`<ul class="plain">${d.holds.map((h) => html`<li key=${h.id}>
      <span class=${`badge ${h.released_at ? 'none' : 'due_soon'}`}>${h.released_at ? t('released') : t('paused')}</span>
      ${' '}${h.reason} <span class="muted">(${t(`party_${h.party}`)}; ${instant(h.placed_at)})</span>
      ${!h.released_at ? html` <button type="button" class="small secondary" onClick=${() => release(h)}
        aria-label=${`${t('release')}: ${h.reason}`}>${t('release')}</button>` : null}</li>`)}</ul>`
      : html`<p class="muted">${t('no_holds')}</p>`}
    ${!d.workflow.states.find((s) => s.name === d.project.state)?.terminal ? html`<details><summary>${t('place_hold')}</summary>
      <form onSubmit=${place} novalidate>
        ${error && !Object.keys(fieldErr).length ? html`<div class="notice error" role="alert">${error.message}</div>` : null}
        <div class=${fieldErr['/reason'] ? 'field invalid' : 'field'}><label for="hold-reason">${t('hold_reason')}</label>
          <input id="hold-reason" value=${reason} onInput=${(e) => setReason(e.target.value)} aria-invalid=${fieldErr['/reason'] ? 'true' : undefined} />
          ${fieldErr['/reason'] ? html`<p class="field-error" role="alert">${fieldErr['/reason']}</p>` : null}</div>
        <div class="field"><label for="hold-party">${t('hold_party')}</label>
          <select id="hold-party" value=${party} onChange=${(e) => setParty(e.target.value)}>
            ${['customer', 'external', 'utility'].map((x) => html`<option value=${x}>${t(`party_${x}`)}</option>`)}
          </select></div>
        <button type="submit">${t('place_hold')}</button>
      </form></details>` : null}
  </section>`;
}

function Reassign({ d, principal, onDone }) {
  const p = d.project;
  const stateDef = d.workflow.states.find((s) => s.name === p.state);
  const may = principal.id === p.project_manager_id || hasRole(principal, 'supervisor');
  const role = stateDef && stateDef.owner_role;
  const [staffId, setStaffId] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState(null);
  const [candidates, setCandidates] = useState(null);
  if (!may || !role || role === 'customer' || stateDef.terminal) return null;
  const load = () => candidates || api(`/v1/staff?role=${role}&active=true&limit=200`).then((r) => setCandidates(r.items), setError);
  const submit = async (e) => {
    e.preventDefault(); setError(null);
    try {
      await api(`/v1/projects/${p.id}/owner`, { method: 'PUT', body: { staff_id: staffId, reason }, ifMatch: p.version });
      setStaffId(''); setReason('');
      onDone(t('reassigned'));
    } catch (x) { setError(x); }
  };
  const fieldErr = error instanceof Problem ? error.fieldErrors() : {};
  return html`<section class="card" aria-labelledby="h-reassign"><h2 id="h-reassign">${t('reassign')}</h2>
    <details onToggle=${(e) => e.target.open && load()}><summary>${t('reassign_open')}</summary>
    <form onSubmit=${submit} novalidate>
      ${error ? html`<div class="notice error" role="alert">${error.status === 412 ? t('stale') : error.message}</div>` : null}
      <div class=${fieldErr['/staff_id'] ? 'field invalid' : 'field'}><label for="reassign-staff">${t('new_owner')}</label>
        <select id="reassign-staff" value=${staffId} onChange=${(e) => setStaffId(e.target.value)}>
          <option value="">${t('choose')}</option>
          ${(candidates || []).map((s) => html`<option value=${s.id}>${s.name} (${s.region})</option>`)}
        </select>${fieldErr['/staff_id'] ? html`<p class="field-error" role="alert">${fieldErr['/staff_id']}</p>` : null}</div>
      <div class=${fieldErr['/reason'] ? 'field invalid' : 'field'}><label for="reassign-reason">${t('reason')}</label>
        <input id="reassign-reason" value=${reason} onInput=${(e) => setReason(e.target.value)} />
        ${fieldErr['/reason'] ? html`<p class="field-error" role="alert">${fieldErr['/reason']}</p>` : null}</div>
      <button type="submit">${t('reassign')}</button>
    </form></details></section>`;
}
