/**
 * Builds the npm package into `npm/`, our replacement for dnt (JSR and dnt are
 * out of reach here), then runs the test suite on Node against it.
 *
 * ```sh
 * npm run build:npm                     # build npm/, then test it on Node
 * npm run build:npm -- --no-test        # build only
 * deno run -A scripts/build_npm.ts --out /tmp/pkg --no-test-build --no-test
 * ```
 *
 * What it emits (`npm/`, laid out like the repository):
 * - `mod.js` and `lib/`: one ES module `.js` and one `.d.ts` per source `.ts`,
 *   with relative imports rewritten from `.ts` to `.js` (TypeScript's `tsc`,
 *   without type checking: `deno check` does that).
 * - `package.json`: name `ossup`, the version of `deno.json`, one export per
 *   `deno.json` export; `"."` picks the entry of the runtime by export
 *   condition (`deno`, `bun`, `workerd`/`worker`/`edge-light`/`browser` → web,
 *   `node`, and `default` → `mod.js`, the JSR default that picks the file
 *   adapter at call time), the `ossup` bin (`lib/cli/main.ts`, when present),
 *   and the bare imports the emitted code makes as `dependencies`, at the
 *   ranges of the dev manifest.
 * - `README.md` and `LICENSE` from the repository root.
 * - The test build (not published; `--no-test-build` skips it): `tests/`
 *   transpiled to `npm/tests/*.js` beside the package's own `lib/`, so paths
 *   the tests compute from their location (`lib/server/main.js`) hold.
 *   Imports of the public entries become imports by package name (`../mod.ts`
 *   → `ossup`, `../lib/web.ts` → `ossup/web`, …), which Node and esbuild
 *   resolve through the package's self-reference (`npm/package.json` is the
 *   nearest one); other imports of `lib/` stay relative, so they share module
 *   instances with the package. `npm/node_modules` links to the repository's
 *   (dev tools the tests spawn); `npm pack` never includes it. The dev
 *   manifest's checkout launchers (`bin/ossup.mjs`) link to the package's bins.
 *
 * The test run is `scripts/run_tests.ts --runtime npm` (also part of `npm test`).
 *
 * @module
 */

import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import process from "node:process";

const root = resolve(import.meta.dirname ?? ".", "..");

/** Options of {@linkcode buildNpm}. */
export interface BuildNpmOptions {
  /** Output directory. Default `npm/` in the repository. */
  outDir?: string;
  /** Also transpile `tests/` into `<outDir>/tests/`. Default `true`. */
  testBuild?: boolean;
  /** Print what is built. Default `true`. */
  log?: boolean;
}

/** What {@linkcode buildNpm} built. */
export interface BuildNpmResult {
  /** The package directory (holds package.json). */
  outDir: string;
  /** The package.json written. */
  packageJson: Record<string, unknown>;
  /** `.js` modules emitted (`mod.js` and `lib/`). */
  modules: number;
  /** `<outDir>/tests`, when built. */
  testsDir?: string;
}

/** Conditions of the `"."` export, in the order a resolver tries them. */
export const ROOT_CONDITIONS: [condition: string, entry: string][] = [
  ["deno", "lib/deno.ts"],
  ["bun", "lib/bun.ts"],
  ["workerd", "lib/web.ts"],
  ["worker", "lib/web.ts"],
  ["edge-light", "lib/web.ts"],
  ["browser", "lib/web.ts"],
  ["node", "lib/node.ts"],
  ["default", "mod.ts"],
];

const CLI_ENTRY = "lib/cli/main.ts";
const PACKAGE_NAME = "ossup";

function walk(dir: string, accept: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path, accept));
    else if (accept(path)) out.push(path);
  }
  return out;
}

const toPosix = (p: string) => p.split(sep).join("/");

