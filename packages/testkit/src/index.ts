export { CHROMIUM_ARGS, CHROMIUM_PATH } from "./chromium.ts";
export { createTestDatabase, type TestDatabase } from "./database.ts";
export {
  dockerFor,
  removeLabelled,
  runLabelledContainer,
  TEST_LABEL,
  testLabels,
  testRunId,
} from "./docker.ts";
export { execIn, printAsMainProcess } from "./exec.ts";
export { waitFor } from "./wait.ts";
export {
  type ReceivedRequest,
  type ReceiverAnswer,
  startWebhookReceiver,
  type WebhookReceiver,
} from "./webhook-receiver.ts";
