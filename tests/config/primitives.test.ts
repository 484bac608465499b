/** The typed primitives accept what Kubernetes and the datastores accept, and nothing that would surprise a user. */
import { cpu, cronProblem, hostPort, imageRef, isWeakSecret, memory, registryRepository } from "../../config/primitives";

test.each(["0 * * * *", "*/15 * * * *", "0 3 * * MON-FRI", "30 2 1,15 * *", "0 0 * JAN,JUL SUN", "0 0 * * 7", "@daily", "@hourly", "5-55/10 8-18 * * 1-5"])("cron %s is accepted", (v) => {
  expect(cronProblem(v)).toBeUndefined();
});

test.each([
  ["0 24 * * *", "hour field within 0-23"],
  ["* * 0 * *", "day of month field within 1-31"],
  ["0 0 * * 8", "day of week field within 0-7"],
  ["0 0 * FOO *", "month field within 1-12"],
  ["10-5 * * * *", "minute field within 0-59"],
  ["*/0 * * * *", "minute field"],
  ["0 0 *", "five fields"],
  ["@every 5m", "five fields"],
])("cron %s is refused: %s", (v, why) => expect(cronProblem(v)).toContain(why));

test.each(["Kq7Wz2Lp9Xv4Nm8Rt3Yb", "83920174650298317465", "smtp-relay-Ax9Qz3", "correct-horse-battery-staple"])("%s is not weak", (v) => expect(isWeakSecret(v)).toBe(false));
test.each(["password12345678", "changemechangeme", "Admin!Admin!2024xx", "aaaaaaaaaaaaaaaaaaaa", "12345678901234567890", "qwertyuiopasdfgh", "Redis-Password-2024!"])("%s is weak", (v) =>
  expect(isWeakSecret(v)).toBe(true),
);

test.each([
  ["100m", true],
  ["0.5", true],
  ["2", true],
  ["0", false],
  ["0m", false],
  ["0.0001", false],
  ["1 core", false],
])("cpu %s accepted: %s", (v, ok) => expect(cpu.safeParse(v).success).toBe(ok));
test.each([
  ["128Mi", true],
  ["2Gi", true],
  ["1G", true],
  ["0Gi", false],
  ["512", false],
  ["100Ki", false],
  ["2 GB", false],
])("memory %s accepted: %s", (v, ok) => expect(memory.safeParse(v).success).toBe(ok));
test.each([
  ["smtp.example.com:587", true],
  ["smtp.example.com:65535", true],
  ["smtp.example.com:0", false],
  ["smtp.example.com:65536", false],
  ["smtp.example.com", false],
])("host:port %s accepted: %s", (v, ok) => expect(hostPort("smtp.example.com:587").safeParse(v).success).toBe(ok));

test.each([
  ["localhost:5000/gateway:1.0.0", true],
  ["registry.example.com:65535/team/app:1.2.3", true],
  ["redis:7.4.1-alpine", true],
  ["registry.example.com:65536/team/app:1.2.3", false],
  ["registry.example.com:0/team/app:1.2.3", false],
])("image %s accepted: %s", (v, ok) => expect(imageRef.safeParse(v).success).toBe(ok));
test.each([
  ["localhost:5000/platform/gateway", true],
  ["localhost:99999/platform/gateway", false],
])("repository %s accepted: %s", (v, ok) => expect(registryRepository.safeParse(v).success).toBe(ok));
