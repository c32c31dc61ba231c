// The JavaScript SDK v3 (@aws-sdk/client-s3 on Node.js): a multipart upload whose parts are
// over 1 MiB, so that the SDK sends them with `Expect: 100-continue`, read back and checked,
// counting the TCP connections Node opens (every new client socket is announced on the
// `net.client.socket` diagnostics channel).
//
// - With the SDK's default HTTP handler every part goes out on a connection of its own: for
//   requests with `Expect: 100-continue` the handler uses a throw-away agent without
//   keep-alive, so Node itself sends `Connection: close` (docs/performance.md, "Connections of
//   the JavaScript SDK v3"). The count is printed, not asserted: it is the client's choice.
// - With an agent that keeps connections alive, the whole upload (create, parts, complete)
//   must use one connection: the server never closes one after a part.
//
// Usage: node js_sdk_scenarios.mjs (S4_ENDPOINT, S4_ROOT_ACCESS_KEY, S4_ROOT_SECRET_KEY set;
// @aws-sdk/client-s3 resolvable, e.g. NODE_PATH=<dir>/node_modules).
import { createRequire } from "node:module";
import diagnostics from "node:diagnostics_channel";
import http from "node:http";
import crypto from "node:crypto";
import path from "node:path";

// Resolved from NODE_PATH (where run.sh installs the SDK), which ESM imports do not consult.
const require = createRequire(path.join(process.cwd(), "noop.js"));
const {
  S3Client,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  GetObjectCommand,
  DeleteObjectCommand,
  DeleteBucketCommand,
} = require("@aws-sdk/client-s3");
const { NodeHttpHandler } = require("@smithy/node-http-handler");

const MIB = 1024 * 1024;
let opened = 0;
diagnostics.subscribe("net.client.socket", () => {
  opened += 1;
});

function client(requestHandler) {
  return new S3Client({
    endpoint: process.env.S4_ENDPOINT,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: {
      accessKeyId: process.env.S4_ROOT_ACCESS_KEY,
      secretAccessKey: process.env.S4_ROOT_SECRET_KEY,
    },
    ...(requestHandler ? { requestHandler } : {}),
  });
}

// Uploads `parts` as one object and returns how many connections the upload opened.
async function upload(s3, bucket, key, parts) {
  const before = opened;
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
  );
  const done = [];
  for (const [index, body] of parts.entries()) {
    const PartNumber = index + 1;
    const { ETag } = await s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber, Body: body }),
    );
    done.push({ ETag, PartNumber });
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: done },
    }),
  );
  return opened - before;
}

async function readBack(s3, bucket, key, parts) {
  const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = Buffer.from(await answer.Body.transformToByteArray());
  if (!bytes.equals(Buffer.concat(parts))) {
    throw new Error(`${key}: the bytes read back differ from the parts uploaded`);
  }
}

async function main() {
  const bucket = `js-sdk-${crypto.randomBytes(4).toString("hex")}`;
  const parts = [crypto.randomBytes(5 * MIB), crypto.randomBytes(5 * MIB), crypto.randomBytes(2 * MIB)];
  const plain = client();
  await plain.send(new CreateBucketCommand({ Bucket: bucket }));

  const byDefault = await upload(plain, bucket, "default-agent", parts);
  await readBack(plain, bucket, "default-agent", parts);
  console.log(
    `js-sdk: ${parts.length}-part upload with the default handler opened ${byDefault} connection(s) ` +
      "(its 100-continue requests use an agent without keep-alive)",
  );

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const kept = client(new NodeHttpHandler({ httpAgent: agent }));
  const withAgent = await upload(kept, bucket, "keep-alive-agent", parts);
  await readBack(kept, bucket, "keep-alive-agent", parts);
  console.log(
    `js-sdk: ${parts.length}-part upload with a keep-alive agent opened ${withAgent} connection(s)`,
  );

  for (const key of ["default-agent", "keep-alive-agent"]) {
    await plain.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }
  await plain.send(new DeleteBucketCommand({ Bucket: bucket }));
  agent.destroy();
  if (withAgent !== 1) {
    throw new Error(`the upload with a keep-alive agent opened ${withAgent} connections, not 1`);
  }
  console.log("js-sdk scenarios: ok");
}

main().catch((error) => {
  console.error(`js-sdk scenarios FAILED: ${error.stack ?? error}`);
  process.exit(1);
});
