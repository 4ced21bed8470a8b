/**
 * Many waits on one signal through one listener.
 *
 * A transfer hands its signal to every request and wait it starts; with "auto" that is up to 32
 * at once, and Node warns (`MaxListenersExceededWarning`) past 10 listeners on one signal.
 * Here the signal gets one listener, whatever the number of waits.
 *
 * @module
 */

const waiting = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `callback` once when `signal` aborts, unless the returned function was called first.
 * Every callback on one signal shares one `abort` listener, removed when none is left.
 *
 * @param signal The signal to watch (not yet aborted: check `aborted` first).
 * @param callback What to do on its abort.
 * @returns A function that stops watching; safe to call twice.
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let callbacks = waiting.get(signal);
  if (callbacks === undefined) {
    const set = new Set<() => void>();
    callbacks = set;
    waiting.set(signal, set);
    const fire = () => {
      waiting.delete(signal);
      for (const call of [...set]) call();
      set.clear();
    };
    listeners.set(set, fire);
    signal.addEventListener("abort", fire, { once: true });
  }
  const set = callbacks;
  set.add(callback);
  return () => {
    if (!set.delete(callback) || set.size > 0) return;
    // The last wait is done: the signal keeps no listener of ours.
    const fire = listeners.get(set);
    listeners.delete(set);
    if (waiting.get(signal) === set) waiting.delete(signal);
    if (fire !== undefined) signal.removeEventListener("abort", fire);
  };
}

const listeners = new WeakMap<Set<() => void>, () => void>();
