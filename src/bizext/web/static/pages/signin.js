// Sign in with a login and password (POST /v1/sessions); in development, a pasted API token instead.
import { html, useState, useRef, useEffect } from '../lib/ui.js';
import { signIn, useToken } from '../lib/api.js';
import { t } from '../lib/i18n.js';

export function SignIn({ app }) {
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const first = useRef(null);
  const [ended] = useState(() => { const e = sessionStorage.getItem('bizext.ended'); sessionStorage.removeItem('bizext.ended'); return !!e; });
  useEffect(() => first.current && first.current.focus(), []);

  const explain = (p) => (p.status === 401 ? t('bad_credentials') : p.status === 429 ? t('locked') : p.message);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setError(null);
    try { await signIn(login.trim(), password); } catch (p) { setError(explain(p)); setBusy(false); }
  };
  const submitToken = async (e) => {
    e.preventDefault();
    setError(null);
    try { await useToken(token.trim()); } catch (p) { setError(explain(p)); }
  };
  return html`<section class="card narrow signin">
    <h1>${t('sign_in')}</h1>
    <p class="muted">${t(app === 'console' ? 'app_console' : 'app_portal')}</p>
    ${ended && !error ? html`<div class="notice error" role="status">${t('session_expired')}</div>` : null}
    ${error ? html`<div class="notice error" role="alert" id="signin-error">${error}</div>` : null}
    <form onSubmit=${submit} aria-describedby=${error ? 'signin-error' : undefined}>
      <div class="field"><label for="login">${t('login')}</label>
        <input id="login" name="login" autocomplete="username" ref=${first} value=${login}
          onInput=${(e) => setLogin(e.target.value)} /></div>
      <div class="field"><label for="password">${t('password')}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" value=${password}
          onInput=${(e) => setPassword(e.target.value)} /></div>
      <button type="submit" disabled=${busy}>${busy ? t('signing_in') : t('sign_in')}</button>
    </form>
    <p class="muted">${app === 'console' ? html`<a href="/portal/">${t('go_portal')}</a>` : html`<a href="/console/">${t('go_console')}</a>`}</p>
    <details class="token">
      <summary>${t('token_sign_in')}</summary>
      <form onSubmit=${submitToken}>
        <div class="field"><label for="api-token">${t('api_token')}</label>
          <input id="api-token" name="token" autocomplete="off" spellcheck="false" value=${token}
            onInput=${(e) => setToken(e.target.value)} /></div>
        <button type="submit" class="secondary">${t('use_token')}</button>
      </form>
    </details>
  </section>`;
}
