// The web entry bundles for the browser with esbuild and holds nothing of a
// server runtime: no `node:` import, no `Deno.`, `Bun.` or `process.` reference.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const root = fileURLToPath(new URL("..", import.meta.url));
const esbuild = fileURLToPath(new URL("../node_modules/.bin/esbuild", import.meta.url));

function bundle(entry: string, extra: string[] = []): string {
  return execFileSync(esbuild, [
    entry,
    "--bundle",
    "--format=esm",
    "--platform=browser",
    "--target=es2022",
    "--log-level=error",
    ...extra,
  ], { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
}

const FORBIDDEN: [string, RegExp][] = [
  ["a node: import", /["']node:[a-z_/]+["']/],
  ["a Deno. reference", /\bDeno\s*\./],
  ["a Bun. reference", /\bBun\s*\./],
  ["a process. reference", /\bprocess\s*\./],
  ["a require() call", /\brequire\s*\(/],
];

describe("web entry", () => {
  it("bundles for the browser with no node:, Deno., Bun. or process. in it", () => {
    // esbuild keeps the JSDoc of class members, whose examples import node:assert: comments
    // are not code, so they are left out of the scan.
    const code = bundle("lib/web.ts").replace(/\/\*\*[\s\S]*?\*\//g, "");
    assert.ok(code.length > 10_000, "the bundle holds the core");
    for (const [what, pattern] of FORBIDDEN) {
      const m = pattern.exec(code);
      assert.equal(
        m,
        null,
        `${what} slipped into the web bundle: …${
          m && code.slice(Math.max(0, m.index - 80), m.index + 80)
        }…`,
      );
    }
    // The public surface is there.
    for (
      const name of [
        "OssClient",
        "Bucket",
        "OssError",
        "crc64",
        "presignV4",
        "MemoryCheckpointStore",
      ]
    ) {
      assert.match(code, new RegExp(`\\b${name}\\b`), name);
    }
  });

  it("bundles minified too, and the check catches a runtime reference", () => {
    const code = bundle("lib/web.ts", ["--minify"]);
    for (const [what, pattern] of FORBIDDEN) assert.doesNotMatch(code, pattern, what);
    // The check itself works: a module that touches a runtime global is caught.
    const leaky = "export const v = typeof Deno !== 'undefined' ? Deno.version : process.env.X;";
    const caught = execFileSync(esbuild, ["--format=esm", "--log-level=error"], {
      input: leaky,
      encoding: "utf8",
    });
    assert.match(caught, /\bDeno\s*\./);
    assert.match(caught, /\bprocess\s*\./);
  });
});
