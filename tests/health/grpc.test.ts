import { checkOne, FAST } from "./check-one";
import { GrpcHealthServer, HOST, startGrpcHealth } from "./servers";

let server: GrpcHealthServer;
beforeAll(async () => {
  server = await startGrpcHealth({ "": "SERVING", "refinement.v1.Refinement": "SERVING" });
});
afterAll(() => server?.stop());

const target = (services: string[] = []) => ({ kind: "grpc" as const, name: "refinement-api", host: HOST, port: server.port, services });

test("Health/Check answering SERVING for the server and a named service passes", async () => {
  const r = await checkOne(target(["refinement.v1.Refinement"]));
  expect(r).toMatchObject({ status: "pass", check: "Health/Check SERVING (+1 named)", detail: "SERVING: server, refinement.v1.Refinement" });
});

test("a named service the server does not know fails naming it", async () => {
  const r = await checkOne(target(["learning.v1.Learning"]));
  expect(r.status).toBe("fail");
  expect(r.detail).toBe("service 'learning.v1.Learning': unknown to the health service");
});

test("NOT_SERVING fails, and passes again once the server reports SERVING", async () => {
  server.health.setStatus("", "NOT_SERVING");
  expect((await checkOne(target())).detail).toBe("server is NOT_SERVING, expected SERVING");
  // Turns healthy during the backoff, as a deploy that is still rolling out does.
  setTimeout(() => server.health.setStatus("", "SERVING"), 150);
  const r = await checkOne(target(), { timeoutMs: 1000, retries: 3, backoffMs: 100 });
  expect(r.status).toBe("pass");
  expect(r.attempts).toBeGreaterThan(1);
});

test("a stopped server fails fast, well within the timeout", async () => {
  const port = server.port;
  await server.stop();
  const r = await checkOne({ ...target(), port });
  expect(r.status).toBe("fail");
  expect(r.detail).toMatch(/^server: UNAVAILABLE/);
  expect(r.latencyMs).toBeLessThan(FAST.timeoutMs);
});
