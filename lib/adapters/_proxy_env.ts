/**
 * Whether the environment names an HTTP proxy, which Deno's and Bun's own
 * `fetch` honour and their faster transports here do not.
 *
 * @module
 */

const PROXY_VARIABLES = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"];

/**
 * True when one of `HTTP_PROXY`, `HTTPS_PROXY` or `ALL_PROXY` (either case)
 * is set and not empty. A getter that throws (no permission to read the
 * environment, under which the runtime's `fetch` cannot read it either)
 * counts as none set.
 */
export function proxyConfigured(get: (name: string) => string | undefined): boolean {
  try {
    return PROXY_VARIABLES.some((name) => Boolean(get(name) || get(name.toLowerCase())));
  } catch {
    return false;
  }
}
