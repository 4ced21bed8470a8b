// onAbort: many waits on one signal through one `abort` listener (Node warns past 10 on one
// signal), each called once on the abort unless it stopped watching; the listener goes when the
// last wait does. And a transfer with 32 parts at once leaves Node no warning to print.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { join } from "node:path";
import process from "node:process";
import { onAbort } from "../lib/_abort_listeners.ts";
import { uploadEnv, writeTestFile } from "./_upload_fixtures.ts";

/** A signal whose listeners are counted. */
function countedSignal() {
  const controller = new AbortController();
  const signal = controller.signal;
  let listeners = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((type: string, fn: EventListener, opts?: AddEventListenerOptions) => {
    listeners++;
    add(type, fn, opts);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((type: string, fn: EventListener) => {
    listeners--;
    remove(type, fn);
  }) as typeof signal.removeEventListener;
  return { controller, signal, listeners: () => listeners };
}

describe("onAbort", () => {
  it("watches with one listener however many wait, and calls each once", () => {
    const { controller, signal, listeners } = countedSignal();
    const called: number[] = [];
    const stops = Array.from({ length: 40 }, (_, i) => onAbort(signal, () => called.push(i)));
    assert.equal(listeners(), 1);
    stops[3]();
    stops[3](); // twice is fine
    controller.abort();
    assert.equal(called.length, 39);
    assert.ok(!called.includes(3));
    controller.abort();
    assert.equal(called.length, 39);
  });

  it("removes its listener when the last wait stops, and adds one for the next", () => {
    const { controller, signal, listeners } = countedSignal();
    const a = onAbort(signal, () => {});
    const b = onAbort(signal, () => {});
    a();
    assert.equal(listeners(), 1);
    b();
    assert.equal(listeners(), 0);
    let fired = false;
    onAbort(signal, () => fired = true);
    assert.equal(listeners(), 1);
    controller.abort();
    assert.equal(fired, true);
  });
});

describe("a transfer with many parts at once", () => {
  it("leaves no MaxListenersExceededWarning (32 routines, one signal)", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    const env = await uploadEnv("many-listeners");
    try {
      const { path } = await writeTestFile(env.dir, "many.bin", 64 * 100 * 1024);
      const controller = new AbortController();
      const result = await env.bucket.uploadFile("many.bin", path, {
        partSize: 100 * 1024,
        routines: 32,
        signal: controller.signal,
      });
      assert.equal(result.parts, 64);
      const back = await env.bucket.downloadFile("many.bin", join(env.dir, "back.bin"), {
        partSize: 100 * 1024,
        routines: 32,
        signal: controller.signal,
      });
      assert.equal(back.crc64Verified, true);
      // Node emits a warning on the next tick after the listener that passed the limit.
      await new Promise((resolve) => process.nextTick(resolve));
      assert.deepEqual(warnings.filter((name) => name === "MaxListenersExceededWarning"), []);
    } finally {
      process.off("warning", onWarning);
      await env.close();
    }
  });
});
