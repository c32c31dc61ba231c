// The bucket list: create, delete, open, policy; each bucket's object count and bytes,
// counted from its first 1,000 keys (S3 has no usage call; "1000+" says there are more).

import { createBucket, deleteBucket, listBuckets, listObjects } from '../s3.js';
import { attempt, field, formatDate, formatSize, h, render, showInfo } from '../ui.js';

const USAGE_SAMPLE = 1000;

export async function showBuckets(s, shortcuts) {
  const client = s.client;
  const name = h('input', { name: 'bucket-name', required: true, pattern: '[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]', spellcheck: 'false' });
  const form = h(
    'form',
    {
      class: 'row',
      onsubmit: async (event) => {
        event.preventDefault();
        const bucket = name.value.trim();
        const created = await attempt(() => createBucket(client, bucket).then(() => true), `Create ${bucket}`);
        if (created) {
          name.value = '';
          await refresh(`Bucket ${bucket} created.`);
        }
      },
    },
    field('New bucket name', name),
    h('button', { type: 'submit', class: 'primary' }, 'Create bucket'),
  );
  const tbody = h('tbody');
  const table = h(
    'table',
    { 'aria-label': 'Buckets' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Bucket'), h('th', { class: 'num' }, 'Objects'), h('th', { class: 'num' }, 'Size'), h('th', { class: 'hide-narrow' }, 'Created'), h('th', {}, 'Actions'))),
    tbody,
  );
  render(h('h2', {}, 'Buckets'), form, table);

  async function refresh(message) {
    const buckets = await attempt(() => listBuckets(client), 'List buckets');
    if (!buckets) return;
    if (message) showInfo(message);
    tbody.replaceChildren(
      ...buckets.map((b) => {
        const count = h('td', { class: 'num' }, '…');
        const size = h('td', { class: 'num' }, '…');
        usage(b.name, count, size);
        return h(
          'tr',
          {},
          h('td', {}, h('a', { href: `#/b/${encodeURIComponent(b.name)}/` }, b.name)),
          count,
          size,
          h('td', { class: 'hide-narrow' }, formatDate(b.created)),
          h(
            'td',
            {},
            h('a', { href: `#/policy/${encodeURIComponent(b.name)}`, class: 'button' }, 'Policy'),
            ' ',
            h('button', { type: 'button', class: 'danger', 'aria-label': `Delete bucket ${b.name}`, onclick: () => remove(b.name) }, 'Delete'),
          ),
        );
      }),
    );
    if (!buckets.length) tbody.append(h('tr', {}, h('td', { colspan: '5', class: 'muted' }, 'No buckets yet.')));
  }

  async function usage(bucket, countCell, sizeCell) {
    try {
      const page = await listObjects(client, bucket, { maxKeys: USAGE_SAMPLE, delimiter: '' });
      const more = page.next ? '+' : '';
      countCell.textContent = `${page.objects.length}${more}`;
      sizeCell.textContent = formatSize(page.objects.reduce((n, o) => n + o.size, 0)) + more;
    } catch (error) {
      countCell.textContent = error.code || '?';
      sizeCell.textContent = '';
    }
  }

  async function remove(bucket) {
    if (!confirm(`Delete the bucket ${bucket}? It must be empty.`)) return;
    const done = await attempt(() => deleteBucket(client, bucket).then(() => true), `Delete ${bucket}`);
    if (done) await refresh(`Bucket ${bucket} deleted.`);
  }

  shortcuts.set('r', () => refresh());
  await refresh();
}
