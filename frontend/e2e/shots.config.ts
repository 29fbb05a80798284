import { defineConfig } from "vitest/config";

// `npm run screenshots`: the README's screenshots (docs/*.png), taken from a
// real server in Debian's chromium, like the end-to-end tests.
export default defineConfig({
  test: {
    include: ["e2e/readme.shots.ts"],
    environment: "node",
    testTimeout: 300_000,
    hookTimeout: 60_000,
    reporters: ["verbose"],
  },
});
