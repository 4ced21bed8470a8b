/**
 * A `fetch` for tests of virtual-hosted addressing against the local server.
 *
 * The client addresses `http://<bucket>.oss-cn-hangzhou.aliyuncs.com:PORT/key`.
 * No resolver maps that name to 127.0.0.1, and Deno's and Node's `fetch`
 * drop a `Host` header set by hand, so this `fetch` sends the request with
 * `node:http` to 127.0.0.1:PORT while keeping the URL's host in the `Host`
 * header — exactly the bytes a real virtual-hosted request carries. The
 * server reads the bucket from `Host` as OSS does.
 *
 * @module
 */

import { request as httpRequest } from "node:http";

/** Host name the virtual-hosted tests use as endpoint; its region is `cn-hangzhou`. */
export const VIRTUAL_HOST = "oss-cn-hangzhou.aliyuncs.com";

/**
 * A `fetch` that sends every request to `127.0.0.1:port` whatever its URL's
 * host, with that host in the `Host` header.
 *
 * @param port The local server's port.
 * @returns The `fetch`, and `hosts`: the `Host` headers it sent.
 */
export function hostRoutingFetch(port: number): { fetch: typeof fetch; hosts: string[] } {
  const hosts: string[] = [];
  const routed = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : {}));
    headers.set("host", url.host);
    hosts.push(url.host);
    const body = init?.body;
    const signal = init?.signal ?? undefined;
    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const req = httpRequest({
        host: "127.0.0.1",
        port,
        method: init?.method ?? "GET",
        path: url.pathname + url.search,
        headers: Object.fromEntries(headers),
      });
      const onAbort = () =>
        req.destroy(signal!.reason instanceof Error ? signal!.reason : new Error("aborted"));
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("error", (err) => {
        signal?.removeEventListener("abort", onAbort);
        reject(new TypeError("fetch failed", { cause: err }));
      });
      req.on("response", (res) => {
        const resHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined) continue;
          for (const v of Array.isArray(value) ? value : [value]) resHeaders.append(name, v);
        }
        const status = res.statusCode ?? 0;
        const noBody = init?.method === "HEAD" || status === 204 || status === 304;
        const stream = noBody ? null : new ReadableStream<Uint8Array>({
          start(controller) {
            res.on("data", (chunk: Uint8Array) => controller.enqueue(new Uint8Array(chunk)));
            res.on("end", () => {
              signal?.removeEventListener("abort", onAbort);
              controller.close();
            });
            res.on(
              "error",
              (err) => controller.error(new TypeError("body failed", { cause: err })),
            );
            res.on("aborted", () => controller.error(new TypeError("body cut off")));
          },
          cancel() {
            signal?.removeEventListener("abort", onAbort);
            res.destroy();
          },
        });
        if (noBody) {
          res.resume();
          signal?.removeEventListener("abort", onAbort);
        }
        resolve(
          new Response(stream, { status, statusText: res.statusMessage, headers: resHeaders }),
        );
      });
      void sendBody(req, body).catch((err) => req.destroy(err));
    });
  };
  return { fetch: routed as typeof fetch, hosts };
}

async function sendBody(
  req: ReturnType<typeof httpRequest>,
  body: BodyInit | null | undefined,
): Promise<void> {
  if (body === undefined || body === null) return void req.end();
  if (typeof body === "string" || body instanceof Uint8Array) return void req.end(body);
  if (body instanceof ArrayBuffer) return void req.end(new Uint8Array(body));
  const stream = body instanceof Blob ? body.stream() : body as ReadableStream<Uint8Array>;
  if (body instanceof Blob) req.setHeader("content-length", String(body.size));
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
  }
  req.end();
}
