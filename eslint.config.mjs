// Lint: typescript-eslint's recommended rules on everything we write.
import tseslint from "typescript-eslint";

export default tseslint.config({ ignores: ["node_modules/**", "bin/**", "**/*.js", "**/*.mjs"] }, ...tseslint.configs.recommended, {
  rules: {
    // Mock inputs and Kubernetes objects are untyped JSON; tests and tools read them as `any`.
    "@typescript-eslint/no-explicit-any": "off",
    // The program is CommonJS (Pulumi's Node runtime); per-run module isolation needs require().
    "@typescript-eslint/no-require-imports": "off",
    "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
  },
});
