/** What a component contributes to the post-deploy gate and `npm run verify`: one check, named, with its target. */
import type * as pulumi from "@pulumi/pulumi";
import type { InClusterTarget } from "../../health";

export interface HealthCheck {
  /** The check's name in the gate's list, e.g. `redis` or `grpc:gateway`. */
  check: string;
  /** Where the check connects and what it expects; credentials resolve only at deploy time. */
  target: pulumi.Input<InClusterTarget>;
}
