/**
 * Headless Chromium (Debian's, driven by playwright-core) in a fresh profile
 * of its own, for the browser tests.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./_peers.ts";

/** A running Chromium and the way to stop it. */
export interface Chromium {
  /** Its one persistent context (the profile: IndexedDB survives reloads). */
  context: BrowserContext;
  /** Closes the browser and deletes the profile. */
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with a new profile directory.
 *
 * @example
 * ```ts
 * const chromium = await launchChromium();
 * const page = chromium.context.pages()[0] ?? await chromium.context.newPage();
 * await chromium.close();
 * ```
 */
export async function launchChromium(): Promise<Chromium> {
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "ossup-chromium-"));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    });
    return {
      context,
      close: async () => {
        await context.close().catch(() => {});
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}
