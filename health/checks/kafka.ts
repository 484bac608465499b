/** Kafka: cluster metadata must list the expected number of brokers and each topic with its partitions. */
import { connect } from "node:net";
import { Kafka, logLevel } from "kafkajs";
import { addressOf, ParsedTarget } from "../targets";
import { Check, onAbort, plural } from "./check";
import { CheckFailure } from "./failure";

type KafkaTarget = Extract<ParsedTarget, { kind: "kafka" }>;

export const kafkaCheck: Check<KafkaTarget> = {
  describe: (t) => ["metadata", t.brokers !== undefined ? plural(t.brokers, "broker") : undefined, t.topics.length ? plural(t.topics.length, "topic") : undefined].filter(Boolean).join(", "),
  async run(t, ctx) {
    const kafka = new Kafka({
      clientId: "platform-health",
      brokers: [addressOf(t)],
      connectionTimeout: ctx.timeoutMs,
      requestTimeout: ctx.timeoutMs,
      retry: { retries: 0 }, // the runner owns retries
      logLevel: logLevel.NOTHING,
      // Only metadata is asked for, which any broker answers, so every connection goes to the given
      // address: through a single port-forward the brokers' advertised in-cluster names do not resolve.
      socketFactory: ({ onConnect }) => connect({ host: t.host, port: t.port }, onConnect),
    });
    const admin = kafka.admin();
    const unregister = onAbort(ctx.signal, () => void admin.disconnect().catch(() => undefined));
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      const problems: string[] = [];
      if (t.brokers !== undefined && cluster.brokers.length !== t.brokers) {
        problems.push(`${plural(cluster.brokers.length, "broker")} in the cluster metadata, expected ${t.brokers}`);
      }
      if (t.topics.length) {
        // All topics in one request; asking for named ones could auto-create them on some brokers.
        const { topics } = await admin.fetchTopicMetadata();
        const partitions = new Map(topics.map((topic) => [topic.name, topic.partitions.length]));
        for (const want of t.topics) {
          const have = partitions.get(want.name);
          if (have === undefined) problems.push(`topic ${want.name} is missing`);
          else if (have !== want.partitions) problems.push(`topic ${want.name} has ${plural(have, "partition")}, expected ${want.partitions}`);
        }
      }
      if (problems.length) throw new CheckFailure(problems.join("; "));
      const topicsText = t.topics.map((x) => `${x.name}/${x.partitions}`).join(", ");
      return `${plural(cluster.brokers.length, "broker")}${topicsText ? `, topics ${topicsText}` : ""}`;
    } finally {
      unregister();
      await admin.disconnect().catch(() => undefined);
    }
  },
};
