// The JSR package is publishable: `deno publish --dry-run` passes (type check,
// no slow types), and `deno doc --lint` is clean on every entry point that
// deno.json exports. (Its examples type-check and run in doc_examples.deno.test.ts.) Deno only.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { describe, it } from "node:test";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Run {
  code: number;
  output: string;
}

/** Runs deno (this runtime's binary) in the repository root, without colours. */
function deno(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

function entryPoints(): string[] {
  const config = JSON.parse(readFileSync(`${ROOT}/deno.json`, "utf8"));
  const exports: Record<string, string> = typeof config.exports === "string"
    ? { ".": config.exports }
    : config.exports;
  return Object.values(exports);
}

/** The part of `deno doc --json` read here. */
interface DocNode {
  symbols?: {
    name: string;
    declarations: {
      kind?: string;
      def?: { kind?: string };
      location: { filename: string; line: number };
      jsDoc?: { tags?: { kind: string }[] };
    }[];
  }[];
}

interface Diagnostic {
  kind: string;
  message: string;
  at: string;
}

function diagnostics(output: string): Diagnostic[] {
  const found: Diagnostic[] = [];
  const lines = output.split("\n");
  lines.forEach((line, i) => {
    const m = /^error\[([\w-]+)\]: (.*)$/.exec(line);
    if (!m) return;
    const at = /-->\s+(\S+)/.exec(lines[i + 1] ?? "")?.[1] ?? "?";
    found.push({ kind: m[1], message: m[2], at: at.replace(ROOT, "") });
  });
  return found;
}

describe("JSR package", () => {
  it("deno.json exports the entry points", () => {
    const entries = entryPoints();
    for (
      const e of ["./mod.ts", "./lib/web.ts", "./lib/node.ts", "./lib/deno.ts", "./lib/bun.ts"]
    ) {
      assert.ok(entries.includes(e), `deno.json exports ${e}`);
    }
  });

  // Each entry on its own: checked together, a type one entry exports hides
  // that another entry names it without exporting it.
  for (const entry of entryPoints()) {
    it(`deno doc --lint is clean on ${entry} checked on its own`, async () => {
      const { code, output } = await deno(["doc", "--lint", entry]);
      assert.deepEqual(
        diagnostics(output).map((d) => `${d.kind} ${d.at}: ${d.message}`),
        [],
        `deno doc --lint ${entry} found problems`,
      );
      assert.equal(code, 0, output);
    });
  }

  it("every public symbol has JSDoc with an @example", async () => {
    const { code, output } = await deno(["doc", "--json", ...entryPoints()]);
    assert.equal(code, 0, output);
    const withoutExample = new Set<string>();
    for (const node of Object.values(JSON.parse(output).nodes) as DocNode[]) {
      for (const symbol of node.symbols ?? []) {
        for (const d of symbol.declarations) {
          if (d.kind === "reference" || d.def?.kind === "reference") continue; // a re-export
          if (d.jsDoc?.tags?.some((t) => t.kind === "example")) continue;
          const file = d.location.filename.replace(`file://${ROOT}`, "");
          withoutExample.add(`${symbol.name} (${file}:${d.location.line})`);
        }
      }
    }
    assert.deepEqual([...withoutExample].sort(), [], "public symbols without an @example");
  });

  it("deno publish --dry-run passes (type check, no slow types)", async () => {
    const { code, output } = await deno(["publish", "--dry-run", "--allow-dirty"]);
    assert.equal(code, 0, output);
    assert.match(output, /Dry run complete/);
  });
});
