// Placeholder replaced below.
import { html } from '../lib/ui.js';
export function Dashboard() { return html`<p>…</p>`; }
