// The console's entry point: login gate, hash routing between pages, keyboard shortcuts.
//
//   #/                      buckets
//   #/b/<bucket>/<prefix>   objects under a prefix (both URI-component encoded)
//   #/policy/<bucket>       bucket policy editor
//   #/iam                   IAM users and groups

import { showLogin } from './pages/login.js';
import { showBuckets } from './pages/buckets.js';
import { showObjects } from './pages/objects.js';
import { showPolicy } from './pages/policy.js';
import { showIam } from './pages/iam.js';
import { logout, restore, session } from './session.js';
import { clearStatus } from './ui.js';

/** Shortcut keys of the page on screen: key -> handler; pages replace it when shown. */
export const shortcuts = new Map();

function route() {
  shortcuts.clear();
  clearStatus();
  const s = session();
  document.getElementById('nav').hidden = !s;
  if (!s) return showLogin(() => route());
  document.getElementById('identity').textContent = s.arn || s.client.accessKeyId;
  const [, page = '', ...rest] = location.hash.split('/');
  const args = rest.map(decodeURIComponent);
  switch (page) {
    case 'b':
      return showObjects(s, args[0], args[1] || '', shortcuts);
    case 'policy':
      return showPolicy(s, args[0]);
    case 'iam':
      return showIam(s);
    default:
      return showBuckets(s, shortcuts);
  }
}

document.addEventListener('keydown', (event) => {
  const target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (target.closest && target.closest('input, textarea, select, [contenteditable]')) return;
  if (event.key === 'g' && session()) {
    location.hash = '#/';
    return;
  }
  const handler = shortcuts.get(event.key);
  if (handler) {
    event.preventDefault();
    handler();
  }
});

document.getElementById('logout').addEventListener('click', () => {
  logout();
  location.hash = '#/';
  route();
});

window.addEventListener('hashchange', route);
restore().then(route);
