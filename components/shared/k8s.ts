/**
 * The Kubernetes API groups the platform uses, each from its own module of @pulumi/kubernetes. The
 * package's root module also loads Helm, Kustomize, YAML and every other API group, about 0.1 s of
 * every preview and up; the components import `k8s` from here instead.
 */
export * as apps from "@pulumi/kubernetes/apps";
export * as autoscaling from "@pulumi/kubernetes/autoscaling";
export * as batch from "@pulumi/kubernetes/batch";
export * as core from "@pulumi/kubernetes/core";
export * as networking from "@pulumi/kubernetes/networking";
export * as policy from "@pulumi/kubernetes/policy";
export * as rbac from "@pulumi/kubernetes/rbac";
export type { types } from "@pulumi/kubernetes";
