/**
 * Entry point of `pulumi up` / `pulumi preview`: validate the whole stack configuration first (a bad
 * value stops here, before any resource is registered), then build the platform.
 */
// First: the start-up cuts (cheap stack traces, SDK parts loaded on first use), before any SDK loads.
import "./startup";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config/load";
import { Platform } from "./components/platform";

const config = loadConfig();
const platform = new Platform("platform", { config });

export const environment = config.environment;
export const namespace = platform.namespace;
export const gatewayUrl = platform.gatewayUrl;
export const serviceAddresses = platform.serviceAddresses;
export const images = platform.images;
export const grafana = { adminUser: config.grafana.adminUser, adminPassword: pulumi.secret(platform.grafanaAdminPassword), ...platform.monitoring.endpoints.grafana };
export const prometheus = platform.monitoring.endpoints.prometheus;
export const health = platform.health;
