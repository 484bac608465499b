/**
 * Runs the Monitoring component alone under Pulumi's mocks with a stack's validated configuration
 * and returns every resource it registers.
 */
import { parseConfig } from "../../config/load";
import type { PlatformConfig } from "../../config/schema";
import { providerChecked, Stack, stackConfig } from "../helpers/program";

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

export interface MonitoringRun {
  config: PlatformConfig;
  resources: Registered[];
  endpoints: Record<string, { service: string; port: number }>;
  traffic: import("../../components/network/traffic").Traffic;
}

export const GRAFANA_SECRET = { name: "grafana-admin", key: "admin-password" };
export const GRAFANA_PASSWORD = "grafana-password-from-random-Q9x7";

export async function runMonitoring(stack: Stack, override?: (config: Record<string, any>) => void): Promise<MonitoringRun> {
  const raw = stackConfig(stack) as Record<string, any>;
  override?.(raw);
  const config = parseConfig(raw);
  const resources: Registered[] = [];
  let pulumi: typeof import("@pulumi/pulumi") = undefined as never;
  let result: Omit<MonitoringRun, "resources" | "config"> = undefined as never;
  jest.isolateModules(() => {
    pulumi = require("@pulumi/pulumi");
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          const inputs = providerChecked(args.type, args.name, args.inputs);
          resources.push({ type: args.type, name: args.name, inputs });
          return { id: `${args.name}-id`, state: inputs };
        },
        call: (args) => args.inputs,
      },
      "platform",
      stack,
      false,
    );
    const { Monitoring } = require("../../components/monitoring") as typeof import("../../components/monitoring");
    const { monitoringArgs } = require("../../components/platform") as typeof import("../../components/platform");
    const grafanaAdmin = { ref: GRAFANA_SECRET, value: pulumi.secret(GRAFANA_PASSWORD), extra: { "admin-user": config.grafana.adminUser }, checksum: pulumi.output("unused") };
    const m = new Monitoring("monitoring", monitoringArgs(config, config.namespace, grafanaAdmin));
    result = { endpoints: m.endpoints, traffic: m.traffic };
  });
  await pulumi.runtime.disconnect();
  return { config, resources, ...result };
}

export function ofKind(run: MonitoringRun, kind: string): Registered[] {
  return run.resources.filter((r) => r.type === `kubernetes:${kind}`);
}

export function byName(run: MonitoringRun, kind: string, name: string): Registered {
  const found = ofKind(run, kind).find((r) => r.inputs.metadata?.name === name || r.name === name);
  if (!found) throw new Error(`no ${kind} named ${name}`);
  return found;
}
