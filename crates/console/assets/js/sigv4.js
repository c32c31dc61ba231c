// AWS Signature Version 4, as the browser's signer: header signatures for fetch/XHR requests
// and presigned URLs for downloads and share links. The secret never leaves this module's
// closure; only signatures derived from it are put on requests.

import { encoder, hex, primitives } from './crypto.js';

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** The longest validity of a presigned URL (SigV4): 7 days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** RFC 3986 percent-encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ */
export function uriEncode(text, keepSlash = false) {
  let out = '';
  for (const byte of encoder.encode(text)) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** `20150830T123600Z` for a Date. */
export function amzDate(date) {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The canonical query string of [name, value] pairs (decoded strings). */
export function canonicalQuery(pairs) {
  return pairs
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** Canonical headers and the signed-header list from [name, value] pairs. Repeated names join
 * with commas; values are trimmed and inner runs of spaces collapsed. */
export function canonicalHeaders(pairs) {
  const merged = new Map();
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    const clean = String(value).trim().replace(/\s+/g, ' ');
    merged.set(key, merged.has(key) ? `${merged.get(key)},${clean}` : clean);
  }
  const names = [...merged.keys()].sort();
  return {
    text: names.map((n) => `${n}:${merged.get(n)}\n`).join(''),
    signed: names.join(';'),
  };
}

/**
 * A signer for one identity. `crypto` defaults to WebCrypto when available (see crypto.js).
 */
export function createSigner({ accessKeyId, secretAccessKey, region, crypto = primitives() }) {
  const keys = new Map();

  async function signingKey(day, service) {
    const id = `${day}/${service}`;
    if (!keys.has(id)) {
      let key = await crypto.hmac(encoder.encode('AWS4' + secretAccessKey), encoder.encode(day));
      for (const part of [region, service, 'aws4_request']) {
        key = await crypto.hmac(key, encoder.encode(part));
      }
      keys.set(id, key);
    }
    return keys.get(id);
  }

  async function signature(service, time, canonicalRequest) {
    const day = time.slice(0, 8);
    const scope = `${day}/${region}/${service}/aws4_request`;
    const hashed = hex(await crypto.sha256(encoder.encode(canonicalRequest)));
    const toSign = `AWS4-HMAC-SHA256\n${time}\n${scope}\n${hashed}`;
    const key = await signingKey(day, service);
    return { scope, value: hex(await crypto.hmac(key, encoder.encode(toSign))) };
  }

  return {
    accessKeyId,
    region,
    /** SHA-256 hex of a body (Uint8Array), for x-amz-content-sha256. */
    async payloadHash(bytes) {
      return hex(await crypto.sha256(bytes));
    },
    /**
     * Signs a request. `path` is the URI-encoded path as sent; `query` decoded [name, value]
     * pairs; `headers` [name, value] pairs that must include `host`. Returns the headers to
     * add: authorization and x-amz-date (and x-amz-content-sha256 for S3).
     */
    async sign({ method, path, query = [], headers, payloadHash, service, date = new Date() }) {
      const time = amzDate(date);
      const added = [['x-amz-date', time]];
      if (service === 's3') added.push(['x-amz-content-sha256', payloadHash]);
      const all = [...headers, ...added];
      const canon = canonicalHeaders(all);
      const request = [method, path, canonicalQuery(query), canon.text, canon.signed, payloadHash].join('\n');
      const sig = await signature(service, time, request);
      const authorization =
        `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${sig.scope}, ` +
        `SignedHeaders=${canon.signed}, Signature=${sig.value}`;
      return Object.fromEntries([...added, ['authorization', authorization]]);
    },
    /** A presigned URL's query string (host signed only) valid `expires` seconds. */
    async presign({ method, path, query = [], host, service = 's3', expires, date = new Date() }) {
      if (!(expires >= 1 && expires <= MAX_PRESIGN_SECONDS)) {
        throw new RangeError(`expiry must be 1 s to 7 days, not ${expires}`);
      }
      const time = amzDate(date);
      const scope = `${time.slice(0, 8)}/${region}/${service}/aws4_request`;
      const params = [
        ...query,
        ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
        ['X-Amz-Credential', `${accessKeyId}/${scope}`],
        ['X-Amz-Date', time],
        ['X-Amz-Expires', String(expires)],
        ['X-Amz-SignedHeaders', 'host'],
      ];
      const request = [method, path, canonicalQuery(params), `host:${host}\n`, 'host', UNSIGNED_PAYLOAD].join('\n');
      const sig = await signature(service, time, request);
      return `${canonicalQuery(params)}&X-Amz-Signature=${sig.value}`;
    },
    /** The string a request's signature covers, for tests comparing with the suites. */
    signatureOf: signature,
  };
}
