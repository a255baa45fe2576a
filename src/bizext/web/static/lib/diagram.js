// The workflow drawn from its definition (GET /v1/workflows/{key}?version=): states as boxes in layers,
// transitions as arrows, rework loops as dashed arcs, the current state highlighted. No diagram library.
import { html } from './ui.js';
import { label, t } from './i18n.js';

const W = 164, H = 42, GAP_X = 18, ROW = 68, PAD = 12;
const SIDE = 34; // room for the rework arcs on both sides

/** Layers: the longest path from the initial state over the transitions, rework loops (back edges found
 * by a depth-first walk) left out. Transitions possible from every live state ("withdraw") are not drawn as
 * arrows; their target says so. */
export function layout(workflow) {
  const states = workflow.states.map((s) => s.name);
  const live = workflow.states.filter((s) => !s.terminal).length;
  const edges = [];
  const fromAny = new Map();
  for (const tr of workflow.transitions) {
    if (tr.from_states.length >= live && live > 2) {
      for (const d of tr.to) fromAny.set(d.state, tr);
      continue;
    }
    for (const f of tr.from_states) for (const d of tr.to) edges.push({ from: f, to: d.state, tr });
  }
  const out = new Map(states.map((s) => [s, []]));
  edges.forEach((e) => out.get(e.from)?.push(e));
  const onStack = new Set(), seen = new Set();
  const visit = (s) => {
    seen.add(s); onStack.add(s);
    for (const e of out.get(s) || []) {
      if (onStack.has(e.to)) e.back = true;
      else if (!seen.has(e.to)) visit(e.to);
    }
    onStack.delete(s);
  };
  visit(workflow.initial);
  const rank = new Map([[workflow.initial, 0]]);
  // Longest path over the forward edges (a DAG): relax until nothing changes.
  for (let changed = true, guard = 0; changed && guard < states.length + 2; guard++) {
    changed = false;
    for (const e of edges) {
      if (e.back || !rank.has(e.from)) continue;
      const r = rank.get(e.from) + 1;
      if ((rank.get(e.to) ?? -1) < r) { rank.set(e.to, r); changed = true; }
    }
  }
  const maxRank = Math.max(0, ...rank.values());
  for (const s of states) if (!rank.has(s)) rank.set(s, Math.max(1, maxRank)); // reached only "from any"
  const rows = [];
  for (const s of states) (rows[rank.get(s)] ||= []).push(s);
  const width = Math.max(...rows.filter(Boolean).map((r) => r.length)) * (W + GAP_X) - GAP_X + 2 * PAD + 2 * SIDE;
  const pos = new Map();
  rows.forEach((row, r) => {
    if (!row) return;
    const total = row.length * (W + GAP_X) - GAP_X;
    row.forEach((s, i) => pos.set(s, { x: (width - total) / 2 + i * (W + GAP_X), y: PAD + r * ROW }));
  });
  return { edges, pos, fromAny, width, height: PAD * 2 + (rows.length - 1) * ROW + H };
}

/** One or two lines that fit a box: split at the space nearest the middle, or (Chinese) at the middle. */
export function wrap(text, max = /[\u3400-\u9fff]/.test(text) ? 10 : 22) {
  if (text.length <= max) return [text];
  const mid = Math.floor(text.length / 2);
  const spaces = [...text.matchAll(/ /g)].map((m) => m.index);
  if (!spaces.length) return [text.slice(0, mid), text.slice(mid)];
  const at = spaces.reduce((best, x) => (Math.abs(x - mid) < Math.abs(best - mid) ? x : best));
  return [text.slice(0, at), text.slice(at + 1)];
}

export function WorkflowDiagram({ workflow, current, visited = [] }) {
  if (!workflow) return null;
  const { edges, pos, fromAny, width, height } = layout(workflow);
  const byName = new Map(workflow.states.map((s) => [s.name, s]));
  const done = new Set(visited);
  const arrows = edges.map((e, i) => {
    const a = pos.get(e.from), b = pos.get(e.to);
    if (!a || !b) return null;
    let d;
    if (e.back) {
      // A loop back up: an arc on the outer side of the source box.
      const left = a.x + W / 2 < width / 2 - 1;
      const x1 = left ? a.x : a.x + W, x2 = left ? b.x : b.x + W, y1 = a.y + H / 2, y2 = b.y + H / 2;
      const bulge = left ? Math.min(x1, x2) - 24 - (i % 3) * 5 : Math.max(x1, x2) + 24 + (i % 3) * 5;
      d = `M${x1},${y1} C${bulge},${y1} ${bulge},${y2} ${left ? x2 - 4 : x2 + 4},${y2}`;
    } else if (Math.abs(a.y - b.y) < 1) {
      const left = a.x < b.x;
      d = `M${left ? a.x + W : a.x},${a.y + H / 2} L${left ? b.x - 4 : b.x + W + 4},${b.y + H / 2}`;
    } else {
      const x1 = a.x + W / 2, y1 = a.y + H, x2 = b.x + W / 2, y2 = b.y - 4;
      const my = (y1 + y2) / 2;
      d = `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}`;
    }
    return html`<path d=${d} class=${e.back ? 'edge back' : 'edge'} marker-end="url(#arrow)">
      <title>${label(e.tr.label)}</title></path>`;
  });
  const boxes = workflow.states.map((s) => {
    const p = pos.get(s.name);
    const cls = ['node', s.terminal ? 'terminal' : s.side || '', s.name === current ? 'current' : '',
      done.has(s.name) && s.name !== current ? 'visited' : ''].join(' ');
    const any = fromAny.get(s.name);
    return html`<g class=${cls} transform=${`translate(${p.x},${p.y})`} data-state=${s.name}
        aria-current=${s.name === current ? 'step' : undefined}>
      <rect width=${W} height=${H} rx="7" />
      ${wrap(label(s.label)).map((line, k, all) => html`<text x=${W / 2} y=${(any ? 16 : 25) + (k - (all.length - 1) / 2) * 14}
        text-anchor="middle">${line}</text>`)}
      ${any ? html`<text x=${W / 2} y="32" text-anchor="middle" class="sub">${t('from_any')}</text>` : null}
      <title>${label(s.label)}${s.side ? ` · ${t(`side_${s.side}`)}` : ''}${s.name === current ? ` · ${t('step_current')}` : ''}</title>
    </g>`;
  });
  const here = byName.get(current);
  return html`<figure class="diagram">
    <svg viewBox=${`0 0 ${width} ${height}`} width=${width} role="img"
        aria-label=${`${label(workflow.title)}: ${t('step_current')} — ${here ? label(here.label) : current}`}>
      <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
        <path d="M0,0 L10,5 L0,10 z" class="arrowhead" /></marker></defs>
      ${arrows}${boxes}
    </svg>
    <figcaption>
      <span class="legend utility">${t('side_utility')}</span>
      <span class="legend customer">${t('side_customer')}</span>
      <span class="legend current">${t('step_current')}</span>
    </figcaption>
  </figure>`;
}
