// Browser proof: headless Chromium loads a page served on 127.0.0.1 that
// uploads a File of 12 parts with 3 routines and an IndexedDB checkpoint,
// signing through the server's signing route (the page never holds the secret).
// The test reloads the page partway; the page runs the same upload again and
// resumes from IndexedDB; the object is byte-identical. Node only (Playwright).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Hono } from "hono";
import { OssClient } from "../lib/web.ts";
import { createSigningRoute, UploadTickets } from "../lib/server/mod.ts";
import { listen, type Listening } from "../lib/server/listen.ts";
import { GatedClock } from "./_gated_clock.ts";
import { startServer, type TestServer } from "./_server.ts";
import { testBytes } from "./_test_bytes.ts";
import { bundleForBrowser } from "./_browser_bundle.ts";
import { type Chromium, launchChromium } from "./_chromium.ts";
import { chromiumMissing } from "./_peers.ts";

const PART = 100 * 1024;
const PARTS = 12;
const SEED = 7;
const BUCKET = "browser-uploads";
const KEY = "user-7/video.bin";

function bundlePage(): string {
  return bundleForBrowser("tests/_browser_page.ts");
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe("browser upload in Chromium", () => {
  it(
    "resumes a 12-part upload from IndexedDB after a reload, byte-identical, secret never served",
    { skip: chromiumMissing(), timeout: 120_000 },
    async () => {
      const secret = `browser-secret-${crypto.randomUUID()}`;
      let server: TestServer | undefined;
      let pages: Listening | undefined;
      let browser: Chromium | undefined;
      const served: string[] = [];
      const received: string[] = [];
      const clock = new GatedClock();
      try {
        server = await startServer({ accessKeySecret: secret, faultClock: clock });
        const admin = new OssClient({
          endpoint: server.url,
          region: server.region,
          accessKeyId: server.accessKeyId,
          accessKeySecret: secret,
        });
        await admin.createBucket(BUCKET);

        // The application's server: page, script, session route, signing route.
        const tickets = new UploadTickets({
          secret: crypto.getRandomValues(new Uint8Array(32)),
          ttlSeconds: 300,
        });
        const script = bundlePage();
        const ossUrl = server.url;
        const app = new Hono();
        app.use(async (c, next) => {
          await next();
          served.push(
            [...c.res.headers].map(([k, v]) => `${k}: ${v}`).join("\n") + "\n" +
              await c.res.clone().text(),
          );
        });
        app.get("/", (c) =>
          c.html(
            '<!doctype html><meta charset="utf-8"><title>ossup</title>' +
              '<script type="module" src="/app.js"></script>',
          ));
        app.get("/app.js", (c) => c.body(script, 200, { "content-type": "text/javascript" }));
        app.post("/session", async (c) =>
          c.json({
            ticket: await tickets.issue({ bucket: BUCKET, key: KEY }),
            endpoint: ossUrl,
            bucket: BUCKET,
            key: KEY,
          }));
        const signing = createSigningRoute({
          credentials: { accessKeyId: server.accessKeyId, accessKeySecret: secret },
          region: server.region,
          tickets,
        });
        app.post("/api/oss/sign", (c) => signing.fetch(c.req.raw, c));
        pages = await listen(app.fetch, { host: "127.0.0.1", port: 0 });

        browser = await launchChromium();
        const context = browser.context;
        context.on("response", (res: { text(): Promise<string> }) => {
          res.text().then((t) => received.push(t), () => {});
        });
        const page = context.pages()[0] ?? await context.newPage();
        page.setDefaultTimeout(60_000);
        const pageErrors: string[] = [];
        page.on("pageerror", (err: Error) => pageErrors.push(err.message));

        // First run: the parts after the 4th are held at the server until the page has
        // reloaded, so the reload lands partway however slow the machine.
        clock.hold();
        server.control.add({
          operation: "UploadPart",
          nth: 5,
          times: 0,
          action: { type: "latency", ms: 250 },
        });
        await page.goto(`${pages.url}/`);
        await page.waitForFunction(() => typeof globalThis.ossupUpload === "function");
        const firstRun = page.evaluate(() => globalThis.ossupUpload!()).then(
          () => "finished",
          () => "interrupted",
        );
        const control = server.control;
        await control.when((stats) => sum(stats.parts) >= 4); // 4 parts of the first run
        await page.reload();
        assert.equal(await firstRun, "interrupted", "the reload cut the first run short");
        const firstParts = sum(control.stats().parts);
        assert.ok(
          firstParts < PARTS,
          `the first run sent all ${firstParts} parts before the reload`,
        );

        // Parts the old page had in flight may still land once they are let go.
        clock.release();
        await server.idle();
        control.clear();

        await page.waitForFunction(() => typeof globalThis.ossupUpload === "function");
        const result = await page.evaluate(() => globalThis.ossupUpload!());
        assert.deepEqual(pageErrors, []);
        assert.equal(result.resumed, true, "the second run resumed from IndexedDB");
        assert.equal(result.parts, PARTS);
        assert.equal(result.crc64Verified, true);
        const secondParts = sum(control.stats().parts);
        assert.ok(
          secondParts < PARTS && secondParts > 0,
          `the second run sent ${secondParts} of ${PARTS} parts`,
        );
        assert.equal(result.partsUploaded, secondParts);

        const obj = await admin.bucket(BUCKET).getObject(KEY);
        assert.equal(obj.crc64?.toString(), result.crc64);
        assert.deepEqual(await obj.bytes(), testBytes(PARTS * PART, SEED));

        // The secret was never in anything the page's server sent or the browser received.
        assert.ok(served.length >= 10 && received.length >= 10, "responses were recorded");
        for (const text of [...served, ...received, await page.content()]) {
          assert.ok(!text.includes(secret), "the access key secret reached the browser");
        }
      } finally {
        clock.release();
        await browser?.close();
        await pages?.close();
        await server?.close();
      }
    },
  );
});

declare global {
  var ossupUpload: (() => Promise<Record<string, unknown>>) | undefined;
}
