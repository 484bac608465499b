/**
 * End-to-end tests (npm run test:e2e): the real engine against local clusters. kwok/ files each start
 * their own cluster on their own ports and run two at a time; real-node/ files run one at a time
 * after them (one real node per machine).
 */
module.exports = {
  rootDir: "../..",
  testEnvironment: "node",
  roots: ["<rootDir>/tests/e2e"],
  testMatch: ["**/*.e2e.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { isolatedModules: true, diagnostics: false }] },
  testTimeout: 900000,
};
