/**
 * OSS's upload callback on the local server: `x-oss-callback` (and `x-oss-callback-var`) read
 * and checked before the write, then, once the object is stored, the callback body (OSS's
 * variables substituted) POSTed to the callback URL and its answer handed back to the client,
 * or a 203 `CallbackFailed` when the callback fails (the object stays stored). The server
 * calls only the hosts it allows (by default loopback ones): a local server never calls out.
 *
 * @module
 */

import { buildXml } from "../xml/xml.ts";
import type { OpContext } from "./_op_context.ts";
import { quoteEtag } from "./_responses.ts";
import { ServerError } from "./server_error.ts";
import type { ObjectMeta } from "./storage.ts";

/** The callback a write asked for. */
export interface UploadCallbackRequest {
  url: URL;
  body: string;
  bodyType: "application/x-www-form-urlencoded" | "application/json";
  host?: string;
  /** Custom variables, names with their `x:`. */
  vars: Record<string, string>;
}

/** Hosts the server calls back by default: loopback only. */
export const DEFAULT_CALLBACK_HOSTS: readonly string[] = ["127.0.0.1", "localhost", "[::1]"];

/** How long a callback server has to answer (OSS: 5 seconds). */
const CALLBACK_TIMEOUT_MS = 5000;

function invalid(header: string, why: string): ServerError {
  return new ServerError(400, "InvalidArgument", `${header}: ${why}.`, { ArgumentName: header });
}

function decodeJson(header: string, value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    const binary = atob(value.trim());
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw invalid(header, "it is not the base64 of a JSON document");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw invalid(header, "it is not the base64 of a JSON object");
  }
  return parsed as Record<string, unknown>;
}

/**
 * The callback the request asks for, checked; `undefined` when it asks for none.
 * @throws {ServerError} `InvalidArgument` for a malformed `x-oss-callback` or `x-oss-callback-var`.
 */
export function uploadCallbackOf(op: OpContext): UploadCallbackRequest | undefined {
  const raw = op.c.req.header("x-oss-callback");
  if (raw === undefined) return undefined;
  const json = decodeJson("x-oss-callback", raw);
  const { callbackUrl, callbackBody, callbackHost, callbackBodyType } = json;
  if (typeof callbackUrl !== "string" || callbackUrl === "") {
    throw invalid("x-oss-callback", "callbackUrl is missing");
  }
  let url: URL;
  try {
    url = new URL(callbackUrl);
  } catch {
    throw invalid("x-oss-callback", "callbackUrl is not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid("x-oss-callback", "callbackUrl must be http or https");
  }
  if (typeof callbackBody !== "string" || callbackBody === "") {
    throw invalid("x-oss-callback", "callbackBody must be a non-empty string");
  }
  const bodyType = callbackBodyType ?? "application/x-www-form-urlencoded";
  if (bodyType !== "application/x-www-form-urlencoded" && bodyType !== "application/json") {
    throw invalid(
      "x-oss-callback",
      "callbackBodyType must be application/x-www-form-urlencoded or application/json",
    );
  }
  const vars: Record<string, string> = {};
  const rawVars = op.c.req.header("x-oss-callback-var");
  if (rawVars !== undefined) {
    for (const [name, value] of Object.entries(decodeJson("x-oss-callback-var", rawVars))) {
      if (!name.startsWith("x:") || typeof value !== "string") {
        throw invalid("x-oss-callback-var", `"${name}" must start with x: and have a string value`);
      }
      vars[name] = value;
    }
  }
  return {
    url,
    body: callbackBody,
    bodyType,
    host: typeof callbackHost === "string" ? callbackHost : undefined,
    vars,
  };
}

/** The callback body with OSS's system and custom variables substituted. */
export function callbackBodyFor(
  callback: UploadCallbackRequest,
  context: { bucket: string; object: string; meta: ObjectMeta },
): string {
  const { bucket, object, meta } = context;
  const system: Record<string, string> = {
    bucket,
    object,
    etag: meta.etag,
    size: String(meta.size),
    mimeType: meta.contentType,
    crc64: meta.crc64.toString(),
  };
  const encode = callback.bodyType === "application/x-www-form-urlencoded"
    ? encodeURIComponent
    : (s: string) => s;
  return callback.body.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
    const value = name.startsWith("x:") ? callback.vars[name] : system[name];
    return value === undefined ? "" : encode(value);
  });
}

/**
 * Calls the callback for the object just stored and builds the write's answer: the callback
 * server's answer (200) with `written` headers, or 203 `CallbackFailed` when it could not be
 * called, did not answer 200 in time, or answered something other than JSON.
 */
export async function answerWithCallback(
  op: OpContext,
  callback: UploadCallbackRequest,
  meta: ObjectMeta,
  written: Headers,
  allowedHosts: readonly string[],
): Promise<Response> {
  const failed = (why: string): Response => {
    const h = new Headers(written);
    h.set("content-type", "application/xml");
    return new Response(
      buildXml("Error", {
        Code: "CallbackFailed",
        Message: why,
        RequestId: op.requestId,
        HostId: op.c.req.header("host") ?? "",
        EC: "0007-00000203",
      }),
      { status: 203, headers: h },
    );
  };
  if (!allowedHosts.includes(callback.url.hostname)) {
    return failed(`This server does not call back ${callback.url.hostname}.`);
  }
  const body = callbackBodyFor(callback, {
    bucket: op.info.bucket!,
    object: op.info.key!,
    meta,
  });
  let res: Response;
  try {
    res = await fetch(callback.url, {
      method: "POST",
      headers: { "content-type": callback.bodyType },
      body,
      signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
    });
  } catch {
    return failed("Error status : -1. The callback server could not be reached in time.");
  }
  const answer = await res.text().catch(() => undefined);
  if (res.status !== 200) return failed(`Error status : ${res.status}.`);
  try {
    if (answer === undefined) throw new SyntaxError("no body");
    JSON.parse(answer);
  } catch {
    return failed("Response body is not valid json format.");
  }
  const h = new Headers(written);
  h.set("content-type", "application/json");
  h.set("etag", quoteEtag(meta.etag));
  return new Response(answer, { status: 200, headers: h });
}
