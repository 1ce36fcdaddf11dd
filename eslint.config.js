// Lint rules for every package, the examples and the benchmarks.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "bench/results/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      globals: {
        console: "readonly", process: "readonly", setTimeout: "readonly", clearTimeout: "readonly",
        setImmediate: "readonly", clearImmediate: "readonly", performance: "readonly", AbortController: "readonly",
        AbortSignal: "readonly", URL: "readonly", structuredClone: "readonly", queueMicrotask: "readonly",
        setInterval: "readonly", clearInterval: "readonly", NodeJS: "readonly", Buffer: "readonly", global: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/naming-convention": [
        "error",
        { selector: "typeLike", format: ["PascalCase"] },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "ExportAllDeclaration", message: "Name every export; no export * barrels." },
        { selector: ":matches(PropertyDefinition, MethodDefinition)[accessibility='private']", message: "Use #private fields and methods for private state." },
      ],
    },
  },
  {
    // Modules stay small enough to read in one sitting (import cycles: scripts/check-cycles.mjs).
    files: ["packages/*/src/**"],
    rules: { "max-lines": ["error", { max: 400, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ["**/test/**", "examples/**"],
    rules: { "@typescript-eslint/no-non-null-assertion": "off" },
  },
);
