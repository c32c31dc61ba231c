// Uploads: one PutObject for small files, a multipart upload for large ones. S4's part rules
// (docs/compatibility.md, the API spec's UploadPart): every part but the last has the same
// size, the last is not larger, parts below 5 MiB are refused unless last, at most 10,000
// parts. Each part is read, hashed and signed on its own, so a file is never held whole.

import { all, parseXml, S4Error, text } from './client.js';

const MIB = 1024 * 1024;
/** Files up to this size go in one PutObject; larger ones in parts of at least this size. */
export const PART_SIZE = 8 * MIB;
export const MAX_PARTS = 10000;

/** The part size for a file of `size` bytes: 8 MiB, or more (whole MiB) when 10,000 parts
 * of 8 MiB would not hold it. */
export function partSizeFor(size) {
  return Math.max(PART_SIZE, Math.ceil(size / MAX_PARTS / MIB) * MIB);
}

/**
 * Uploads `file` (a Blob with a name) as `key`. `onProgress(bytesSent)` follows the bytes on
 * the wire; `signal` cancels (a multipart upload is then aborted on the server, so no part
 * stays behind). Resolves with the ETag.
 */
export async function uploadFile(client, bucket, key, file, { onProgress = () => {}, signal } = {}) {
  const headers = { 'content-type': file.type || 'application/octet-stream' };
  if (file.size <= PART_SIZE) {
    const body = new Uint8Array(await file.arrayBuffer());
    const r = await client.s3({ method: 'PUT', bucket, key, headers, body, onProgress, signal });
    onProgress(file.size);
    return r.header('etag');
  }
  const created = await client.s3({ method: 'POST', bucket, key, query: [['uploads', '']], headers });
  const uploadId = text(parseXml(created.body), 'UploadId');
  const partSize = partSizeFor(file.size);
  const parts = [];
  try {
    for (let start = 0, number = 1; start < file.size; start += partSize, number++) {
      if (signal?.aborted) throw new S4Error({ code: 'Aborted', message: 'The upload was cancelled.' });
      const body = new Uint8Array(await file.slice(start, start + partSize).arrayBuffer());
      const r = await client.s3({
        method: 'PUT',
        bucket,
        key,
        query: [['partNumber', String(number)], ['uploadId', uploadId]],
        body,
        signal,
        onProgress: (sent) => onProgress(start + sent),
      });
      parts.push(`<Part><PartNumber>${number}</PartNumber><ETag>${r.header('etag')}</ETag></Part>`);
      onProgress(start + body.length);
    }
    const done = await client.s3({
      method: 'POST',
      bucket,
      key,
      query: [['uploadId', uploadId]],
      body: `<CompleteMultipartUpload>${parts.join('')}</CompleteMultipartUpload>`,
    });
    // CompleteMultipartUpload can answer 200 with an <Error> body.
    const doc = parseXml(done.body);
    if (all(doc, 'Error').length) {
      throw new S4Error({ code: text(doc, 'Code'), message: text(doc, 'Message'), status: 200, requestId: text(doc, 'RequestId') });
    }
    return text(doc, 'ETag');
  } catch (error) {
    await client.s3({ method: 'DELETE', bucket, key, query: [['uploadId', uploadId]] }).catch(() => {});
    throw error;
  }
}
