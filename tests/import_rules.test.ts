/**
 * The layering rules of ARCHITECTURE.md, checked on the import graph of `mod.ts` and `lib/`:
 *
 * - the core (every folder of `lib/` but `adapters/`, `server/`, `cli/`, and the entry files)
 *   imports no `node:` module, reads no runtime global (`Deno.`, `Bun.`, `process.`), and imports
 *   nothing outside the core;
 * - one runtime's adapter (`adapters/{node,deno,bun,web}/`) imports no other runtime's adapter
 *   (shared pieces live in `adapters/node_api/` and `adapters/_*.ts`; only `adapters/auto/`, the
 *   run-time choice, may import several), and `node_api/` imports no runtime's folder;
 * - the server and the CLI import no runtime's adapter folder;
 * - the testing entry (`lib/testing/`, contract suites on `node:test`) imports only the core and
 *   the server's public entry (`lib/server/mod.ts`, for the local OSS server it starts), and
 *   nothing else in `lib/` imports it;
 * - every relative import resolves, and value imports form no cycle (type-only imports may).
 *
 * The graph is read from the files with a small scanner (comments and strings blanked, then
 * import/export/`import()` specifiers read), so it needs no compiler and runs on every runtime.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// The repository's sources, or the npm build's emitted modules (`--runtime npm`): the same graph
// less its type-only imports, which the build erases.
const EXT = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
const ENTRIES = new Set(
  ["mod", "lib/web", "lib/node", "lib/deno", "lib/bun"].map((e) => e + EXT),
);
const RUNTIMES = ["node", "deno", "bun", "web"];

interface Edge {
  from: string;
  spec: string;
  /** Repository path the specifier resolves to; undefined for bare and `node:` specifiers. */
  to?: string;
  typeOnly: boolean;
  line: number;
}

interface SourceFile {
  path: string;
  /** The code with comments blanked (strings kept), for specifiers. */
  code: string;
  /** The code with comments and string contents blanked, for globals. */
  bare: string;
}

function libFiles(): string[] {
  const files = readdirSync(join(ROOT, "lib"), {
    recursive: true,
    encoding: "utf8",
  })
    .map((f) => `lib/${f.split("\\").join("/")}`)
    .filter((f) => f.endsWith(EXT) && !f.endsWith(".d.ts"));
  return [`mod${EXT}`, ...files].sort();
}

/** Blanks comments (and, with `strings`, string contents), keeping offsets and newlines. */
function blank(text: string, strings: boolean): string {
  let out = "";
  let i = 0;
  const keepNewlines = (s: string) => s.replace(/[^\n]/g, " ");
  while (i < text.length) {
    const c = text[i], n = text[i + 1];
    if (c === "/" && n === "/") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      out += keepNewlines(text.slice(i, stop));
      i = stop;
    } else if (c === "/" && n === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += keepNewlines(text.slice(i, stop));
      i = stop;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) {
        if (text[j] === "\\") j++;
        else if (c !== "`" && text[j] === "\n") break;
        j++;
      }
      const body = text.slice(i + 1, j);
      out += c + (strings ? keepNewlines(body) : body) + (text[j] ?? "");
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function read(path: string): SourceFile {
  const text = readFileSync(join(ROOT, path), "utf8");
  return { path, code: blank(text, false), bare: blank(text, true) };
}

const STATIC =
  /(?:^|[;\n}])\s*(import|export)\s+(type\s+)?([^;"'`]*?)\s*from\s*(["'])([^"'\n]+)\4/g;
