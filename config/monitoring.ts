/** Configuration of the monitoring stack (Prometheus, Grafana and what the monitoring components add). */
import { z } from "zod";
import { imageRef, resources, storage } from "./primitives";

export const monitoringConfigShape = {
    prometheus: z
      .object({
        image: imageRef,
        storage,
        resources,
        retention: z.string().regex(/^[0-9]+(h|d|w|y)$/, "a Prometheus retention such as 15d or 12h"),
        scrapeInterval: z.string().regex(/^[0-9]+(s|m)$/, "a Prometheus interval such as 15s or 1m").default("30s"),
      })
      .strict(),
    grafana: z.object({ image: imageRef, resources, adminUser: z.string().min(1).refine((u) => u !== "admin", "an admin user name other than the default 'admin'").default("platform-admin") }).strict(),
};
