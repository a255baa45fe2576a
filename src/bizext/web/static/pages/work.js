// My work (the stages I own, soonest deadline first) and the list of all projects.
import { html, useState } from '../lib/ui.js';
import { api, allPages } from '../lib/api.js';
import { label, t } from '../lib/i18n.js';
import { decisiveClock, instant } from '../lib/format.js';
import { DueBadge, Loaded, Remaining, ownerName, useLoad } from '../lib/components.js';

const ORDER = { overdue: 0, due_soon: 1, on_track: 2 };

export function sortByDeadline(projects) {
  const rows = projects.map((p) => ({ project: p, clock: decisiveClock(p.clocks) }));
  rows.sort((a, b) => {
    if (!a.clock || !b.clock) return (a.clock ? 0 : 1) - (b.clock ? 0 : 1);
    return new Date(a.clock.deadline_at) - new Date(b.clock.deadline_at) || ORDER[a.clock.due] - ORDER[b.clock.due];
  });
  return rows;
}

function WorkTable({ rows, showOwner = false, caption }) {
  return html`<table class="work">
    <caption class=${caption ? '' : 'sr-only'}>${caption || t('nav_work')}</caption>
    <thead><tr><th scope="col">${t('project')}</th><th scope="col">${t('state')}</th>
      ${showOwner ? html`<th scope="col">${t('owner')}</th>` : null}
      <th scope="col">${t('deadline')}</th><th scope="col">${t('status')}</th><th scope="col">${t('remaining')}</th></tr></thead>
    <tbody>${rows.map(({ project: p, clock }) => html`<tr key=${p.id} class=${`due-${clock ? clock.due : 'none'}`} data-project=${p.number}>
      <td><a href=${`/console/projects/${p.id}`}><strong>${p.number}</strong></a><br /><span class="muted">${p.title}</span></td>
      <td>${label(p.state_label, p.state)}</td>
      ${showOwner ? html`<td>${ownerName(p.owner)}</td>` : null}
      <td>${clock ? html`${instant(clock.deadline_at)}<br /><span class="muted">${label(clock.label)}</span>` : '—'}</td>
      <td><${DueBadge} clock=${clock} /></td>
      <td><${Remaining} clock=${clock} /></td>
    </tr>`)}</tbody>
  </table>`;
}

export function MyWork({ principal }) {
  const state = useLoad(() => allPages(`/v1/projects?owner_id=${principal.id}`), [principal.id]);
  return html`<section>
    <h1>${t('nav_work')}</h1>
    <p class="muted">${t('work_intro')}</p>
    <${Loaded} state=${state}>${(projects) => projects.length
      ? html`<${WorkTable} rows=${sortByDeadline(projects)} />`
      : html`<p class="empty">${t('no_work')}</p>`}<//>
  </section>`;
}

export function ProjectList() {
  const [filters, setFilters] = useState({ region: '', workflow: '', state: '' });
  const [applied, setApplied] = useState(filters);
  const [extra, setExtra] = useState({ items: [], cursor: null });
  const workflows = useLoad(() => api('/v1/workflows'), []);
  const query = () => {
    const q = new URLSearchParams({ limit: '50' });
    for (const [k, v] of Object.entries(applied)) if (v) q.set(k, v);
    return q;
  };
  const page = useLoad(async () => {
    const data = await api(`/v1/projects?${query()}`);
    setExtra({ items: [], cursor: data.next_cursor });
    return data;
  }, [JSON.stringify(applied)]);
  const more = async () => {
    const q = query(); q.set('cursor', extra.cursor);
    const data = await api(`/v1/projects?${q}`);
    setExtra({ items: [...extra.items, ...data.items], cursor: data.next_cursor });
  };
  return html`<section>
    <h1>${t('nav_projects')}</h1>
    <form class="filters" onSubmit=${(e) => { e.preventDefault(); setApplied(filters); }}>
      <div class="field"><label for="f-region">${t('region')}</label>
        <input id="f-region" value=${filters.region} onInput=${(e) => setFilters({ ...filters, region: e.target.value })} /></div>
      <div class="field"><label for="f-workflow">${t('workflow')}</label>
        <select id="f-workflow" value=${filters.workflow} onChange=${(e) => setFilters({ ...filters, workflow: e.target.value })}>
          <option value="">${t('all')}</option>
          ${(workflows.data || []).map((w) => html`<option value=${w.key}>${label(w.title, w.key)}</option>`)}
        </select></div>
      <button type="submit" class="secondary">${t('filter')}</button>
    </form>
    <${Loaded} state=${page}>${(data) => {
      const all = [...data.items, ...extra.items];
      return all.length ? html`<${WorkTable} showOwner rows=${all.map((p) => ({ project: p, clock: decisiveClock(p.clocks) }))}
          caption=${t('nav_projects')} />
        ${extra.cursor ? html`<button type="button" class="secondary" onClick=${more}>${t('more')}</button>` : null}`
        : html`<p class="empty">${t('nothing')}</p>`;
    }}<//>
  </section>`;
}