/** `lib/web.ts` → `./lib/web.js` (or `.d.ts`). */
function emitted(source: string, ext: ".js" | ".d.ts"): string {
  return "./" + source.replace(/^\.\//, "").replace(/\.ts$/, ext);
}

function conditional(source: string): { types: string; default: string } {
  return { types: emitted(source, ".d.ts"), default: emitted(source, ".js") };
}

// Static `import … from "x"`, `export … from "x"`, side-effect `import "x"`, and `import("x")`.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])([^"'\n]+)\2/g;

/** Rewrites the module specifiers of `code` with `map` (undefined keeps one). */
function rewriteSpecifiers(code: string, map: (spec: string) => string | undefined): string {
  return code.replace(SPECIFIER, (all, lead: string, q: string, spec: string) => {
    const to = map(spec);
    return to === undefined ? all : `${lead}${q}${to}${q}`;
  });
}

/**
 * The packages the emitted modules import (static or dynamic), read from an
 * esbuild metafile: a parser, not a pattern, so examples in doc comments do not
 * count. Fails when a relative import does not resolve.
 */
function importedPackages(files: string[], outDir: string): Set<string> {
  const meta = join(outDir, ".imports.json");
  run(join(root, "node_modules", ".bin", "esbuild"), [
    ...files,
    "--bundle",
    "--packages=external",
    "--platform=node",
    "--format=esm",
    "--log-level=error",
    `--outdir=${join(outDir, ".imports")}`,
    `--metafile=${meta}`,
  ], root);
  const inputs: Record<string, { imports: { path: string; external?: boolean }[] }> =
    JSON.parse(readFileSync(meta, "utf8")).inputs;
  rmSync(meta);
  rmSync(join(outDir, ".imports"), { recursive: true, force: true });
  const packages = new Set<string>();
  for (const { imports } of Object.values(inputs)) {
    for (const { path, external } of imports) {
      if (external && !path.startsWith("node:") && !/^\.\.?\//.test(path)) {
        packages.add(packageOf(path));
      }
    }
  }
  return packages;
}

/** `hono/utils` → `hono`, `@hono/node-server/x` → `@hono/node-server`. */
function packageOf(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(
      `${cmd.split(sep).pop()} ${args.slice(0, 3).join(" ")}… failed (${r.status ?? r.signal}):\n` +
        `${r.stdout}${r.stderr}`,
    );
  }
}

/**
 * Builds the npm package (and, unless told not to, the test build).
 *
 * @example
 * ```ts ignore
 * import { buildNpm } from "./build_npm.ts";
 *
 * const { outDir } = buildNpm({ outDir: "/tmp/ossup-npm", testBuild: false });
 * ```
 */
