// The S3 operations the console uses, over client.js: typed results from the XML.

import { all, parseXml, text } from './client.js';

const xmlEscape = (s) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

export async function listBuckets(client) {
  const doc = parseXml((await client.s3({})).body);
  return all(doc, 'Bucket').map((b) => ({ name: text(b, 'Name'), created: text(b, 'CreationDate') }));
}

export async function createBucket(client, bucket) {
  await client.s3({ method: 'PUT', bucket });
}

export async function deleteBucket(client, bucket) {
  await client.s3({ method: 'DELETE', bucket });
}

/** One page of ListObjectsV2 with `/` as delimiter: folders, objects, the next token. */
export async function listObjects(client, bucket, { prefix = '', token = '', maxKeys = 200, delimiter = '/' } = {}) {
  const query = [['list-type', '2'], ['prefix', prefix], ['max-keys', String(maxKeys)]];
  if (delimiter) query.push(['delimiter', delimiter]);
  if (token) query.push(['continuation-token', token]);
  const doc = parseXml((await client.s3({ bucket, query })).body);
  return {
    folders: all(doc, 'CommonPrefixes').map((p) => text(p, 'Prefix')),
    objects: all(doc, 'Contents').map((c) => ({
      key: text(c, 'Key'),
      size: Number(text(c, 'Size')),
      modified: text(c, 'LastModified'),
      etag: text(c, 'ETag'),
    })),
    next: text(doc, 'IsTruncated') === 'true' ? text(doc, 'NextContinuationToken') : '',
  };
}

/** HeadObject: size, ETag, content type, last modified and user metadata. */
export async function headObject(client, bucket, key) {
  const r = await client.s3({ method: 'HEAD', bucket, key });
  const metadata = [];
  // XHR exposes every response header of a same-origin request, names in lower case.
  for (const line of r.allHeaders().split('\r\n')) {
    const at = line.indexOf(':');
    if (line.startsWith('x-amz-meta-')) metadata.push([line.slice(11, at), line.slice(at + 1).trim()]);
  }
  return {
    size: Number(r.header('content-length')),
    etag: r.header('etag'),
    contentType: r.header('content-type'),
    modified: r.header('last-modified'),
    metadata,
  };
}

/** DeleteObjects in batches of 1000; resolves with the keys that failed and why. */
export async function deleteObjects(client, bucket, keys) {
  const failed = [];
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const body =
      '<Delete><Quiet>true</Quiet>' +
      batch.map((k) => `<Object><Key>${xmlEscape(k)}</Key></Object>`).join('') +
      '</Delete>';
    const r = await client.s3({ method: 'POST', bucket, query: [['delete', '']], body, checksum: true });
    for (const e of all(parseXml(r.body), 'Error')) {
      failed.push({ key: text(e, 'Key'), code: text(e, 'Code'), message: text(e, 'Message') });
    }
  }
  return failed;
}

export async function getBucketPolicy(client, bucket) {
  try {
    return (await client.s3({ bucket, query: [['policy', '']] })).body;
  } catch (e) {
    if (e.code === 'NoSuchBucketPolicy') return '';
    throw e;
  }
}

export async function putBucketPolicy(client, bucket, policy) {
  await client.s3({ method: 'PUT', bucket, query: [['policy', '']], body: policy, checksum: true });
}

export async function deleteBucketPolicy(client, bucket) {
  await client.s3({ method: 'DELETE', bucket, query: [['policy', '']] });
}
