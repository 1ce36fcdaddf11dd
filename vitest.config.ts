import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: [{ find: /^runcue$/, replacement: fileURLToPath(new URL("./packages/runcue/src/index.ts", import.meta.url)) }],
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
