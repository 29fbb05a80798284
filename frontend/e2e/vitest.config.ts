import { defineConfig } from "vitest/config";

// End-to-end tests: a real server and a real browser. Two files at a time:
// each file starts its own server and chromium, and a test spends most of
// its time waiting on them, so two overlap on two cores.
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    environment: "node",
    testTimeout: 180_000,
    hookTimeout: 60_000,
    fileParallelism: true,
    maxWorkers: 2,
    sequence: { concurrent: false },
    reporters: ["verbose"],
  },
});
