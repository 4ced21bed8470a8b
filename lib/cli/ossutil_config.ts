/**
 * ossutil's configuration file (`~/.ossutilconfig`, written by `ossutil config`): an INI file
 * whose `[Credentials]` section holds `endpoint`, `accessKeyID`, `accessKeySecret` and
 * `stsToken`. ossup reads it so ossutil users' setup works as it is; flags and `OSS_*`
 * variables win over it.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "./cli_error.ts";

/** What `[Credentials]` of an ossutil config file gives (fields it lacks are absent). */
export interface OssutilConfig {
  /** Where the values were read from, for messages. */
  path: string;
  /** `endpoint`. */
  endpoint?: string;
  /** `accessKeyID`. */
  accessKeyId?: string;
  /** `accessKeySecret`. */
  accessKeySecret?: string;
  /** `stsToken`. */
  stsToken?: string;
}

/** The file's keys (lower-cased: ossutil's own parser ignores case) and our names for them. */
const KEYS: Record<string, keyof Omit<OssutilConfig, "path">> = {
  endpoint: "endpoint",
  accesskeyid: "accessKeyId",
  accesskeysecret: "accessKeySecret",
  ststoken: "stsToken",
};

/**
 * Reads `[Credentials]` of an INI text: `key = value` lines, `#` and `;` comments.
 *
 * @param text The file's text.
 * @param path Its path, for the result.
 * @returns The values found.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseOssutilConfig } from "./ossutil_config.ts";
 *
 * const config = parseOssutilConfig(
 *   "[Credentials]\nlanguage=EN\nendpoint=oss-cn-hangzhou.aliyuncs.com\naccessKeyID=id\n",
 *   "~/.ossutilconfig",
 * );
 * assert.equal(config.endpoint, "oss-cn-hangzhou.aliyuncs.com");
 * assert.equal(config.accessKeyId, "id");
 * ```
 */
export function parseOssutilConfig(text: string, path: string): OssutilConfig {
  const config: OssutilConfig = { path };
  let section = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.*)\]$/.exec(line);
    if (header) {
      section = header[1].trim().toLowerCase();
      continue;
    }
    const eq = line.indexOf("=");
    if (section !== "credentials" || eq < 0) continue;
    const name = KEYS[line.slice(0, eq).trim().toLowerCase()];
    const value = line.slice(eq + 1).trim();
    if (name !== undefined && value !== "") config[name] = value;
  }
  return config;
}

/**
 * Reads the config file: `--config-file PATH` (which must exist), else `~/.ossutilconfig`
 * when there is one.
 *
 * @param path `--config-file`, if given.
 * @param env The environment (`HOME`, or `USERPROFILE` on Windows).
 * @returns The values, or `undefined` when no file is given and the default is absent.
 * @throws {UsageError} When the file given cannot be read.
 */
export async function readOssutilConfig(
  path: string | undefined,
  env: Record<string, string | undefined>,
): Promise<OssutilConfig | undefined> {
  const home = env.HOME || env.USERPROFILE;
  const file = path ?? (home ? join(home, ".ossutilconfig") : undefined);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if (path === undefined && (err as { code?: string }).code === "ENOENT") return undefined;
    throw new UsageError(
      `the config file ${file} cannot be read (${(err as { code?: string }).code ?? err}); ` +
        "check the path (--config-file)",
    );
  }
  return parseOssutilConfig(text, file);
}
