import { stringify } from "yaml";

/** YAML for the tools' config files: no line folding, and no anchors (repeated objects written out). */
export function toYaml(doc: unknown): string {
  return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}
