// ossutil's config file: `~/.ossutilconfig` (INI, `[Credentials]` endpoint, accessKeyID,
// accessKeySecret, stsToken) or `--config-file PATH` is read; the environment wins over it
// and flags over the environment, each value on its own.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanEnv, runOssup } from "./_cli_run.ts";
import { type UploadEnv, uploadEnv } from "./_upload_fixtures.ts";

describe("ossup and ossutil's config file", () => {
  let env: UploadEnv;
  let home: string;
  const config = (secret: string) =>
    "[Credentials]\nlanguage=EN\n" +
    `endpoint = ${env.server.url}\naccessKeyID = ${env.server.accessKeyId}\n` +
    `accessKeySecret = ${secret}\n# a comment\n[Other]\naccessKeySecret=ignored\n`;
  // The local server signs for its region; a region is not among ossutil's [Credentials].
  const ls = (extra: string[], vars: Record<string, string> = {}) =>
    runOssup(["ls", "oss://configured", "--region", env.server.region, ...extra], {
      cwd: env.dir,
      env: cleanEnv({ HOME: home, ...vars }),
    });
  before(async () => {
    env = await uploadEnv("configured");
    await env.bucket.putObject("seen.txt", "x");
    home = join(env.dir, "home");
    await mkdir(home);
  });
  after(() => env.close());

  it("reads ~/.ossutilconfig", async () => {
    await writeFile(join(home, ".ossutilconfig"), config(env.server.accessKeySecret));
    const r = await ls([]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /oss:\/\/configured\/seen\.txt/);
    assert.doesNotMatch(r.stderr, /local server/);
  });

  it("--config-file PATH, and a missing one is a usage error", async () => {
    const path = join(env.dir, "elsewhere.ini");
    await writeFile(path, config(env.server.accessKeySecret));
    await writeFile(join(home, ".ossutilconfig"), config("wrong-secret"));
    const r = await ls(["--config-file", path]);
    assert.equal(r.code, 0, r.stderr);
    const missing = await ls(["--config-file", join(env.dir, "none.ini")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /the config file .*none\.ini cannot be read \(ENOENT\)/);
  });

  it("the environment wins over the file, flags over the environment", async () => {
    await writeFile(join(home, ".ossutilconfig"), config("wrong-secret"));
    assert.equal((await ls([])).code, 3, "the file's wrong secret is used");
    const byEnv = await ls([], { OSS_ACCESS_KEY_SECRET: env.server.accessKeySecret });
    assert.equal(byEnv.code, 0, byEnv.stderr);

    await writeFile(join(home, ".ossutilconfig"), config(env.server.accessKeySecret));
    const envWrong = await ls([], { OSS_ACCESS_KEY_SECRET: "env-wrong" });
    assert.equal(envWrong.code, 3, "the environment's wrong secret wins over the file");
    const byFlag = await ls(["--access-key-secret", env.server.accessKeySecret], {
      OSS_ACCESS_KEY_SECRET: "env-wrong",
    });
    assert.equal(byFlag.code, 0, byFlag.stderr);
    assert.doesNotMatch(byFlag.stderr + envWrong.stderr, /wrong-secret|env-wrong/);
  });
});
