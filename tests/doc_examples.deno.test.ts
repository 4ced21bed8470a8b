/**
 * The rules of the doc examples that need no run (the runs are the `doc_examples_<shard>` files,
 * see `_doc_examples.ts`): only the files listed with a reason hold examples marked `ignore`,
 * every example that runs asserts what it shows with `node:assert/strict`, and examples import
 * what the package exports from the package name. Deno only.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { deno, examples, IGNORED, running } from "./_doc_examples.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

describe("doc examples: the rules", () => {
  it("only the files listed with their reason hold examples marked ignore", () => {
    const ignoring = [...new Set(examples.filter((e) => e.ignored).map((e) => e.file))].sort();
    assert.deepEqual(
      ignoring,
      Object.keys(IGNORED).sort(),
      "files with examples marked ignore (list a new one in IGNORED with why it cannot run)",
    );
  });

  it("every example asserts what it shows", () => {
    const silent = running.filter((e) =>
      !/^import assert from "node:assert\/strict";$/m.test(e.code) || !/\bassert[.(]/.test(e.code)
    );
    assert.deepEqual(silent.map((e) => `${e.file}:${e.line}`), [], "examples without assert");
  });

  it("examples import public names from the package name", async () => {
    const entries = Object.values(
      JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).exports as Record<string, string>,
    );
    const doc = await deno(["doc", "--json", ...entries], ROOT, {});
    assert.equal(doc.code, 0, doc.output);
    const publicNames = new Set<string>();
    for (
      const node of Object.values(JSON.parse(doc.output).nodes) as {
        symbols?: { name: string }[];
      }[]
    ) {
      for (const s of node.symbols ?? []) publicNames.add(s.name);
    }
    const wrong: string[] = [];
    for (const e of running) {
      for (const m of e.code.matchAll(/^import\s+(type\s+)?\{([^}]*)\}\s+from\s+"(\.[^"]*)"/gm)) {
        for (const item of m[2].split(",")) {
          const name = item.trim().replace(/^type\s+/, "").split(/\s+as\s+/)[0];
          if (name && publicNames.has(name)) wrong.push(`${e.file}:${e.line} ${name} from ${m[3]}`);
        }
      }
      if (/^import[^;]*from\s+"(?!@ossup\/ossup|node:|\.|hono)[^"]*"/m.test(e.code)) {
        wrong.push(`${e.file}:${e.line} imports a module the package does not depend on`);
      }
    }
    assert.deepEqual(wrong, [], "relative imports of what the package exports");
  });
});
