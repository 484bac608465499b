/**
 * Start-up of every `pulumi preview` and `pulumi up` (imported first by index.ts) and of the policy
 * pack (policies/index.js): what the SDKs do at load that this program does not need, made cheaper.
 */
import "./source-maps";
import "./lazy-arborist";
