// Shared StrykerJS settings for every package's stryker.config.mjs (run by `pnpm mutate`, by hand,
// never in CI's default run). Each package names the modules it mutates; the tests that run are
// vitest's `related` tests of those modules found under `testDir` (unit tests beside the modules,
// never the end-to-end suites that need Docker or PostgreSQL).
// The plugins are workspace-root dev dependencies; a package's own node_modules does not list them.
const plugin = (name) => import.meta.resolve(name);

export function strykerConfig({ mutate, testDir }) {
  return {
    packageManager: "pnpm",
    plugins: [
      plugin("@stryker-mutator/vitest-runner"),
      plugin("@stryker-mutator/typescript-checker"),
    ],
    testRunner: "vitest",
    vitest: { configFile: "vitest.config.ts", dir: testDir, related: true },
    checkers: ["typescript"],
    tsconfigFile: "tsconfig.json",
    typescriptChecker: { prioritizePerformanceOverAccuracy: true },
    coverageAnalysis: "perTest",
    // The machine's two cores are shared: one test runner and one checker at a time by default.
    concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 1),
    mutate,
    ignoreStatic: true,
    reporters: ["clear-text", "progress", "html", "json"],
    htmlReporter: { fileName: "reports/mutation/index.html" },
    jsonReporter: { fileName: "reports/mutation/mutation.json" },
    thresholds: { high: 90, low: 80, break: null },
    tempDirName: ".stryker-tmp",
    cleanTempDir: "always",
  };
}
