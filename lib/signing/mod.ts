/**
 * OSS request signing, V4 and V1, headers and presigned URLs, on crypto.subtle.
 *
 * @module
 */

export type {
  OssCredentials,
  PresignV1Options,
  PresignV4Options,
  RequestToSign,
  Sha1Primitives,
  Sha256Primitives,
  SignV1Options,
  SignV4Options,
} from "./signing.ts";
export { presignV1, presignV4, signV1, signV4, webCryptoSha1, webCryptoSha256 } from "./signing.ts";
