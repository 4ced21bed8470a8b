/**
 * The runtime-agnostic core that every entry point re-exports: the client
 * (less the `OssClient` each entry composes with its platform), the upload
 * engine, errors, CRC64, signing, and the interfaces adapters fill.
 *
 * @module
 */

export { OssClient as BaseOssClient } from "./client/oss_client.ts";
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
export { LOCAL_ENDPOINT_REGION, parseEndpoint, regionFromEndpoint } from "./client/endpoint.ts";
export type { OssEndpoint } from "./client/endpoint.ts";
export type { OssPlatform } from "./client/platform.ts";
export { withPlatform } from "./client/platform.ts";
export { clientOptionsFromEnv, mergeEnvOptions } from "./client/env_options.ts";
export type { OssSigner, SignerContext } from "./client/signer.ts";
export { remoteSigner, TICKET_HEADER } from "./client/remote_signer.ts";
export type { RemoteSignerOptions } from "./client/remote_signer.ts";

export * from "./errors.ts";
export { Crc64, crc64, crc64Combine } from "./crc64.ts";
export type {
  OssCredentials,
  PresignV1Options,
  PresignV4Options,
  RequestToSign,
  Sha256Primitives,
  SignV1Options,
  SignV4Options,
} from "./signing.ts";
export { presignV1, presignV4, signV1, signV4, webCryptoSha256 } from "./signing.ts";
export type { FileSource, OpenFile, SourceStat } from "./file_source.ts";
export type { CheckpointLock, CheckpointStore } from "./checkpoint_store.ts";
export { MemoryCheckpointStore } from "./memory_checkpoint_store.ts";

export { uploadSource } from "./upload/upload_source.ts";
export type { CheckpointLocation, UploadSourceOptions } from "./upload/upload_source.ts";
export { uploadStream } from "./upload/upload_stream.ts";
export type { UploadStreamOptions } from "./upload/upload_stream.ts";
export { uploadFile } from "./upload/upload_file.ts";
export type { UploadFileInput } from "./upload/upload_file.ts";
export { DEFAULT_ROUTINES, MAX_ROUTINES } from "./upload/upload_options.ts";
export type {
  CheckpointOption,
  CheckpointSetAside,
  ResumeCheck,
  UploadFileOptions,
  UploadProgress,
  UploadResult,
} from "./upload/upload_options.ts";
export {
  assertPartSize,
  DEFAULT_PART_SIZE,
  MAX_PART_SIZE,
  MAX_PARTS,
  MIN_PART_SIZE,
  partAt,
  planParts,
} from "./upload/part_plan.ts";
export type { PartPlan, PlannedPart, PlanPartsOptions } from "./upload/part_plan.ts";
export type {
  MultipartTarget,
  ObjectWriteOptions as TargetWriteOptions,
  PartBodyFactory,
  TargetCallOptions,
  TargetUploadSummary,
} from "./upload/multipart_target.ts";
export { blobSource } from "./adapters/web/blob_source.ts";
export type { BlobSourceOptions } from "./adapters/web/blob_source.ts";
