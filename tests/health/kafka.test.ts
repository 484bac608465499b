import { Kafka, logLevel } from "kafkajs";
import { checkOne, FAST } from "./check-one";
import { HOST, Running, startKafka } from "../../scripts/servers/run";

let kafka: Running;
beforeAll(async () => {
  kafka = await startKafka();
  const admin = new Kafka({ brokers: [`${HOST}:${kafka.port}`], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: "positions", numPartitions: 6, replicationFactor: 1 },
      { topic: "refined", numPartitions: 3, replicationFactor: 1 },
    ],
  });
  await admin.disconnect();
}, 90_000);
afterAll(() => kafka?.stop());

const TOPICS = [
  { name: "positions", partitions: 6 },
  { name: "refined", partitions: 3 },
];
const target = (over: { brokers?: number; topics?: typeof TOPICS } = {}) => ({
  kind: "kafka" as const,
  name: "kafka",
  host: HOST,
  port: kafka.port,
  brokers: 1,
  topics: TOPICS,
  ...over,
});

test("broker metadata with the expected broker count and topics passes", async () => {
  const r = await checkOne(target());
  expect(r).toMatchObject({ status: "pass", check: "metadata, 1 broker, 2 topics", detail: "1 broker, topics positions/6, refined/3" });
});

test("a missing topic fails naming it, and is not created by the check", async () => {
  const r = await checkOne(target({ topics: [...TOPICS, { name: "trips", partitions: 2 }] }));
  expect(r.status).toBe("fail");
  expect(r.detail).toBe("topic trips is missing");
  const again = await checkOne(target({ topics: [{ name: "trips", partitions: 2 }] }));
  expect(again.detail).toBe("topic trips is missing");
});

test("a topic with other partition counts fails naming both numbers", async () => {
  const r = await checkOne(target({ topics: [{ name: "positions", partitions: 12 }] }));
  expect(r.detail).toBe("topic positions has 6 partitions, expected 12");
});

test("fewer brokers than expected fails", async () => {
  const r = await checkOne(target({ brokers: 3 }));
  expect(r.detail).toBe("1 broker in the cluster metadata, expected 3");
});

test("a stopped broker fails fast, well within the timeout", async () => {
  const port = kafka.port;
  await kafka.stop();
  const r = await checkOne({ ...target(), port });
  expect(r.status).toBe("fail");
  expect(r.detail).toMatch(/ECONNREFUSED|Connection error/);
  expect(r.latencyMs).toBeLessThan(FAST.timeoutMs);
});
