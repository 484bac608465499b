/** End-to-end tests (npm run test:e2e): the real engine against a local cluster, one file at a time. */
module.exports = {
  rootDir: "../..",
  testEnvironment: "node",
  roots: ["<rootDir>/tests/e2e"],
  testMatch: ["**/*.e2e.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { isolatedModules: true, diagnostics: false }] },
  testTimeout: 900000,
  maxWorkers: 1,
};
