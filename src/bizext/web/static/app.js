// The console (/console/, staff) and the portal (/portal/, customers): one page, routed on the path.
import { html, render, useState, useEffect } from './lib/ui.js';
import { currentSession, onSession, signOut } from './lib/api.js';
import { lang, setLanguage, onLanguage, t } from './lib/i18n.js';
import { navigate } from './lib/nav.js';
import { SignIn } from './pages/signin.js';
import { MyWork, ProjectList } from './pages/work.js';
import { ProjectPage } from './pages/project.js';
import { Escalations } from './pages/escalations.js';
import { Dashboard } from './pages/dashboard.js';
import { PortalHome, PortalProject } from './pages/portal.js';

const APP = location.pathname.startsWith('/portal') ? 'portal' : 'console';
const BASE = `/${APP}/`;

// Same-app links move without reloading; modified clicks (new tab…) behave as links do.
document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(BASE) || a.target) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});

function usePath() {
  const [path, setPath] = useState(location.pathname + location.search);
  useEffect(() => {
    const update = () => setPath(location.pathname + location.search);
    window.addEventListener('popstate', update);
    window.addEventListener('bizext:navigate', update);
    return () => { window.removeEventListener('popstate', update); window.removeEventListener('bizext:navigate', update); };
  }, []);
  return path;
}

function route(path, principal) {
  const [pathname, query] = path.split('?');
  const rest = pathname.slice(BASE.length).replace(/\/$/, '');
  const parts = rest ? rest.split('/') : [];
  const params = new URLSearchParams(query || '');
  if (APP === 'portal') {
    if (parts[0] === 'projects' && parts[1]) return html`<${PortalProject} id=${parts[1]} principal=${principal} />`;
    return html`<${PortalHome} principal=${principal} />`;
  }
  if (parts[0] === 'projects' && parts[1]) return html`<${ProjectPage} id=${parts[1]} principal=${principal} />`;
  if (parts[0] === 'projects') return html`<${ProjectList} principal=${principal} params=${params} />`;
  if (parts[0] === 'escalations') return html`<${Escalations} principal=${principal} />`;
  if (parts[0] === 'dashboard') return html`<${Dashboard} principal=${principal} />`;
  return html`<${MyWork} principal=${principal} />`;
}

function LanguageSwitch() {
  return html`<div class="lang" role="group" aria-label=${t('language')}>
    <button type="button" class="link" aria-pressed=${lang() === 'zh'} onClick=${() => setLanguage('zh')} lang="zh-CN">中文</button>
    <button type="button" class="link" aria-pressed=${lang() === 'en'} onClick=${() => setLanguage('en')} lang="en">English</button>
  </div>`;
}

function Nav({ principal, path }) {
  const link = (href, key) => {
    const active = path === href || (href !== BASE && path.startsWith(href)) || (href === `${BASE}work` && path === BASE);
    return html`<a href=${href} aria-current=${active ? 'page' : undefined}>${t(key)}</a>`;
  };
  const manager = (principal.roles || []).some((r) => ['admin', 'project_manager', 'supervisor'].includes(r));
  return html`<nav aria-label="main">
    ${APP === 'console' ? html`${link(`${BASE}work`, 'nav_work')}${link(`${BASE}projects`, 'nav_projects')}
      ${link(`${BASE}escalations`, 'nav_escalations')}${manager ? link(`${BASE}dashboard`, 'nav_dashboard') : null}`
      : link(BASE, 'nav_my_projects')}
  </nav>`;
}

function WrongApp({ principal }) {
  const other = APP === 'console' ? '/portal/' : '/console/';
  return html`<section class="card narrow">
    <p>${t(principal.kind === 'customer' ? 'wrong_app_customer' : 'wrong_app_staff')}</p>
    <p><a class="button" href=${other}>${t(APP === 'console' ? 'go_portal' : 'go_console')}</a></p>
    <p><button type="button" class="secondary" onClick=${() => signOut()}>${t('sign_out')}</button></p>
  </section>`;
}

function App() {
  const [session, setSession] = useState(currentSession());
  const [, setLang] = useState(lang());
  const path = usePath();
  useEffect(() => onSession(setSession), []);
  useEffect(() => onLanguage(setLang), []);
  useEffect(() => { document.title = `${t(APP === 'console' ? 'app_console' : 'app_portal')} · bizext`; });
  const principal = session?.principal;
  const fits = principal && (APP === 'portal' ? principal.kind === 'customer' : principal.kind !== 'customer');
  return html`<a class="skip" href="#main">${t('skip')}</a>
    <header class="top">
      <div class="brand"><strong>${t(APP === 'console' ? 'app_console' : 'app_portal')}</strong>
        <span class="muted">${t('brand')}</span></div>
      ${principal && fits ? html`<${Nav} principal=${principal} path=${path} />` : null}
      <div class="who">
        <${LanguageSwitch} />
        ${principal ? html`<span class="muted">${t('signed_in_as', { name: principal.name })}</span>
          <button type="button" class="secondary small" onClick=${() => signOut()}>${t('sign_out')}</button>` : null}
      </div>
    </header>
    <main id="main" tabindex="-1">
      ${!principal ? html`<${SignIn} app=${APP} />` : !fits ? html`<${WrongApp} principal=${principal} />` : route(path, principal)}
    </main>`;
}

render(html`<${App} />`, document.getElementById('app'));
