// The web console in a real browser (Debian's headless Chromium through playwright-core):
// the scenario of issue #22 against a running s4-server, a screenshot of each page in
// $S4_CONSOLE_SCREENSHOTS. Started by run.sh, which starts the server and sets S4_ENDPOINT,
// S4_ROOT_ACCESS_KEY, S4_ROOT_SECRET_KEY and S4_INSECURE_ORIGIN.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

const need = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run this through run.sh)`);
  return value;
};
const ENDPOINT = need('S4_ENDPOINT');
const INSECURE_ORIGIN = need('S4_INSECURE_ORIGIN');
const ROOT = { id: need('S4_ROOT_ACCESS_KEY'), secret: need('S4_ROOT_SECRET_KEY') };
const SHOTS = need('S4_CONSOLE_SCREENSHOTS');
const BROWSER = process.env.S4_CHROMIUM || '/usr/bin/chromium';
const BUCKET = 'console-test';
const USER = 'console-reader';
const MIB = 1024 * 1024;

mkdirSync(SHOTS, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 's4-console-'));
const files = {
  'notes.txt': Buffer.from('hello from the console test\n'),
  'photo.bin': randomBytes(1 * MIB + 17),
  'big.bin': randomBytes(40 * MIB),
};
for (const [name, bytes] of Object.entries(files)) writeFileSync(join(work, name), bytes);

const started = Date.now();
const step = (text) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${text}`);
let shot = 0;
const screenshot = async (page, name) => {
  shot += 1;
  await page.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
};

const browser = await chromium.launch({
  executablePath: BROWSER,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // A host name for the server that is not "localhost": the page is then not a secure
    // context and the console must sign with its own SHA-256.
    `--host-resolver-rules=MAP ${new URL(INSECURE_ORIGIN).hostname} 127.0.0.1`,
  ],
});

async function newPage(viewport = { width: 1100, height: 800 }) {
  const context = await browser.newContext({ acceptDownloads: true, viewport });
  const page = await context.newPage();
  page.on('dialog', (dialog) => dialog.accept());
  page.on('pageerror', (error) => {
    throw new Error(`page error: ${error.message}`);
  });
  return page;
}

const status = (page) => page.locator('#status');
const menu = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

async function login(page, key) {
  await page.getByLabel('Access key ID').fill(key.id);
  await page.getByLabel('Secret access key').fill(key.secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Buckets' }).waitFor();
}

async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
}

