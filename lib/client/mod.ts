/**
 * The OSS client: `OssClient`, `Bucket`, credentials, retries, endpoints.
 *
 * @module
 */

export { OssClient as BaseOssClient } from "./oss_client.ts";
export type {
  CreateBucketOptions,
  ListBucketsOptions,
  OssClientOptions,
  RequestOptions,
} from "./oss_client.ts";
export { DEFAULT_TIMEOUT_MS } from "./oss_client.ts";
export { Bucket } from "./bucket.ts";
export type {
  ConditionalOptions,
  GetObjectOptions,
  ObjectWriteOptions,
  PutObjectOptions,
} from "./bucket_objects.ts";
export type {
  ListMultipartUploadsOptions,
  ListObjectsOptions,
  ListPartsOptions,
} from "./bucket_listing.ts";
export type { CompleteMultipartUploadOptions, UploadPartOptions } from "./bucket_multipart.ts";
export {
  MAX_OBJECT_TAGS,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MAX_TRAFFIC_LIMIT,
  MIN_TRAFFIC_LIMIT,
  OBJECT_ACLS,
  SERVER_SIDE_ENCRYPTIONS,
  STORAGE_CLASSES,
} from "./object_write_options.ts";
export type {
  ObjectAcl,
  ObjectTagging,
  ObjectWriteSettings,
  ServerSideEncryption,
  StorageClass,
  UploadCallback,
} from "./object_write_options.ts";
export type { AppendBody, AppendObjectOptions, AppendObjectResult } from "./bucket_append.ts";
export type {
  AbortedUpload,
  AbortMultipartUploadsOptions,
  AbortMultipartUploadsResult,
} from "./bucket_cleanup.ts";
export type {
  CopyObjectOptions,
  CopyPartSource,
  CopySourceConditions,
  MetadataDirective,
  UploadPartCopyOptions,
} from "./bucket_copy.ts";
export { contentTypeByName } from "./content_type.ts";
export type {
  PreconnectingFetch,
  PreconnectOptions,
  TransportPreconnectOptions,
} from "./bucket_preconnect.ts";
export { MAX_KEYS_PER_DELETE } from "./bucket_delete_objects.ts";
export type { DeleteObjectsOptions, DeleteObjectsResult } from "./bucket_delete_objects.ts";
export { DEFAULT_PRESIGN_EXPIRES } from "./bucket_presign.ts";
export type { PresignUrlOptions } from "./bucket_presign.ts";
export type * from "./results.ts";
export { isReplayableBody } from "./body.ts";
export type { OssBody, OssBodyValue } from "./body.ts";
export { CredentialsCache } from "./credentials.ts";
export type { ExpiringOssCredentials, OssCredentialsProvider } from "./credentials.ts";
export {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isRetryableError,
  isThrottlingError,
  resolveRetryPolicy,
} from "./retry_policy.ts";
export type { ResolvedRetryPolicy, RetryPolicy } from "./retry_policy.ts";
export { LOCAL_ENDPOINT_REGION, parseEndpoint, regionFromEndpoint } from "./endpoint.ts";
export type { OssEndpoint } from "./endpoint.ts";
export type { OssPlatform } from "./platform.ts";
export { withPlatform } from "./platform.ts";
export { clientOptionsFromEnv, mergeEnvOptions } from "./env_options.ts";
export type { OssSigner, SignerContext } from "./signer.ts";
export type { OssOperation } from "./operations.ts";
export { remoteSigner, TICKET_HEADER } from "./remote_signer.ts";
export type { RemoteSignerOptions } from "./remote_signer.ts";
