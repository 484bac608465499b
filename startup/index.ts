/**
 * Start-up of every `pulumi preview` and `pulumi up` (imported first by index.ts) and of the policy
 * pack (policies/index.js), once ts-node is registered: cheap stack traces. What must come before the
 * SDK loads is in preload.js (Pulumi.yaml's nodeargs preload it; the pack's entry loads it first).
 */
import "./source-maps";
