import { checkOne, FAST } from "./check-one";
import { GrpcHealthServer, HOST, startGrpcHealth } from "../../scripts/servers/run";

let server: GrpcHealthServer;
beforeAll(async () => {
  server = await startGrpcHealth({ "": "SERVING", "refinement.v1.Refinement": "SERVING", "learning.v1.Learning": "NOT_SERVING", "storage.v1.Storage": "NOT_SERVING" });
});
afterAll(() => server?.stop());

const target = (services: string[] = []) => ({ kind: "grpc" as const, name: "refinement-api", host: HOST, port: server.port, services });

test("Health/Check answering SERVING for the server and a named service passes", async () => {
  const r = await checkOne(target(["refinement.v1.Refinement"]));
  expect(r).toMatchObject({ status: "pass", check: "Health/Check SERVING (+1 named)", detail: "SERVING: server, refinement.v1.Refinement" });
});

test("a named service the server does not know fails naming it", async () => {
  const r = await checkOne(target(["billing.v1.Billing"]));
  expect(r.status).toBe("fail");
  expect(r.detail).toBe("service 'billing.v1.Billing': unknown to the health service");
});

test("every failing named service is reported, not only the first", async () => {
  const r = await checkOne(target(["learning.v1.Learning", "refinement.v1.Refinement", "billing.v1.Billing", "storage.v1.Storage"]));
  expect(r.status).toBe("fail");
  expect(r.detail).toBe("service 'learning.v1.Learning', service 'storage.v1.Storage': NOT_SERVING, expected SERVING; service 'billing.v1.Billing': unknown to the health service");
});

test("the server and a named service failing differently are both reported", async () => {
  server.health.setStatus("", "NOT_SERVING");
  try {
    const r = await checkOne(target(["billing.v1.Billing"]));
    expect(r.detail).toBe("server: NOT_SERVING, expected SERVING; service 'billing.v1.Billing': unknown to the health service");
  } finally {
    server.health.setStatus("", "SERVING");
  }
});

test("NOT_SERVING fails, and passes again once the server reports SERVING", async () => {
  server.health.setStatus("", "NOT_SERVING");
  expect((await checkOne(target())).detail).toBe("server: NOT_SERVING, expected SERVING");
  // Turns healthy during the backoff, as a deploy that is still rolling out does.
  setTimeout(() => server.health.setStatus("", "SERVING"), 150);
  const r = await checkOne(target(), { timeoutMs: 1000, retries: 3, backoffMs: 100 });
  expect(r.status).toBe("pass");
  expect(r.attempts).toBeGreaterThan(1);
});

test("a stopped server fails fast, well within the timeout", async () => {
  const port = server.port;
  await server.stop();
  const r = await checkOne({ ...target(["refinement.v1.Refinement"]), port });
  expect(r.status).toBe("fail");
  // The same transport error for every name is said once.
  expect(r.detail).toMatch(/^server, service 'refinement.v1.Refinement': UNAVAILABLE: [^;]*$/);
  expect(r.latencyMs).toBeLessThan(FAST.timeoutMs);
});
