// The login page: an access key ID and secret, checked against the server before use.

import { login, signingImplementation } from '../session.js';
import { field, h, render, showError } from '../ui.js';

export function showLogin(onDone) {
  const id = h('input', { name: 'access-key-id', autocomplete: 'username', required: true, spellcheck: 'false' });
  const secret = h('input', { name: 'secret-access-key', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: async (event) => {
        event.preventDefault();
        button.disabled = true;
        try {
          await login(id.value.trim(), secret.value);
          secret.value = '';
          onDone();
        } catch (error) {
          showError(error, 'Sign-in failed');
          button.disabled = false;
        }
      },
    },
    h('h2', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Use an access key of the account root or of an IAM user. The secret stays in this tab; the console signs each request itself and only the signature is sent.'),
    field('Access key ID', id),
    field('Secret access key', secret),
    button,
    signingImplementation === 'javascript'
      ? h('p', { class: 'muted', id: 'insecure-note' }, 'This page is not served over HTTPS, so the browser hides WebCrypto: the console signs with its own SHA-256. Signatures protect your secret, but not the data in transit: prefer HTTPS.')
      : null,
  );
  render(form);
  id.focus();
}
