// The two primitives SigV4 needs, from WebCrypto when the page is a secure context (HTTPS,
// localhost) and from sha256.js otherwise. Both are async so callers do not care which.

import { hmacSha256, sha256 } from './sha256.js';

const subtle = globalThis.crypto && globalThis.crypto.subtle;

/** Which implementation signs: 'webcrypto' or 'javascript'. */
export const implementation = subtle ? 'webcrypto' : 'javascript';

/** Builds the primitives; `useSubtle` false forces the JavaScript fallback (tests). */
export function primitives(useSubtle = Boolean(subtle)) {
  if (!useSubtle) {
    return {
      sha256: async (bytes) => sha256(bytes),
      hmac: async (key, message) => hmacSha256(key, message),
    };
  }
  return {
    sha256: async (bytes) => new Uint8Array(await subtle.digest('SHA-256', bytes)),
    hmac: async (key, message) => {
      const k = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      return new Uint8Array(await subtle.sign('HMAC', k, message));
    },
  };
}

export const encoder = new TextEncoder();

/** Lower-case hexadecimal of a byte array. */
export function hex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
