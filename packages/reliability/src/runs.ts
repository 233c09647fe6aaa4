/**
 * How many generated cases each property runs: a small seeded sample in the normal test run,
 * thousands in the dedicated run (`pnpm --filter @dockflow/reliability fuzz`, FUZZ_RUNS=3000).
 */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 60);

/** Fixed seed for the normal run so failures reproduce; FUZZ_SEED overrides it. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261122);
