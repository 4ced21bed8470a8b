// Shared with the published transport contract.
export {
  type CountingServer,
  type EarlyOutcome,
  socketBufferBound,
  startCountingServer,
} from "../lib/testing/_counting_server.ts";
