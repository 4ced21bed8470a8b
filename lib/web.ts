/**
 * ossup for the web: the runtime-agnostic core (client, errors, CRC64,
 * signing, the interfaces the upload engine fills) and no adapter for
 * Deno, Bun or Node. It runs in browsers, edge workers and every runtime
 * with `fetch`, web streams and `crypto.subtle`.
 *
 * Published as `@ossup/ossup/web` (JSR) and `ossup/web` (npm).
 *
 * @example
 * ```ts
 * import { OssClient } from "@ossup/ossup/web";
 *
 * const client = new OssClient({
 *   endpoint: "oss-cn-hangzhou.aliyuncs.com",
 *   credentials: async () => (await fetch("/api/sts-token")).json(),
 * });
 * const file = new Blob(["hello"]);
 * await client.bucket("examplebucket").putObject("hello.txt", file);
 * ```
 *
 * @module
 */

export { OssClient } from "./client/oss_client.ts";
export type {
  CreateBucketOptions,
  ListBucketsOptions,
  OssClientOptions,
  RequestOptions,
} from "./client/oss_client.ts";
export { DEFAULT_TIMEOUT_MS } from "./client/oss_client.ts";
export { Bucket, DEFAULT_PRESIGN_EXPIRES } from "./client/bucket.ts";
export type {
  ConditionalOptions,
  GetObjectOptions,
  ListMultipartUploadsOptions,
  ListObjectsOptions,
  ListPartsOptions,
  ObjectWriteOptions,
  PresignUrlOptions,
  PutObjectOptions,
  UploadPartOptions,
} from "./client/bucket.ts";
export type * from "./client/results.ts";
export { isReplayableBody } from "./client/body.ts";
export type { OssBody, OssBodyValue } from "./client/body.ts";
export { CredentialsCache } from "./client/credentials.ts";
export type { ExpiringOssCredentials, OssCredentialsProvider } from "./client/credentials.ts";
export {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isRetryableError,
  resolveRetryPolicy,
} from "./client/retry_policy.ts";
export type { ResolvedRetryPolicy, RetryPolicy } from "./client/retry_policy.ts";
export { parseEndpoint, regionFromEndpoint } from "./client/endpoint.ts";
export type { OssEndpoint } from "./client/endpoint.ts";
export type { OssPlatform } from "./client/platform.ts";

export * from "./errors.ts";
export { Crc64, crc64, crc64Combine } from "./crc64.ts";
export type { OssCredentials, RequestToSign } from "./signing.ts";
export { presignV1, presignV4, signV1, signV4 } from "./signing.ts";
export type { FileSource, OpenFile, SourceStat } from "./file_source.ts";
export type { CheckpointLock, CheckpointStore } from "./checkpoint_store.ts";
export { MemoryCheckpointStore } from "./memory_checkpoint_store.ts";
