// The logged-in identity: the key pair lives in this tab's sessionStorage (gone when the tab
// closes, never sent anywhere: requests carry only signatures), the client built from it,
// and who the key belongs to.

import { createClient, text } from './client.js';
import { implementation } from './crypto.js';

const STORAGE_KEY = 's4-console-credentials';

let current = null;

/** The current session ({ client, arn, account }) or null. */
export const session = () => current;

export const signingImplementation = implementation;

/** Logs in: checks the key with ListBuckets (AccessDenied still proves the key is valid),
 * then asks IAM who it is. Rejects with the S4Error of a wrong key. */
export async function login(accessKeyId, secretAccessKey) {
  const client = createClient({ accessKeyId, secretAccessKey });
  try {
    await client.s3({});
  } catch (error) {
    if (error.code !== 'AccessDenied') throw error;
  }
  let arn = '';
  try {
    arn = text(await client.iam('GetUser'), 'Arn');
  } catch {
    // A user without iam:GetUser on itself: the key is valid, the name unknown.
  }
  const account = (arn.match(/^arn:aws:iam::(\d+):/) || [])[1] || '';
  current = { client, arn, account };
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ accessKeyId, secretAccessKey }));
  return current;
}

/** Restores the tab's session after a reload; false when there is none or it fails. */
export async function restore() {
  const saved = sessionStorage.getItem(STORAGE_KEY);
  if (!saved) return false;
  try {
    const { accessKeyId, secretAccessKey } = JSON.parse(saved);
    await login(accessKeyId, secretAccessKey);
    return true;
  } catch {
    logout();
    return false;
  }
}

export function logout() {
  current = null;
  sessionStorage.removeItem(STORAGE_KEY);
}
