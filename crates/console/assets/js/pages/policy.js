// The bucket policy editor: the current document, templates, save (PutBucketPolicy; the
// server's validation message is shown under the editor) and delete.

import { deleteBucketPolicy, getBucketPolicy, putBucketPolicy } from '../s3.js';
import { attempt, describeError, field, h, render, showInfo } from '../ui.js';

function templates(bucket, account) {
  const acct = account || '<account-id>';
  return {
    'public-read': {
      label: 'Public read: anyone may GET objects',
      note: `Anonymous readers use the account-ID URL: ${location.origin}/${acct}/${bucket}/<key>`,
      policy: () => ({
        Version: '2012-10-17',
        Statement: [{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }],
      }),
    },
    'user-read': {
      label: 'Read-only for one IAM user',
      note: 'Lists the bucket and reads its objects; nothing else.',
      user: true,
      policy: (user) => ({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ReadOnlyForUser',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${acct}:user/${user || '<user-name>'}` },
            Action: ['s3:GetObject', 's3:ListBucket'],
            Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
          },
        ],
      }),
    },
  };
}

export async function showPolicy(s, bucket) {
  const client = s.client;
  const editor = h('textarea', { id: 'policy-text', rows: '18', spellcheck: 'false' });
  const problem = h('p', { id: 'policy-error', class: 'policy-error', role: 'alert' });
  const choices = templates(bucket, s.account);
  const user = h('input', { id: 'template-user', spellcheck: 'false' });
  const template = h('select', { id: 'policy-template' }, h('option', { value: '' }, 'Choose a template…'), Object.entries(choices).map(([id, t]) => h('option', { value: id }, t.label)));
  const note = h('p', { class: 'muted' });
  const apply = () => {
    const chosen = choices[template.value];
    if (!chosen) return;
    note.textContent = chosen.note;
    editor.value = JSON.stringify(chosen.policy(user.value.trim()), null, 2);
  };
  template.addEventListener('change', apply);
  user.addEventListener('input', () => choices[template.value]?.user && apply());

  render(
    h('h2', {}, `Policy of ${bucket}`),
    h('p', {}, h('a', { href: `#/b/${encodeURIComponent(bucket)}/` }, `Back to ${bucket}`)),
    h('div', { class: 'row' }, field('Template', template), field('IAM user (for the user template)', user)),
    note,
    field('Policy document (JSON)', editor),
    problem,
    h(
      'div',
      { class: 'row' },
      h('button', { type: 'button', class: 'primary', id: 'policy-save', onclick: save }, 'Save policy'),
      h('button', { type: 'button', class: 'danger', onclick: remove }, 'Delete policy'),
    ),
  );

  async function save() {
    problem.textContent = '';
    try {
      await putBucketPolicy(client, bucket, editor.value);
      showInfo(`Policy of ${bucket} saved.`);
    } catch (error) {
      // The server's message names the offending statement or element: the first value it
      // quotes that appears in the document is selected, so the cursor lands on it.
      problem.textContent = describeError(error);
      editor.focus();
      const quoted = [...(error.message || '').matchAll(/"([^"]+)"/g)].map((m) => `"${m[1]}"`);
      const hit = quoted.find((q) => editor.value.includes(q));
      if (hit) {
        const at = editor.value.indexOf(hit);
        editor.setSelectionRange(at, at + hit.length);
      }
    }
  }

  async function remove() {
    if (!confirm(`Delete the policy of ${bucket}?`)) return;
    const done = await attempt(() => deleteBucketPolicy(client, bucket).then(() => true), 'Delete policy');
    if (done) {
      editor.value = '';
      showInfo(`Policy of ${bucket} deleted.`);
    }
  }

  const current = await attempt(() => getBucketPolicy(client, bucket), 'Read policy');
  if (current !== undefined) {
    try {
      editor.value = current ? JSON.stringify(JSON.parse(current), null, 2) : '';
    } catch {
      editor.value = current;
    }
  }
}
