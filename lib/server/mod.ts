/**
 * ossup's server side, on Hono: the local OSS-compatible server (for tests
 * and development: storages, authentication, fault injection) and the
 * signing route that lets browsers upload without holding the secret.
 *
 * Published as `@ossup/ossup/server` (JSR) and `ossup/server` (npm). Runs on
 * Deno, Bun and Node (`listen` picks the runtime's server).
 *
 * @example A local OSS server in memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createAuthenticator, createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * const { app, storage } = createOssApp({
 *   storage: new MemoryStorage(),
 *   authenticate: createAuthenticator({ credentials: [{ accessKeyId: "ak", accessKeySecret: "sk" }] }),
 * });
 * const server = await listen(app.fetch, { host: "127.0.0.1", port: 0 });
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * await client.bucket("examplebucket").putObject("hello.txt", "hello");
 * assert.equal(await (await client.bucket("examplebucket").getObject("hello.txt")).text(), "hello");
 * await server.close();
 * await storage.close();
 * ```
 *
 * @example A signing route for browsers
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { createSigningRoute, UploadTickets } from "@ossup/ossup/server";
 *
 * const tickets = new UploadTickets({ secret: "at least thirty-two characters of secret" });
 * const app = new Hono();
 * app.post("/api/upload-ticket", async (c) =>
 *   c.json({ ticket: await tickets.issue({ bucket: "uploads", key: "user-7/a.bin" }) }));
 * const signing = createSigningRoute({
 *   credentials: { accessKeyId: "ak", accessKeySecret: "sk" },
 *   region: "cn-hangzhou",
 *   tickets,
 * });
 * app.post("/api/oss/sign", (c) => signing.fetch(c.req.raw, c));
 *
 * const res = await app.fetch(new Request("http://127.0.0.1/api/upload-ticket", { method: "POST" }));
 * const { ticket } = await res.json();
 * const scope = await tickets.verify(ticket); // what the signing route checks
 * assert.deepEqual([scope?.bucket, scope?.key], ["uploads", "user-7/a.bin"]);
 * ```
 *
 * @module
 */

export { createOssApp } from "./app.ts";
export type { FaultExchange, FaultHandler, OssApp, ServerOptions } from "./app.ts";
export { createAuthenticator } from "./auth.ts";
export type { AuthenticatedServer, Authenticator, AuthOptions, ServerCredential } from "./auth.ts";
export { DEFAULT_BODY_IDLE_TIMEOUT_MS, listen } from "./listen.ts";
export type {
  FetchHandler,
  HandledRequest,
  Listening,
  ListenOptions,
  ServerEngine,
} from "./listen.ts";
export { MemoryStorage } from "./memory_storage.ts";
export { DiskStorage } from "./disk_storage.ts";
export type { DiskStorageOptions } from "./disk_storage.ts";
export { StorageError } from "./storage.ts";
export type {
  BodyInput,
  BucketInfo,
  ListedObject,
  MultipartUploadInfo,
  ObjectHeaders,
  ObjectMeta,
  ObjectReader,
  PartMeta,
  Storage,
} from "./storage.ts";
export {
  FaultInjector,
  FAULTS_CONTROL_HEADER,
  FAULTS_CONTROL_PATH,
  FaultUnsupportedError,
} from "./faults.ts";
export type {
  FaultAction,
  FaultClock,
  FaultInjectorOptions,
  FaultRule,
  FaultRuleState,
  FaultStats,
} from "./faults.ts";
export { allowUploads, createSigningRoute, UPLOAD_OPERATIONS } from "./signing_route.ts";
export type {
  SigningContext,
  SigningRequest,
  SigningRoute,
  SigningRouteOptions,
} from "./signing_route.ts";
export { DEFAULT_TICKET_TTL_SECONDS, UploadTickets } from "./upload_tickets.ts";
export type { UploadTicket, UploadTicketsOptions } from "./upload_tickets.ts";
export type { OssRequestInfo } from "./request_info.ts";
// Named by the signatures above (a signing route's credentials, the requests it signs).
export type {
  OssCredentials,
  RequestToSign,
  Sha1Primitives,
  Sha256Primitives,
} from "../signing/signing.ts";
export type { ExpiringOssCredentials, OssCredentialsProvider } from "../client/credentials.ts";
export type { OssOperation } from "../client/operations.ts";
// StorageError's base: the library's one error hierarchy.
export { OssupError } from "../errors/errors.ts";
export type { OssupErrorOptions } from "../errors/errors.ts";
export { LINK_SEGMENT_BYTES, startLink } from "./link.ts";
export type { LinkOptions, LinkSettings, LinkStats, RunningLink } from "./link.ts";
// Named by LinkOptions.clock.
export type { PacingClock } from "../pacing/clock.ts";
export { formatLinkSpec, LINK_SPEC_SYNTAX, parseLinkSpec } from "./link_spec.ts";
