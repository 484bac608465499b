/**
 * Start-up of every `pulumi preview` and `pulumi up` (imported first by index.ts) and of the policy
 * pack (policies/index.js), once ts-node is registered: cheap stack traces. What must come before the
 * SDK's runner loads anything is in preload.js, which the language host preloads (`nodeargs`).
 */
import "./source-maps";
