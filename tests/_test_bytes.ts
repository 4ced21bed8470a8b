// The tests' deterministic bytes live with the contract suites that use them too.
export { testBytes } from "../lib/testing/_test_bytes.ts";
