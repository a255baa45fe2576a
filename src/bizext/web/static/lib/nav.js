// Moving between pages of the one-page app without reloading it.
export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path); else history.pushState(null, '', path);
  window.dispatchEvent(new Event('bizext:navigate'));
  window.scrollTo(0, 0);
}
