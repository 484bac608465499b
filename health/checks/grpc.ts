/** gRPC: grpc.health.v1.Health/Check must answer SERVING for the server ("") and each named service. */
import { Socket } from "node:net";
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

const HealthClient = grpc.makeClientConstructor(healthService, "grpc.health.v1.Health") as unknown as new (address: string, credentials: grpc.ChannelCredentials) => HealthClient;

/**
 * Plain-text credentials that remember the connections of one check. grpc-js does not close a
 * connection still waiting for the server's HTTP/2 preface when its client closes, so each attempt
 * that times out against a server that accepts and never answers would leave one open.
 */
class TrackedInsecureCredentials extends grpc.ChannelCredentials {
  private readonly sockets = new Set<Socket>();
  private readonly insecure = grpc.credentials.createInsecure();

  compose(): grpc.ChannelCredentials {
    throw new Error("plain-text health checks carry no call credentials");
  }
  _isSecure(): boolean {
    return false;
  }
  _equals(other: grpc.ChannelCredentials): boolean {
    return other === this;
  }
  _createSecureConnector(...args: Parameters<grpc.ChannelCredentials["_createSecureConnector"]>) {
    const connector = this.insecure._createSecureConnector(...args);
    return {
      ...connector,
      connect: (socket: Socket) => {
        this.sockets.add(socket);
        return connector.connect(socket);
      },
    };
  }
  destroyConnections(): void {
    this.sockets.forEach((s) => s.destroy());
  }
}

export const grpcCheck: Check<GrpcTarget> = {
  describe: (t) => `Health/Check SERVING${t.services.length ? ` (+${t.services.length} named)` : ""}`,
  async run(t, ctx) {
    const credentials = new TrackedInsecureCredentials();
    const client = new HealthClient(addressOf(t), credentials);
    const calls: grpc.ClientUnaryCall[] = [];
    const unregister = onAbort(ctx.signal, () => {
      calls.forEach((c) => c.cancel());
      client.close();
    });
    try {
      const deadline = Date.now() + ctx.timeoutMs;
      /** Resolves with what is wrong with one name, or undefined when it is SERVING. */
      const ask = (name: string) =>
        new Promise<string | undefined>((resolve) => {
          calls.push(
            client.Check({ service: name }, { deadline }, (err, res) => {
              if (err) resolve(err.code === grpc.status.NOT_FOUND ? "unknown to the health service" : `${grpc.status[err.code]}: ${err.details}`);
              else resolve(res?.status === "SERVING" ? undefined : `${res?.status ?? "no status"}, expected SERVING`);
            }),
          );
        });
      const names = ["", ...t.services];
      const answers = await Promise.all(names.map(ask));
      // Every failing name is reported; names failing alike (e.g. all UNAVAILABLE) share one entry.
      const failing = new Map<string, string[]>();
      answers.forEach((why, i) => why && failing.set(why, [...(failing.get(why) ?? []), names[i] === "" ? "server" : `service '${names[i]}'`]));
      if (failing.size) throw new CheckFailure([...failing].map(([why, labels]) => `${labels.join(", ")}: ${why}`).join("; "));
      return t.services.length ? `SERVING: server, ${t.services.join(", ")}` : "SERVING";
    } finally {
      unregister();
      client.close();
      credentials.destroyConnections();
    }
  },
};
