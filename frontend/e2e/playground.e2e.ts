import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  failureShots,
  launchBrowser,
  screenshots,
  startServer,
  type Browser,
  type Server,
} from "./harness";
import { watchForeignRequests } from "./flows";

let server: Server;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

async function withBrowser(fn: (b: Browser) => Promise<void>) {
  const b = await launchBrowser();
  try {
    await fn(b);
  } catch (e) {
    await failureShots(b, expect.getState().currentTestName ?? "test");
    throw e;
  } finally {
    await b.close();
  }
}

describe("the operators' GraphQL IDE", () => {
  test("loads the schema on first open, with no token: the docs explorer finds placeOrder", async () => {
    const shot = screenshots("8-playground-docs");
    await withBrowser(async ({ context }) => {
      const page = await context.newPage();
      const foreign = watchForeignRequests(page, server.url);
      const answers: string[] = [];
      page.on("response", async (r) => {
        if (r.url().endsWith("/graphql") && r.request().method() === "POST")
          answers.push(await r.text());
      });
      await page.goto(`${server.url}/playground`);
      await page.locator(".graphiql-container").waitFor({ timeout: 20_000 });
      await page.getByRole("button", { name: /show documentation explorer/i }).click();
      const docs = page.locator(".graphiql-doc-explorer");
      await docs.getByRole("link", { name: "Mutation" }).click({ timeout: 20_000 });
      await docs.getByRole("link", { name: "placeOrder" }).first().waitFor({ timeout: 10_000 });
      await shot(page, "docs");
      // The introspection query was answered, not refused by the depth limit.
      expect(answers.some((a) => a.includes('"__schema"'))).toBe(true);
      expect(answers.join("\n")).not.toContain("DEPTH_LIMIT_EXCEEDED");
      expect(await page.locator(".graphiql-doc-explorer").innerText()).not.toMatch(
        /error fetching schema/i,
      );
      expect(foreign).toEqual([]);
    });
  });
});
