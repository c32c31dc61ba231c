// One bucket, browsed by prefix as folders: ListObjectsV2 pages (with continuation tokens,
// Previous/Next), multi-select delete (DeleteObjects), the upload panel and object details.

import { deleteObjects, listObjects } from '../s3.js';
import { attempt, formatDate, formatSize, h, render, showError, showInfo } from '../ui.js';
import { showDetails } from './details.js';
import { uploadPanel } from './uploads.js';

const PAGE_SIZES = [50, 200, 1000];

const objectsHref = (bucket, prefix) => `#/b/${encodeURIComponent(bucket)}/${encodeURIComponent(prefix)}`;

function breadcrumbs(bucket, prefix) {
  const parts = prefix.split('/').filter(Boolean);
  const crumbs = [h('a', { href: '#/' }, 'Buckets'), ' / ', h('a', { href: objectsHref(bucket, '') }, bucket)];
  parts.forEach((part, i) => crumbs.push(' / ', h('a', { href: objectsHref(bucket, parts.slice(0, i + 1).join('/') + '/') }, part)));
  return h('nav', { class: 'crumbs', 'aria-label': 'Location' }, crumbs);
}

export async function showObjects(s, bucket, prefix, shortcuts) {
  const client = s.client;
  // Tokens of the pages seen so far: tokens[i] opens page i (page 0 has none).
  const tokens = [''];
  let page = 0;
  let pageSize = 200;
  let listed = { folders: [], objects: [], next: '' };

  const tbody = h('tbody');
  const selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select all objects on this page', onchange: () => boxes().forEach((b) => (b.checked = selectAll.checked)) });
  const summary = h('p', { class: 'muted', id: 'page-summary' });
  const previous = h('button', { type: 'button', onclick: () => go(page - 1) }, 'Previous page');
  const next = h('button', { type: 'button', onclick: () => go(page + 1) }, 'Next page');
  const sizeSelect = h(
    'select',
    { id: 'page-size', onchange: () => { pageSize = Number(sizeSelect.value); tokens.length = 1; go(0); } },
    PAGE_SIZES.map((n) => h('option', { value: String(n), selected: n === pageSize }, String(n))),
  );
  const deleteButton = h('button', { type: 'button', class: 'danger', onclick: () => removeSelected() }, 'Delete selected');
  const uploads = uploadPanel(client, bucket, () => prefix, () => go(page));

  render(
    h('h2', {}, bucket),
    breadcrumbs(bucket, prefix),
    uploads.element,
    h('div', { class: 'row' }, deleteButton, h('button', { type: 'button', onclick: () => go(page) }, 'Refresh'), h('label', { for: 'page-size' }, 'Per page'), sizeSelect),
    h(
      'table',
      { 'aria-label': `Objects in ${bucket}/${prefix}` },
      h('thead', {}, h('tr', {}, h('th', {}, selectAll), h('th', {}, 'Name'), h('th', { class: 'num' }, 'Size'), h('th', { class: 'hide-narrow' }, 'Last modified'))),
      tbody,
    ),
    summary,
    h('div', { class: 'row' }, previous, next),
  );

  function boxes() {
    return [...tbody.querySelectorAll('input[type=checkbox]')];
  }

  async function go(target) {
    if (target < 0 || target >= tokens.length) return;
    const result = await attempt(() => listObjects(client, bucket, { prefix, token: tokens[target], maxKeys: pageSize }), `List ${bucket}/${prefix}`);
    if (!result) return;
    page = target;
    listed = result;
    if (result.next) tokens[page + 1] = result.next;
    else tokens.length = page + 1;
    draw();
  }

  function draw() {
    selectAll.checked = false;
    const rows = listed.folders.map((folder) =>
      h('tr', {}, h('td'), h('td', {}, h('a', { href: objectsHref(bucket, folder) }, `${folder.slice(prefix.length)}`)), h('td', { class: 'num' }, '—'), h('td', { class: 'hide-narrow' })),
    );
    for (const o of listed.objects) {
      const name = o.key.slice(prefix.length) || o.key;
      rows.push(
        h(
          'tr',
          {},
          h('td', {}, h('input', { type: 'checkbox', value: o.key, 'aria-label': `Select ${name}` })),
          h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => showDetails(s, bucket, o.key) }, name)),
          h('td', { class: 'num' }, formatSize(o.size)),
          h('td', { class: 'hide-narrow' }, formatDate(o.modified)),
        ),
      );
    }
    if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: '4', class: 'muted' }, 'Nothing here yet: upload files or drop them above.')));
    tbody.replaceChildren(...rows);
    const bytes = listed.objects.reduce((n, o) => n + o.size, 0);
    summary.textContent = `Page ${page + 1}: ${listed.folders.length} folders, ${listed.objects.length} objects, ${formatSize(bytes)}${listed.next ? ' (more on the next page)' : ''}.`;
    previous.disabled = page === 0;
    next.disabled = !listed.next;
  }

  async function removeSelected() {
    const keys = boxes().filter((b) => b.checked).map((b) => b.value);
    if (!keys.length) return showInfo('Select objects to delete first.');
    if (!confirm(`Delete ${keys.length} object(s) from ${bucket}?`)) return;
    const failed = await attempt(() => deleteObjects(client, bucket, keys), 'Delete');
    if (!failed) return;
    await go(page);
    if (failed.length) showError(failed[0], `${failed.length} of ${keys.length} not deleted (${failed[0].key})`);
    else showInfo(`Deleted ${keys.length} object(s).`);
  }

  shortcuts.set('u', () => uploads.pick());
  shortcuts.set('Delete', () => removeSelected());
  shortcuts.set('r', () => go(page));
  await go(0);
}
