// signin.js — the signed-out state: one field for an operator token (or,
// in development, the service key). The token is checked by asking the
// engine for something every role may read; only then is it kept, in this
// tab's sessionStorage. It never goes in a URL.

import { h, replace } from '../lib/dom.js';
import { ApiError, call } from '../lib/api.js';
import * as session from '../lib/session.js';
import { errorText } from '../lib/ui.js';

export default function mount(main, { notice, onSignedIn }) {
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    autocapitalize: 'off',
    required: true,
    'aria-describedby': 'token-hint',
  });
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'button' }, 'Sign in');
  const form = h(
    'form',
    { class: 'signin-form', novalidate: true },
    h('label', { for: 'token' }, 'Operator token'),
    h(
      'p',
      { id: 'token-hint', class: 'hint' },
      'Paste the token your sign-in provider issued. In development, the service key works too (',
      h('code', null, 'var/dev-service-key'),
      '). It is kept only in this browser tab and never put in a link.',
    ),
    input,
    status,
    submit,
  );

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const token = input.value.trim();
    if (!token) {
      replace(status, h('p', { class: 'notice notice-bad', role: 'alert' }, 'Paste a token to sign in.'));
      input.focus();
      return;
    }
    submit.disabled = true;
    replace(status, h('p', { class: 'loading', role: 'status' }, 'Checking the token…'));
    try {
      await call('GET', '/api/properties', { query: { limit: 1 }, token, quiet401: true });
      session.signIn(token);
      input.value = '';
      onSignedIn();
    } catch (err) {
      submit.disabled = false;
      const text =
        err instanceof ApiError && err.status === 401
          ? 'That token was not accepted: it may be mistyped, expired, or for another engine.'
          : errorText(err);
      replace(status, h('p', { class: 'notice notice-bad', role: 'alert' }, text));
      input.select();
    }
  });

  replace(
    main,
    h(
      'div',
      { class: 'signin' },
      h('div', { class: 'signin-brand' }, h('img', { src: '/static/icon.svg', alt: '', width: '40', height: '40' }), h('span', null, 'Lucia')),
      h('h1', { tabindex: '-1' }, 'Sign in'),
      h('p', { class: 'lede' }, 'The operations desk for your properties: today’s arrivals, requests, payments and messages, from the records alone.'),
      notice ? h('p', { class: 'notice notice-info', role: 'status', id: 'signin-notice' }, notice) : null,
      form,
    ),
  );
  input.focus();
}
