/**
 * The CrossGuard policy pack loaded by `pulumi preview --policy-pack policies`. Constructing the
 * PolicyPack starts serving, so tests import the rules (policies/rules) and lib/pack.ts instead.
 */
import { PolicyPack } from "@pulumi/policy";
import { detectEnvironment } from "./lib/environment";
import { newState, packArgs, setEnvironment } from "./lib/pack";
import { onConfigureStack } from "./lib/policy-sdk-internals";
import { RULES } from "./rules";

// PolicyPack reads the pack's version from package.json in the working directory, and not every
// language host starts the pack in its own directory.
process.chdir(__dirname);

const state = newState(detectEnvironment());
const args = packArgs(RULES, state);

onConfigureStack((stack, config) => {
  const detected = detectEnvironment({ PULUMI_CONFIG: JSON.stringify(config), PULUMI_NODEJS_STACK: stack });
  // Only a positive answer replaces what the process environment said.
  if (!detected.from.startsWith("default")) setEnvironment(args, RULES, state, detected);
});

new PolicyPack("platform-policies", args);
