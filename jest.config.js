/** Type checking is done once by `tsc --noEmit` (see tests/typecheck); jest only transpiles. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { isolatedModules: true, diagnostics: false }] },
  testTimeout: 60000,
  // Most suites wait on real servers, not the CPU: all cores (jest's default leaves one idle).
  maxWorkers: "100%",
};
