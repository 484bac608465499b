/** Type checking is done once by `tsc --noEmit` (see tests/typecheck); jest only transpiles. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { isolatedModules: true, diagnostics: false }] },
  testTimeout: 60000,
};
