// One object's details (HeadObject), download and share link (a presigned GET, up to 7 days).

import { MAX_PRESIGN_SECONDS } from '../sigv4.js';
import { headObject } from '../s3.js';
import { attempt, field, formatSize, h, showInfo } from '../ui.js';

const EXPIRIES = [
  [3600, '1 hour'],
  [86400, '1 day'],
  [MAX_PRESIGN_SECONDS, '7 days (the longest SigV4 allows)'],
];

/** Opens the details panel of `key` below the listing (replacing any other). */
export async function showDetails(s, bucket, key) {
  const client = s.client;
  const info = await attempt(() => headObject(client, bucket, key), `Details of ${key}`);
  if (!info) return;
  document.getElementById('details')?.remove();
  const fileName = key.split('/').pop() || 'download';
  const expiry = h('select', { id: 'share-expiry' }, EXPIRIES.map(([seconds, label]) => h('option', { value: String(seconds) }, label)));
  const link = h('input', { id: 'share-link', readonly: true, size: '60', 'aria-label': 'Share link' });
  const copy = h('button', { type: 'button', disabled: true, onclick: () => copyLink(link) }, 'Copy link');
  const panel = h(
    'section',
    { id: 'details', class: 'panel', 'aria-labelledby': 'details-title' },
    h('h3', { id: 'details-title', tabindex: '-1' }, key),
    h(
      'dl',
      {},
      h('dt', {}, 'Size'), h('dd', { id: 'detail-size' }, `${formatSize(info.size)} (${info.size} bytes)`),
      h('dt', {}, 'ETag'), h('dd', {}, info.etag),
      h('dt', {}, 'Content type'), h('dd', {}, info.contentType),
      h('dt', {}, 'Last modified'), h('dd', {}, info.modified),
      info.metadata.flatMap(([name, value]) => [h('dt', {}, `x-amz-meta-${name}`), h('dd', {}, value)]),
    ),
    h(
      'div',
      { class: 'row' },
      h('button', { type: 'button', class: 'primary', onclick: () => download(client, bucket, key, fileName) }, 'Download'),
      h('button', { type: 'button', onclick: () => panel.remove() }, 'Close'),
    ),
    h(
      'div',
      { class: 'row' },
      field('Share link valid for', expiry),
      h(
        'button',
        {
          type: 'button',
          onclick: async () => {
            const url = await attempt(() => client.presignGet(bucket, key, Number(expiry.value)), 'Share link');
            if (!url) return;
            link.value = url;
            copy.disabled = false;
            link.select();
          },
        },
        'Create share link',
      ),
    ),
    h('div', { class: 'row' }, link, copy),
    h('p', { class: 'muted' }, 'Anyone with the link can download this object until it expires, as long as your key stays active and allowed to read it.'),
  );
  document.getElementById('view').append(panel);
  panel.querySelector('h3').focus();
}

// A presigned GET opened by a link with a `download` name: the browser streams the body to
// disk under that name (same origin, so the attribute is honoured; S4 does not implement the
// response-content-disposition override).
async function download(client, bucket, key, fileName) {
  const url = await attempt(() => client.presignGet(bucket, key, 300), 'Download');
  if (!url) return;
  const a = h('a', { href: url, download: fileName, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
}

async function copyLink(input) {
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    // The clipboard API needs a secure context; select the text for Ctrl+C instead.
    input.select();
    document.execCommand?.('copy');
  }
  showInfo('Share link copied.');
}
