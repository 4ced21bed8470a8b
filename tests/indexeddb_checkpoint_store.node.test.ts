// IndexedDbCheckpointStore passes the shared CheckpointStore contract in the
// runtime it belongs to: headless Chromium, on a page served from 127.0.0.1
// (IndexedDB and Web Locks need a real, secure origin). The contract suite is
// bundled for the page with `node:test` and `node:assert/strict` swapped for
// in-page stand-ins (_browser_node_test_shim.ts); the page runs it twice, with
// Web Locks and with leases, and this test checks every case. Node only
// (Playwright).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { listen, type Listening } from "../lib/server/listen.ts";
import { bundleForBrowser } from "./_browser_bundle.ts";
import { type Chromium, launchChromium } from "./_chromium.ts";
import { chromiumMissing } from "./_peers.ts";
import type { CaseResult } from "./_browser_node_test_shim.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const PAGE_SCRIPT = "tests/_indexeddb_checkpoint_store_page.ts";
const SHIM = "tests/_browser_node_test_shim.ts";
const CONTRACT = "lib/testing/checkpoint_store_contract.ts";
/** The page runs the contract once per locking mode, each with every optional hook. */
const VARIANTS = ["IndexedDB, Web Locks", "IndexedDB, leases"];

function bundlePage(): string {
  return bundleForBrowser(PAGE_SCRIPT, [
    `--alias:node:test=./${SHIM}`,
    `--alias:node:assert/strict=./${SHIM}`,
  ]);
}

/**
 * How many cases the contract defines when every optional hook is given:
 * its `it(` calls, counted in its source, so a case that never reached the
 * page is a failure rather than a silence.
 */
function contractCaseCount(): number {
  const source = readFileSync(join(root, CONTRACT), "utf8");
  return source.match(/(?<![\w.$])it\(/g)?.length ?? 0;
}

describe("IndexedDbCheckpointStore in Chromium", () => {
  it(
    "passes the shared CheckpointStore contract with Web Locks and with leases",
    { skip: chromiumMissing(), timeout: 120_000 },
    async () => {
      const perVariant = contractCaseCount();
      assert.ok(perVariant >= 10, `found only ${perVariant} cases in ${CONTRACT}`);

      let pages: Listening | undefined;
      let browser: Chromium | undefined;
      try {
        const script = bundlePage();
        pages = await listen((request) => {
          const { pathname } = new URL(request.url);
          if (pathname === "/contract.js") {
            return new Response(script, { headers: { "content-type": "text/javascript" } });
          }
          if (pathname === "/") {
            return new Response(
              '<!doctype html><meta charset="utf-8"><title>contract</title>' +
                '<script type="module" src="/contract.js"></script>',
              { headers: { "content-type": "text/html; charset=utf-8" } },
            );
          }
          return new Response("not found", { status: 404 });
        }, { host: "127.0.0.1", port: 0 });

        browser = await launchChromium();
        const context = browser.context;
        const page = context.pages()[0] ?? await context.newPage();
        page.setDefaultTimeout(90_000);
        const pageErrors: string[] = [];
        page.on("pageerror", (err: Error) => pageErrors.push(err.message));

        await page.goto(`${pages.url}/`);
        await page.waitForFunction(() => typeof globalThis.ossupRunContract === "function");
        const results: CaseResult[] = await page.evaluate(() => globalThis.ossupRunContract!());

        const failed = results.filter((r) => !r.passed);
        assert.equal(
          failed.length,
          0,
          `${failed.length} of ${results.length} contract cases failed in Chromium:\n` +
            failed.map((r) => `✖ ${r.name}\n${r.error}`).join("\n\n"),
        );
        assert.deepEqual(pageErrors, []);
        for (const variant of VARIANTS) {
          const prefix = `CheckpointStore contract: ${variant} > `;
          const ran = results.filter((r) => r.name.startsWith(prefix));
          assert.equal(
            ran.length,
            perVariant,
            `"${variant}" ran ${ran.length} of the contract's ${perVariant} cases`,
          );
        }
        assert.equal(results.length, perVariant * VARIANTS.length);
      } finally {
        await browser?.close();
        await pages?.close();
      }
    },
  );
});

declare global {
  var ossupRunContract: (() => Promise<CaseResult[]>) | undefined;
}