const SIDE_EFFECT = /(?:^|[;\n])\s*import\s*(["'])([^"'\n]+)\1/g;
const DYNAMIC = /\bimport\s*\(\s*(["'])([^"'\n]+)\1\s*\)/g;

function resolveSpec(from: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  return normalize(join(dirname(from), spec)).split("\\").join("/");
}

function edgesOf(file: SourceFile): Edge[] {
  const edges: Edge[] = [];
  const lineAt = (index: number) => file.code.slice(0, index).split("\n").length;
  const keyword = (m: RegExpMatchArray) => m.index! + m[0].search(/import|export/);
  const add = (spec: string, typeOnly: boolean, index: number) =>
    edges.push({
      from: file.path,
      spec,
      to: resolveSpec(file.path, spec),
      typeOnly,
      line: lineAt(index),
    });
  for (const m of file.code.matchAll(STATIC)) {
    const clause = m[3];
    const named = /^\{([^}]*)\}$/.exec(clause.trim());
    const allTypes = named !== null &&
      named[1].split(",").map((s) => s.trim()).filter(Boolean)
        .every((s) => s.startsWith("type "));
    add(
      m[5],
      m[2] !== undefined || (allTypes && named![1].trim() !== ""),
      keyword(m),
    );
  }
  for (const m of file.code.matchAll(SIDE_EFFECT)) add(m[2], false, keyword(m));
  for (const m of file.code.matchAll(DYNAMIC)) add(m[2], false, m.index!);
  return edges;
}

type Layer = "entry" | "core" | "server" | "cli" | "testing" | `adapter:${string}`;

function layerOf(path: string): Layer {
  if (ENTRIES.has(path)) return "entry";
  if (path.startsWith("lib/server/")) return "server";
  if (path.startsWith("lib/cli/")) return "cli";
  // The contract suites of the ./testing entry: node:test on top of the core.
  if (path.startsWith("lib/testing/")) return "testing";
  if (path.startsWith("lib/adapters/")) {
    const rest = path.slice("lib/adapters/".length);
    return `adapter:${rest.includes("/") ? rest.split("/")[0] : "_shared"}`;
  }
  return "core";
}

const files = libFiles().map(read);
const edges = files.flatMap(edgesOf);

function listed(found: string[]): string {
  return found.length ? `\n  ${found.join("\n  ")}` : "";
}

describe("import rules (ARCHITECTURE.md)", () => {
  it("reads the whole graph (entries, core, adapters, server, CLI)", () => {
    const layers = new Set(files.map((f) => layerOf(f.path).split(":")[0]));
    assert.deepEqual([...layers].sort(), [
      "adapter",
      "cli",
      "core",
      "entry",
      "server",
      "testing",
    ]);
    assert.ok(edges.length > 100, `only ${edges.length} imports found`);
  });

  it("every relative import resolves to a file", () => {
    const broken = edges.filter((e) => e.to !== undefined && !existsSync(join(ROOT, e.to)))
      .map((e) => `${e.from}:${e.line} ${e.spec}`);
    assert.deepEqual(broken, [], `unresolved imports:${listed(broken)}`);
  });

  it("the core imports no node: module and nothing outside the core", () => {
    const bad = edges.filter((e) => layerOf(e.from) === "core")
      .filter((e) =>
        e.spec.startsWith("node:") ||
        (e.to !== undefined && layerOf(e.to) !== "core")
      )
      .map((e) => `${e.from}:${e.line} imports ${e.spec}`);
    assert.deepEqual(bad, [], `the core reaches out of itself:${listed(bad)}`);
  });

  it("the core reads no runtime global (Deno., Bun., process.)", () => {
    const global =
      /(?:\bglobalThis\s*\??\.\s*|(?<![\w$.])|\btypeof\s+)(Deno|Bun|process)\b\s*(\??\.|\[|!==|===|$)/gm;
    const bad: string[] = [];
    for (const file of files.filter((f) => layerOf(f.path) === "core")) {
      for (const m of file.bare.matchAll(global)) {
        const line = file.bare.slice(0, m.index!).split("\n").length;
        bad.push(`${file.path}:${line} ${m[0].trim()}`);
      }
    }
    assert.deepEqual(bad, [], `runtime globals in the core:${listed(bad)}`);
  });

  it("no runtime's adapter imports another runtime's, and node_api imports none", () => {
    const bad = edges.filter((e) => e.to !== undefined).filter((e) => {
      const from = layerOf(e.from), to = layerOf(e.to!);
      if (!from.startsWith("adapter:") || !to.startsWith("adapter:")) {
        return false;
      }
      const a = from.slice(8), b = to.slice(8);
      if (a === b || a === "auto") return false;
      return RUNTIMES.includes(b); // node_api, _shared may be used by every runtime
    }).map((e) => `${e.from}:${e.line} imports ${e.spec}`);
    assert.deepEqual(bad, [], `adapters crossing runtimes:${listed(bad)}`);
  });

  it("the testing entry imports the core, the server's entry and node: built-ins only", () => {
    const bad = edges.filter((e) => layerOf(e.from) === "testing")
      .filter((e) =>
        e.to !== undefined && !["core", "testing"].includes(layerOf(e.to)) &&
        e.to !== `lib/server/mod${EXT}`
      )
      .map((e) => `${e.from}:${e.line} imports ${e.spec}`);
    assert.deepEqual(bad, [], `the testing entry reaches beyond the core:${listed(bad)}`);
  });

  it("nothing but the testing entry imports it", () => {
    const bad = edges.filter((e) => e.to !== undefined && layerOf(e.to) === "testing")
      .filter((e) => layerOf(e.from) !== "testing")
      .map((e) => `${e.from}:${e.line} imports ${e.spec}`);
    assert.deepEqual(bad, [], `test support imported by the library:${listed(bad)}`);
  });

  it("the server and the CLI import no runtime's adapter folder", () => {
    const bad = edges.filter((e) => e.to !== undefined)
      .filter((e) => ["server", "cli"].includes(layerOf(e.from)))
      .filter((e) => RUNTIMES.some((r) => layerOf(e.to!) === `adapter:${r}`))
      .map((e) => `${e.from}:${e.line} imports ${e.spec}`);
    assert.deepEqual(
      bad,
      [],
      `server/CLI bound to one runtime's adapter:${listed(bad)}`,
    );
  });

  it("value imports form no cycle", () => {
    const graph = new Map<string, string[]>();
    for (const e of edges) {
      if (e.typeOnly || e.to === undefined) continue;
      graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
    }
    const cycles = stronglyConnected(graph).filter((c) =>
      c.length > 1 || graph.get(c[0])?.includes(c[0])
    );
    const shown = cycles.map((c) => c.map((p) => relative("", p)).join(" → "));
    assert.deepEqual(shown, [], `value-import cycles:${listed(shown)}`);
  });
});

/** Tarjan's strongly connected components, iteratively (no deep recursion). */
function stronglyConnected(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>();
  const onStack = new Set<string>(), stack: string[] = [], out: string[][] = [];
  let next = 0;
  const nodes = new Set([...graph.keys(), ...[...graph.values()].flat()]);
  for (const start of [...nodes].sort()) {
    if (index.has(start)) continue;
    const work: [string, number][] = [[start, 0]];
    while (work.length) {
      const frame = work[work.length - 1];
      const [v, i] = frame;
      if (i === 0) {
        index.set(v, next);
        low.set(v, next++);
        stack.push(v);
        onStack.add(v);
      }
      const succ = graph.get(v) ?? [];
      if (i < succ.length) {
        frame[1]++;
        const w = succ[i];
        if (!index.has(w)) work.push([w, 0]);
        else if (onStack.has(w)) {
          low.set(v, Math.min(low.get(v)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent)!, low.get(v)!));
      }
      if (low.get(v) === index.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        out.push(component.sort());
      }
    }
  }
  return out;
}
