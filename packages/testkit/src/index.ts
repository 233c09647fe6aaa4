export { createTestDatabase, type TestDatabase } from "./database.ts";
export { dockerFor, removeLabelled, TEST_LABEL, testLabels, testRunId } from "./docker.ts";
export { waitFor } from "./wait.ts";
