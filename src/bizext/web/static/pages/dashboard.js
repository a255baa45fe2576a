// The managers' dashboard (project managers, supervisors, admins), drawn from GET /v1/reports/overview:
// open projects by stage, overdue by region and by owner, time limits met per month, connection times.
// Every chart has its numbers in a table beside it (screen readers, copying).
import { html, useEffect, useRef, useState, loadChart } from '../lib/ui.js';
import { api, hasRole } from '../lib/api.js';
import { label, lang, t } from '../lib/i18n.js';
import { Loaded, useLoad } from '../lib/components.js';

const BLUE = '#0b5cab', RED = '#b3261e', GREEN = '#1b7a3a';
const PALETTE = ['#0b5cab', '#b3261e', '#1b7a3a', '#8a5a00', '#6a3fa0', '#00838f', '#c2185b', '#5d6d7e', '#ef6c00'];

function Chart({ config, title }) {
  const canvas = useRef(null);
  useEffect(() => {
    let chart = null, live = true;
    loadChart().then((ChartJs) => {
      if (!live || !canvas.current) return;
      chart = new ChartJs(canvas.current, {
        ...config,
        options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options },
      });
    });
    return () => { live = false; if (chart) chart.destroy(); };
  }, [JSON.stringify(config)]);
  return html`<div class="chart-box"><canvas ref=${canvas} role="img" aria-label=${title}></canvas></div>`;
}

function Panel({ id, title, config, head, rows }) {
  return html`<section class="card" aria-labelledby=${id} data-chart=${id}>
    <h2 id=${id}>${title}</h2>
    ${rows.length ? html`<${Chart} config=${config} title=${title} />` : html`<p class="muted">${t('nothing')}</p>`}
    ${rows.length ? html`<details><summary>${t('table_view')}</summary>
      <table class="compact"><thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
      <tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table></details>` : null}
  </section>`;
}

const bar = (labels, datasets, { horizontal = false, stacked = false } = {}) => ({
  type: 'bar',
  data: { labels, datasets },
  options: {
    indexAxis: horizontal ? 'y' : 'x',
    scales: { x: { stacked, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked, beginAtZero: true, ticks: { precision: 0 } } },
    plugins: { legend: { position: 'bottom' } },
  },
});

export function Dashboard({ principal }) {
  const [months, setMonths] = useState(6);
  const allowed = hasRole(principal, 'project_manager', 'supervisor');
  const state = useLoad(() => (allowed ? api(`/v1/reports/overview?months=${months}`) : Promise.resolve({})), [months, allowed]);
  if (!allowed) return html`<section><h1>${t('dashboard')}</h1><p class="empty">${t('dash_needs_role')}</p></section>`;
  return html`<section>
    <h1>${t('dashboard')}</h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <div class="field"><label for="dash-months">${t('dash_months')}</label>
        <select id="dash-months" value=${months} onChange=${(e) => setMonths(Number(e.target.value))}>
          ${[3, 6, 12, 24].map((n) => html`<option value=${n}>${n}</option>`)}
        </select></div>
    </form>
    <${Loaded} state=${state}>${(o) => html`<div class="charts" key=${lang()}>${panels(o)}</div>`}<//>
  </section>`;
}

function panels(o) {
  const several = new Set(o.open_by_state.map((s) => s.workflow)).size > 1;
  const stateName = (s) => `${label(s.label, s.state)}${several ? ` (${s.workflow})` : ''}`;
  const states = o.open_by_state;
  const owners = [...o.owners].sort((a, b) => b.overdue_stages - a.overdue_stages || b.open_stages - a.open_stages).slice(0, 15);
  const months = o.months.map((m) => m.month);
  const clocks = new Map();
  o.months.forEach((m, i) => m.clocks.forEach((c) => {
    const key = `${c.workflow}/${c.clock}`;
    if (!clocks.has(key)) clocks.set(key, { name: `${label(c.label, c.clock)}${several ? ` (${c.workflow})` : ''}`, points: Array(months.length).fill(null), rows: [] });
    clocks.get(key).points[i] = c.met_percent;
    clocks.get(key).rows.push([m.month, `${label(c.label, c.clock)} (${c.workflow})`, c.stopped, c.met, c.met_percent ?? '—']);
  }));
  const edges = o.connection_edges_days;
  const buckets = edges.map((e, i) => (i + 1 < edges.length ? `${e}–${edges[i + 1]}` : `${e}+`));
  return html`
    <${Panel} id="chart-state" title=${t('dash_open_by_state')}
      head=${[t('state'), t('dash_open'), t('dash_overdue')]} rows=${states.map((s) => [stateName(s), s.open, s.overdue])}
      config=${bar(states.map(stateName), [
        { label: t('on_track'), data: states.map((s) => s.open - s.overdue), backgroundColor: BLUE },
        { label: t('dash_overdue'), data: states.map((s) => s.overdue), backgroundColor: RED }], { horizontal: true, stacked: true })} />
    <${Panel} id="chart-region" title=${t('dash_overdue_by_region')}
      head=${[t('region'), t('dash_open'), t('dash_overdue')]} rows=${o.open_by_region.map((r) => [r.region, r.open, r.overdue])}
      config=${bar(o.open_by_region.map((r) => r.region), [
        { label: t('dash_open'), data: o.open_by_region.map((r) => r.open), backgroundColor: BLUE },
        { label: t('dash_overdue'), data: o.open_by_region.map((r) => r.overdue), backgroundColor: RED }])} />
    <${Panel} id="chart-owner" title=${t('dash_overdue_by_owner')}
      head=${[t('owner'), t('dash_open'), t('dash_overdue')]} rows=${owners.map((w) => [w.name, w.open_stages, w.overdue_stages])}
      config=${bar(owners.map((w) => w.name), [
        { label: t('on_track'), data: owners.map((w) => w.open_stages - w.overdue_stages), backgroundColor: BLUE },
        { label: t('dash_overdue'), data: owners.map((w) => w.overdue_stages), backgroundColor: RED }], { horizontal: true, stacked: true })} />
    <${Panel} id="chart-met" title=${t('dash_met')}
      head=${[t('when'), t('clock'), t('stopped'), t('met'), '%']} rows=${[...clocks.values()].flatMap((c) => c.rows)}
      config=${{ type: 'line', data: { labels: months, datasets: [...clocks.values()].map((c, i) => ({
        label: c.name, data: c.points, borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length], spanGaps: true, pointRadius: 4 })) },
        options: { scales: { y: { min: 0, max: 100 } }, plugins: { legend: { position: 'bottom' } } } }} />
    <${Panel} id="chart-connection" title=${t('dash_connection')}
      head=${[t('workflow'), ...buckets]} rows=${o.connection.map((c) => [c.workflow, ...c.counts])}
      config=${bar(buckets, o.connection.map((c, i) => ({ label: c.workflow, data: c.counts,
        backgroundColor: i ? GREEN : BLUE })), { stacked: true })} />`;
}