// The page on screen, for a screenshot when a step fails.
let current;
try {
  const page = await newPage();
  current = page;

  step('a browser opening / lands on the console login page');
  const landing = await page.goto(`${ENDPOINT}/`);
  assert.equal(new URL(page.url()).pathname, '/_s4/console/');
  const headers = landing.headers();
  assert.equal(headers['x-frame-options'], 'DENY');
  assert.ok(!headers['content-security-policy'].includes('unsafe-inline'));
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await screenshot(page, 'login');

  step('a wrong secret is refused with the S3 error code');
  await page.getByLabel('Access key ID').fill(ROOT.id);
  await page.getByLabel('Secret access key').fill('not-the-secret');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await status(page).filter({ hasText: 'SignatureDoesNotMatch' }).waitFor();

  step('log in as root, create a bucket');
  await login(page, ROOT);
  await page.getByLabel('New bucket name').fill(BUCKET);
  await page.getByRole('button', { name: 'Create bucket' }).click();
  await page.getByRole('link', { name: BUCKET, exact: true }).waitFor();
  await screenshot(page, 'buckets');

  step('upload three files, one of 40 MiB as a multipart upload');
  await page.getByRole('link', { name: BUCKET, exact: true }).click();
  await page.getByRole('heading', { name: BUCKET }).waitFor();
  await page.locator('#upload-files').setInputFiles(Object.keys(files).map((n) => join(work, n)));
  await status(page).filter({ hasText: 'Uploaded 3 file(s).' }).waitFor({ timeout: 90_000 });
  assert.match(await page.locator('#upload-overall-text').textContent(), /^100% of 41\.0 MiB/);
  assert.equal(await page.locator('.upload-state', { hasText: '100%' }).count(), 3);
  await screenshot(page, 'uploaded');

  step('cancel a multipart upload while it runs: AbortMultipartUpload leaves nothing');
  // Cancel is pressed by the page itself at the file's first progress report, so always while
  // its parts are on the wire, however fast the machine: a click from the test raced the
  // upload and lost on a quick run (and Chromium's network throttling is no help: with the
  // DevTools network domain on, every request body is copied to the debugger, which stalls
  // the page).
  const cancelled = join(work, 'cancelled.bin');
  writeFileSync(cancelled, randomBytes(24 * MIB));
  await page.evaluate(() => {
    const observer = new MutationObserver(() => {
      const row = document.querySelector('.upload-row[data-key="cancelled.bin"]');
      const state = row?.querySelector('.upload-state')?.textContent;
      if (!state || state === '0%') return;
      observer.disconnect();
      // At 100% the file is stored and its Cancel button gone: the wait below then fails.
      if (state !== '100%') row.querySelector('button[aria-label="Cancel cancelled.bin"]').click();
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.locator('#upload-files').setInputFiles(cancelled);
  const row = page.locator('.upload-row[data-key="cancelled.bin"]');
  await row.locator('.upload-state', { hasText: 'Cancelled' }).waitFor();
  const [pending, head] = await page.evaluate(async (bucket) => {
    // The page's own signed client (the same module instance the console runs on).
    const { session } = await import('/_s4/console/js/session.js');
    const { client } = session();
    const uploads = (await client.s3({ bucket, query: [['uploads', '']] })).body;
    const missing = await client.s3({ method: 'HEAD', bucket, key: 'cancelled.bin' }).then(() => 'found', (e) => e.code);
    return [uploads, missing];
  }, BUCKET);
  assert.ok(pending.includes('ListMultipartUploadsResult') && !pending.includes('<Upload>'), pending);
  assert.equal(head, 'NotFound');

  step('list them');
  for (const name of Object.keys(files)) await page.getByRole('button', { name, exact: true }).waitFor();
  assert.match(await page.locator('#page-summary').textContent(), /3 objects, 41\.0 MiB/);

  step('details of the 40 MiB object: a multipart ETag');
  await page.getByRole('button', { name: 'big.bin', exact: true }).click();
  await page.locator('#detail-size').filter({ hasText: `${40 * MIB} bytes` }).waitFor();
  assert.match(await page.locator('#details').textContent(), /"[0-9a-f]{32}-5"/);

  step('download one and compare bytes');
  await page.getByRole('button', { name: 'photo.bin', exact: true }).click();
  await page.locator('#detail-size').filter({ hasText: `${files['photo.bin'].length} bytes` }).waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
  const saved = join(work, 'downloaded.bin');
  await download.saveAs(saved);
  assert.equal(download.suggestedFilename(), 'photo.bin');
  assert.ok(readFileSync(saved).equals(files['photo.bin']), 'downloaded bytes differ');

  step('a share link for 1 day works with curl, no credentials');
  await page.getByLabel('Share link valid for').selectOption({ label: '1 day' });
  await page.getByRole('button', { name: 'Create share link' }).click();
  const link = await page.locator('#share-link').inputValue();
  assert.match(link, /X-Amz-Expires=86400/);
  const curled = join(work, 'curled.bin');
  execFileSync('curl', ['-sS', '--fail', '-o', curled, link]);
  assert.ok(readFileSync(curled).equals(files['photo.bin']), 'share link bytes differ');
  await screenshot(page, 'object-details');

  step('a bucket policy with a deliberate error shows the server message');
  await page.goto(`${ENDPOINT}/_s4/console/#/policy/${BUCKET}`);
  await page.getByRole('heading', { name: `Policy of ${BUCKET}` }).waitFor();
  await page.getByLabel('Template', { exact: true }).selectOption('public-read');
  const wrong = (await page.locator('#policy-text').inputValue()).replace('"Allow"', '"Perhaps"');
  await page.locator('#policy-text').fill(wrong);
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.locator('#policy-error').filter({ hasText: 'MalformedPolicy' }).waitFor();
  // The offending value is selected in the editor.
  const selected = await page.locator('#policy-text').evaluate((t) => t.value.slice(t.selectionStart, t.selectionEnd));
  assert.equal(selected, '"Perhaps"');
  await screenshot(page, 'policy-error');

  step('create a user and a key, attach S3ReadAccess');
  await menu(page, 'Users and groups').click();
  await page.getByLabel('New user name').fill(USER);
  await page.getByRole('button', { name: 'Create' }).first().click();
  await page.getByRole('button', { name: USER, exact: true }).click();
  await page.getByLabel('Attach a policy').selectOption({ label: 'S3ReadAccess' });
  await page.locator('#attach-button').click();
  await status(page).filter({ hasText: 'Policy attached.' }).waitFor();
  await page.getByRole('button', { name: 'Create access key' }).click();
  const userKey = { id: await page.locator('#new-key-id').textContent(), secret: await page.locator('#new-key-secret').textContent() };
  assert.match(userKey.id, /^AKIA/);
  assert.ok(userKey.secret.length >= 30);
  await screenshot(page, 'iam-user');

  step('as that user, a delete is refused and nothing is deleted');
  await signOut(page);
  await login(page, userKey);
  await page.getByRole('link', { name: BUCKET, exact: true }).click();
  await page.getByLabel('Select notes.txt').check();
  await page.getByRole('button', { name: 'Delete selected' }).click();
  await status(page).filter({ hasText: 'AccessDenied' }).waitFor();
  await page.getByRole('button', { name: 'notes.txt', exact: true }).waitFor();
  await screenshot(page, 'delete-refused');

  step('as root again, delete everything (keyboard: select all, Delete key)');
  await signOut(page);
  await login(page, ROOT);
  await page.getByRole('link', { name: BUCKET, exact: true }).click();
  await page.getByLabel('Select all objects on this page').check();
  await page.getByRole('heading', { name: BUCKET }).focus();
  await page.keyboard.press('Delete');
  await status(page).filter({ hasText: 'Deleted 3 object(s).' }).waitFor();
  await page.getByText('Nothing here yet').waitFor();
  await menu(page, 'Users and groups').click();
  await page.getByRole('button', { name: USER, exact: true }).click();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await status(page).filter({ hasText: 'deleted.' }).waitFor();
  await page.getByRole('button', { name: 'Detach' }).click();
  await status(page).filter({ hasText: 'Detached S3ReadAccess.' }).waitFor();
  await page.getByRole('button', { name: 'Delete user' }).click();
  await status(page).filter({ hasText: `User ${USER} deleted.` }).waitFor();
  await menu(page, 'Buckets').click();
  await page.getByRole('button', { name: `Delete bucket ${BUCKET}` }).click();
  await page.getByText('No buckets yet.').waitFor();
  await screenshot(page, 'cleaned-up');

  step('plain HTTP on a non-localhost name, narrow screen: the JavaScript signer');
  const insecure = await newPage({ width: 390, height: 800 });
  current = insecure;
  await insecure.goto(`${INSECURE_ORIGIN}/_s4/console/`);
  assert.equal(await insecure.evaluate(() => window.isSecureContext), false);
  await insecure.locator('#insecure-note').waitFor();
  await login(insecure, ROOT);
  await insecure.getByLabel('New bucket name').fill(`${BUCKET}-http`);
  await insecure.getByRole('button', { name: 'Create bucket' }).click();
  await insecure.getByRole('link', { name: `${BUCKET}-http` }).click();
  const twelve = join(work, 'twelve.bin');
  writeFileSync(twelve, randomBytes(12 * MIB));
  await insecure.locator('#upload-files').setInputFiles(twelve);
  await insecure.locator('#status').filter({ hasText: 'Uploaded 1 file(s).' }).waitFor({ timeout: 60_000 });
  await screenshot(insecure, 'insecure-context-narrow');
  await insecure.getByLabel('Select twelve.bin').check();
  await insecure.getByRole('button', { name: 'Delete selected' }).click();
  await insecure.getByText('Nothing here yet').waitFor();
  await menu(insecure, 'Buckets').click();
  await insecure.getByRole('button', { name: `Delete bucket ${BUCKET}-http` }).click();
  await insecure.getByText('No buckets yet.').waitFor();
  step(`done: ${shot} screenshots in ${SHOTS}`);
} catch (error) {
  await current?.screenshot({ path: join(SHOTS, 'failed.png'), fullPage: true }).catch(() => {});
  throw error;
} finally {
  await browser.close();
}
