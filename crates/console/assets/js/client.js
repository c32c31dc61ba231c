// The console's S3 and IAM client: every request is signed here with the logged-in key, sent
// to this same origin (path-style S3, IAM as a form POST to `/` with an `iam` credential scope,
// as awscli does against an IP or localhost endpoint), and errors come back as S4Error.

import { encoder, hex } from './crypto.js';
import { createSigner, uriEncode } from './sigv4.js';

/** One failed request: the S3/IAM error code, the server's message and its request ID. */
export class S4Error extends Error {
  constructor({ code, message, status, requestId }) {
    super(message || code);
    this.code = code;
    this.status = status;
    this.requestId = requestId;
  }
}

const HEAD_ERRORS = { 403: 'AccessDenied', 404: 'NotFound', 400: 'BadRequest' };

/** The first element named `name` in `node` (any namespace), or undefined. */
export const first = (node, name) => node.getElementsByTagName(name)[0];
/** The text of the first `name` element, or ''. */
export const text = (node, name) => first(node, name)?.textContent ?? '';
/** Every `name` element under `node`. */
export const all = (node, name) => [...node.getElementsByTagName(name)];

export function parseXml(body) {
  return new DOMParser().parseFromString(body, 'application/xml');
}

function base64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

/** The path of a bucket or object, URI-encoded once as S3 signs it. */
export function objectPath(bucket, key) {
  if (!bucket) return '/';
  return key === undefined ? `/${uriEncode(bucket)}` : `/${uriEncode(bucket)}/${uriEncode(key, true)}`;
}

function queryString(pairs) {
  return pairs.map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join('&');
}

// One XMLHttpRequest (it reports upload progress; fetch does not). Resolves with the status,
// a header getter and the body text; rejects only on network failure or abort.
function send({ method, url, headers, body, onProgress, signal }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () =>
      resolve({
        status: xhr.status,
        header: (n) => xhr.getResponseHeader(n),
        allHeaders: () => xhr.getAllResponseHeaders(),
        body: xhr.responseText,
      });
    const aborted = () => new S4Error({ code: 'Aborted', message: 'The request was cancelled.' });
    xhr.onerror = () => reject(new S4Error({ code: 'NetworkError', message: 'The server could not be reached.' }));
    xhr.onabort = () => reject(aborted());
    if (signal) {
      // Cancelled while the body was being read or hashed: xhr.abort() before send() fires no
      // event, so the promise is settled here.
      if (signal.aborted) return reject(aborted());
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    xhr.send(body ?? null);
  });
}

function failure(response) {
  const requestId = response.header('x-amz-request-id') || '';
  if (!response.body) {
    return new S4Error({ code: HEAD_ERRORS[response.status] || `HTTP${response.status}`, status: response.status, requestId });
  }
  const doc = parseXml(response.body);
  return new S4Error({
    code: text(doc, 'Code') || `HTTP${response.status}`,
    message: text(doc, 'Message'),
    status: response.status,
    requestId: text(doc, 'RequestId') || requestId,
  });
}

/** A client for one identity against `location.host`. */
export function createClient({ accessKeyId, secretAccessKey, host = location.host, region = 'us-east-1' }) {
  const signer = createSigner({ accessKeyId, secretAccessKey, region });

  async function signed({ method, path, query, headers, body, service }) {
    const bytes = body === undefined ? new Uint8Array() : body;
    const payloadHash = await signer.payloadHash(bytes);
    const all = [['host', host], ...Object.entries(headers)];
    const auth = await signer.sign({ method, path, query, headers: all, payloadHash, service });
    const search = query.length ? `?${queryString(query)}` : '';
    return { url: path + search, headers: { ...headers, ...auth }, body: body === undefined ? null : bytes };
  }

  return {
    accessKeyId,

    /**
     * One S3 request. `body`: a Uint8Array or a string (hashed and signed). `checksum`: add
     * x-amz-checksum-sha256, which DeleteObjects and PutBucketPolicy require. Resolves with
     * the response; rejects with S4Error for any status >= 300.
     */
    async s3({ method = 'GET', bucket, key, query = [], headers = {}, body, checksum = false, onProgress, signal }) {
      const bytes = typeof body === 'string' ? encoder.encode(body) : body;
      const extra = { ...headers };
      if (checksum) extra['x-amz-checksum-sha256'] = base64(hexToBytes(await signer.payloadHash(bytes)));
      const request = await signed({ method, path: objectPath(bucket, key), query, headers: extra, body: bytes, service: 's3' });
      const response = await send({ method, ...request, onProgress, signal });
      if (response.status >= 300) throw failure(response);
      return response;
    },

    /** One IAM action with its parameters; resolves with the parsed XML response. */
    async iam(action, params = {}) {
      const form = queryString([['Action', action], ['Version', '2010-05-08'], ...Object.entries(params)]);
      const request = await signed({
        method: 'POST',
        path: '/',
        query: [],
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: encoder.encode(form),
        service: 'iam',
      });
      const response = await send({ method: 'POST', ...request });
      if (response.status >= 300) throw failure(response);
      return parseXml(response.body);
    },

    /** A presigned GET URL (absolute) valid `expires` seconds; `query` adds response-* overrides. */
    async presignGet(bucket, key, expires, query = []) {
      const path = objectPath(bucket, key);
      const search = await signer.presign({ method: 'GET', path, query, host, expires });
      return `${location.protocol}//${host}${path}?${search}`;
    },
  };
}

function hexToBytes(h) {
  return Uint8Array.from(h.match(/../g), (b) => parseInt(b, 16));
}

export { hex };