export function buildNpm(options: BuildNpmOptions = {}): BuildNpmResult {
  const outDir = resolve(options.outDir ?? join(root, "npm"));
  const log = options.log === false ? () => {} : (s: string) => console.log(s);
  if (root.startsWith(outDir + sep) || outDir === root || outDir === dirname(outDir)) {
    throw new RangeError(`refusing to build into ${outDir}: it would delete the repository`);
  }
  const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
  const dev = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const denoExports: Record<string, string> = typeof deno.exports === "string"
    ? { ".": deno.exports }
    : deno.exports;

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  // 1. Transpile mod.ts and lib/ with declarations. tsc does not type-check
  //    here (`--noCheck`): `deno check` does, with Deno's and Bun's globals.
  const sources = [
    "mod.ts",
    ...walk(join(root, "lib"), (p) => p.endsWith(".ts") && !p.endsWith(".d.ts"))
      .map((p) => toPosix(relative(root, p))),
  ];
  run(join(root, "node_modules", ".bin", "tsc"), [
    ...sources,
    "--outDir",
    outDir,
    "--rootDir",
    root,
    "--declaration",
    "--noCheck",
    "--rewriteRelativeImportExtensions",
    "--allowImportingTsExtensions",
    "--target",
    "es2022",
    "--module",
    "esnext",
    "--moduleResolution",
    "bundler",
    "--skipLibCheck",
    "--newLine",
    "lf",
  ], root);

  // 2. Declarations keep the `.ts` of their imports: point them at `.js` too.
  const emittedFiles = [
    join(outDir, "mod.js"),
    join(outDir, "mod.d.ts"),
    ...walk(join(outDir, "lib"), (p) => p.endsWith(".js") || p.endsWith(".d.ts")),
  ];
  for (const file of emittedFiles.filter((f) => f.endsWith(".d.ts"))) {
    const code = readFileSync(file, "utf8");
    const fixed = rewriteSpecifiers(
      code,
      (s) => /^\.\.?\//.test(s) && s.endsWith(".ts") ? s.slice(0, -3) + ".js" : undefined,
    );
    if (fixed !== code) writeFileSync(file, fixed);
  }
  const bare = importedPackages(emittedFiles.filter((f) => f.endsWith(".js")), outDir);
  const modules = emittedFiles.filter((f) => f.endsWith(".js")).length;

  // 3. The command line: a node shebang on the bin file.
  let bin: Record<string, string> | undefined;
  const cliJs = join(outDir, emitted(CLI_ENTRY, ".js"));
  if (existsSync(join(root, CLI_ENTRY))) {
    const code = readFileSync(cliJs, "utf8").replace(/^#![^\n]*\n/, "");
    writeFileSync(cliJs, `#!/usr/bin/env node\n${code}`);
    chmodSync(cliJs, 0o755);
    bin = { [PACKAGE_NAME]: emitted(CLI_ENTRY, ".js") };
  }

  // 4. package.json.
  const ranges: Record<string, string> = { ...dev.devDependencies, ...dev.dependencies };
  const dependencies: Record<string, string> = {};
  for (const name of [...bare].sort()) {
    if (!ranges[name]) {
      throw new Error(`the emitted code imports "${name}", which package.json does not list`);
    }
    dependencies[name] = ranges[name];
  }
  const exportsMap: Record<string, unknown> = {};
  for (const [subpath, source] of Object.entries(denoExports)) {
    exportsMap[subpath] = subpath === "."
      ? Object.fromEntries(ROOT_CONDITIONS.map(([c, s]) => [c, conditional(s)]))
      : conditional(source);
  }
  exportsMap["./package.json"] = "./package.json";
  const packageJson: Record<string, unknown> = {
    name: PACKAGE_NAME,
    version: deno.version,
    description: "Resumable multipart upload to Alibaba Cloud OSS for Node, Deno, Bun, " +
      "browsers and edge workers, with CRC64 verification and checkpoints.",
    keywords: ["oss", "alibaba-cloud", "aliyun", "upload", "multipart", "resumable", "crc64"],
    license: deno.license ?? "MIT",
    type: "module",
    main: emitted("lib/node.ts", ".js"),
    types: emitted("lib/node.ts", ".d.ts"),
    exports: exportsMap,
    ...(bin ? { bin } : {}),
    files: ["mod.js", "mod.d.ts", "lib/"],
    // Modules only declare things, except the two command lines.
    sideEffects: [emitted(CLI_ENTRY, ".js"), emitted("lib/server/main.ts", ".js")],
    engines: { node: ">=20" },
    dependencies,
  };
  writeFileSync(join(outDir, "package.json"), JSON.stringify(packageJson, null, 2) + "\n");

  // 5. README and LICENSE.
  if (!existsSync(join(root, "LICENSE"))) throw new Error("LICENSE is missing at the root");
  copyFileSync(join(root, "LICENSE"), join(outDir, "LICENSE"));
  if (existsSync(join(root, "README.md"))) {
    copyFileSync(join(root, "README.md"), join(outDir, "README.md"));
  } else {
    writeFileSync(join(outDir, "README.md"), fallbackReadme(deno.version));
  }
  log(
    `built ${relative(process.cwd(), outDir) || "."}: ${modules} modules, ` +
      `dependencies ${Object.keys(dependencies).join(", ") || "none"}` +
      (bin ? `, bin ossup` : ", no bin (lib/cli/main.ts is missing)"),
  );

  const result: BuildNpmResult = { outDir, packageJson, modules };
  if (options.testBuild !== false) {
    result.testsDir = buildTests(outDir, denoExports);
    linkDevLaunchers(outDir, dev.bin ?? {}, bin ?? {});
    log(`built ${relative(process.cwd(), result.testsDir)} (not published)`);
  }
  return result;
}

/**
 * Transpiles `tests/` into `<outDir>/tests/` (see the module doc) and
 * returns that directory.
 */
function buildTests(outDir: string, denoExports: Record<string, string>): string {
  const testsOut = join(outDir, "tests");
  mkdirSync(testsOut, { recursive: true });
  const testsDir = join(root, "tests");
  const tsFiles = walk(testsDir, (p) => p.endsWith(".ts"));
  execFileSync(join(root, "node_modules", ".bin", "esbuild"), [
    ...tsFiles,
    `--outdir=${testsOut}`,
    `--outbase=${testsDir}`,
    "--format=esm",
    "--platform=node",
    "--target=es2022",
    "--log-level=warning",
  ], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  // Modules of the build, as paths from its root ("lib/server/main.js").
  const known = [
    "mod.js",
    ...walk(join(outDir, "lib"), (p) => p.endsWith(".js")).map((p) => toPosix(relative(outDir, p))),
    ...tsFiles.map((p) => toPosix(relative(root, p)).replace(/\.ts$/, ".js")),
  ];
  // Public entries by absolute source path → the package specifier.
  const publicEntry = new Map<string, string>();
  for (const [subpath, source] of Object.entries(denoExports)) {
    publicEntry.set(resolve(root, source), PACKAGE_NAME + subpath.slice(1));
  }
  for (const source of tsFiles) {
    const out = join(testsOut, relative(testsDir, source)).replace(/\.ts$/, ".js");
    let code = rewriteSpecifiers(readFileSync(out, "utf8"), (spec) => {
      if (!/^\.\.?\//.test(spec) || !spec.endsWith(".ts")) return undefined;
      return publicEntry.get(resolve(dirname(source), spec)) ?? spec.slice(0, -3) + ".js";
    });
    // Paths the tests spawn or bundle ("lib/server/main.ts", "_upload_child.ts"),
    // when the build holds that module.
    code = code.replace(/(["'])([\w@./-]+)\.ts\1/g, (all, q: string, path: string) => {
      const name = path.replace(/^(\.\.?\/)+/, "") + ".js";
      return known.some((k) => k === name || k.endsWith("/" + name)) ? `${q}${path}.js${q}` : all;
    });
    writeFileSync(out, code);
  }
  // Other files of tests/ (Go peers) as they are.
  for (const file of walk(testsDir, (p) => !p.endsWith(".ts"))) {
    const to = join(testsOut, relative(testsDir, file));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(file, to);
  }
  // Dev tools the tests run (esbuild, tsx, workerd) and their peers (ali-oss).
  symlinkSync(relative(outDir, join(root, "node_modules")), join(outDir, "node_modules"), "dir");
  return testsOut;
}

/**
 * The dev manifest's bins (checkout launchers such as `bin/ossup.mjs`, which
 * run the TypeScript through tsx) become links to the package's own bins in
 * the build, so tests that spawn a launcher run the compiled command line the
 * way `npx ossup` does (through a link).
 */
function linkDevLaunchers(
  outDir: string,
  devBin: Record<string, string>,
  packageBin: Record<string, string>,
): void {
  for (const [name, launcher] of Object.entries(devBin)) {
    const target = packageBin[name];
    if (!target) continue;
    const link = join(outDir, launcher);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), join(outDir, target)), link, "file");
  }
}

function fallbackReadme(version: string): string {
  return `# ossup ${version}

Resumable multipart upload to Alibaba Cloud OSS for Node, Deno, Bun, browsers
and edge workers: parallel parts, checkpoints that survive a crash, CRC64
verification of every part and of the whole object.

\`\`\`js
import { OssClient } from "ossup";

const client = OssClient.fromEnv(); // OSS_ENDPOINT, OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET
const result = await client.bucket("examplebucket").uploadFile("big.iso", "./big.iso", {
  routines: 4,
  checkpoint: true,
});
console.log(result.crc64);
\`\`\`

Entries: \`ossup\` (picks the runtime's adapters by export condition),
\`ossup/web\`, \`ossup/node\`, \`ossup/deno\`, \`ossup/bun\`, \`ossup/server\`.

License: MIT
`;
}

function parseCli(args: string[]): { outDir?: string; testBuild: boolean; test: boolean } {
  const o = { outDir: undefined as string | undefined, testBuild: true, test: true };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--out") o.outDir = args[++i];
    else if (a.startsWith("--out=")) o.outDir = a.slice(6);
    else if (a === "--no-test-build") o.testBuild = false;
    else if (a === "--no-test") o.test = false;
    else {
      console.error(
        "usage: deno run -A scripts/build_npm.ts [--out DIR] [--no-test-build] [--no-test]",
      );
      process.exit(2);
    }
  }
  if (!o.testBuild) o.test = false;
  return o;
}

if (import.meta.main) {
  const o = parseCli(process.argv.slice(2));
  const started = Date.now();
  try {
    buildNpm({ outDir: o.outDir, testBuild: o.testBuild });
  } catch (err) {
    console.error(`build failed: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
  console.log(`build took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (o.test) {
    // The suite on Node against what was just built.
    const runner = spawnSync(join(root, "node_modules", ".bin", "deno"), [
      "run",
      "-A",
      join(root, "scripts", "run_tests.ts"),
      "--runtime",
      "npm",
      "--no-build",
      ...(o.outDir ? ["--npm-dir", resolve(o.outDir)] : []),
    ], { cwd: root, stdio: "inherit" });
    process.exit(runner.status ?? 1);
  }
}
