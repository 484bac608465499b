/** gRPC: grpc.health.v1.Health/Check must answer SERVING for the server ("") and each named service. */
import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { addressOf, ParsedTarget } from "../targets";
import { Check, onAbort } from "./check";
import { CheckFailure } from "./failure";

type GrpcTarget = Extract<ParsedTarget, { kind: "grpc" }>;
interface HealthCheckResponse {
  status: string;
}
type HealthClient = grpc.Client & {
  Check(req: { service: string }, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: HealthCheckResponse) => void): grpc.ClientUnaryCall;
};

const HealthClient = grpc.makeClientConstructor(healthService, "grpc.health.v1.Health") as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => HealthClient;

export const grpcCheck: Check<GrpcTarget> = {
  describe: (t) => `Health/Check SERVING${t.services.length ? ` (+${t.services.length} named)` : ""}`,
  async run(t, ctx) {
    const client = new HealthClient(addressOf(t), grpc.credentials.createInsecure());
    const calls: grpc.ClientUnaryCall[] = [];
    const unregister = onAbort(ctx.signal, () => {
      calls.forEach((c) => c.cancel());
      client.close();
    });
    try {
      const deadline = Date.now() + ctx.timeoutMs;
      const ask = (name: string) =>
        new Promise<void>((resolve, reject) => {
          const label = name === "" ? "server" : `service '${name}'`;
          calls.push(
            client.Check({ service: name }, { deadline }, (err, res) => {
              if (err) {
                const why = err.code === grpc.status.NOT_FOUND ? "unknown to the health service" : `${grpc.status[err.code]}: ${err.details}`;
                reject(new CheckFailure(`${label}: ${why}`));
              } else if (res?.status !== "SERVING") {
                reject(new CheckFailure(`${label} is ${res?.status ?? "without status"}, expected SERVING`));
              } else resolve();
            }),
          );
        });
      await Promise.all(["", ...t.services].map(ask));
      return t.services.length ? `SERVING: server, ${t.services.join(", ")}` : "SERVING";
    } finally {
      unregister();
      client.close();
    }
  },
};
