// The partner workspace's integrations page in a real browser: a partner
// administrator adds a webhook endpoint pointing at a receiver this test
// runs, sees the deliveries of an order placed for their account, redelivers
// one, rotates the secret, deletes the endpoint, and creates, uses and
// revokes an integration key. At 390 px, then in Serbian.
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { format } from "../src/i18n/I18n";
import { apiFlowToServices } from "./api";
import { EN, SR, expectHeading, h1, watchForeignRequests } from "./flows";
import {
  failureShots,
  launchBrowser,
  placeOrder,
  screenshots,
  startServer,
  type Browser,
  type Server,
} from "./harness";

const uniq = () => Math.random().toString(36).slice(2, 8);

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1 that answers 200 and keeps what it got. */
async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  close: () => Promise<void>;
}> {
  const received: Received[] = [];
  const srv: HttpServer = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body });
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("ok");
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((r) => srv.close(() => r())),
  };
}

/** Whether one of the v1 entries of Onramp-Signature is the HMAC of "<t>.<body>" with secret. */
function signedWith(header: string, body: string, secret: string): boolean {
  const parts = header.split(",").map((p) => p.split("="));
  const t = parts.find(([k]) => k === "t")?.[1];
  const mac = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
  return parts.some(([k, v]) => k === "v1" && v === mac);
}

async function gqlRaw(server: Server, token: string, query: string) {
  const r = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return (await r.json()) as {
    data?: unknown;
    errors?: { extensions?: { code?: string; reason?: string } }[];
  };
}

/** Landmarks with the same role and name, and whether the page scrolls sideways. */
async function layoutProblems(page: Page) {
  return page.evaluate(() => {
    const seen = new Map<string, number>();
    const name = (el: Element) => {
      const by = el.getAttribute("aria-labelledby");
      if (by)
        return by
          .split(" ")
          .map((id) => document.getElementById(id)?.textContent?.trim() ?? "")
          .join(" ");
      return el.getAttribute("aria-label") ?? "";
    };
    for (const el of Array.from(
      document.querySelectorAll(
        "main, header, nav, [role=region], section[aria-labelledby], section[aria-label]",
      ),
    )) {
      const role =
        el.getAttribute("role") ?? (el.tagName === "SECTION" ? "region" : el.tagName.toLowerCase());
      const key = `${role}:${name(el)}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    const duplicates = [...seen].filter(([, n]) => n > 1).map(([k]) => k);
    const unlabelled = Array.from(document.querySelectorAll("input, select, textarea")).filter(
      (el) =>
        !(el as HTMLInputElement).labels?.length &&
        !el.getAttribute("aria-label") &&
        !el.getAttribute("aria-labelledby"),
    ).length;
    const h1s = document.querySelectorAll("h1").length;
    return {
      duplicates,
      unlabelled,
      h1s,
      overflow: document.documentElement.scrollWidth > window.innerWidth,
    };
  });
}

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

describe("issue 14: the partner's integrations page", () => {
  test("webhook endpoint with deliveries, redeliver, rotate, delete; a key created, used and revoked (390 px, then Serbian)", async () => {
    const shot = screenshots("14-integrations");
    const id = uniq();
    const account = `PI-${id}`;
    const contact = `integrations-${id}@partner.example`;
    // A partner administrator: the first order's setup creates the partner
    // organization with this password.
    await apiFlowToServices(server, { partnerAccount: account, contact, subdomain: `int-${id}` });
    const receiver = await startReceiver();
    try {
      await withBrowser(async ({ context }) => {
        await context.grantPermissions(["clipboard-read", "clipboard-write"], {
          origin: server.url,
        });
        const page = await context.newPage();
        await page.setViewportSize({ width: 390, height: 844 });
        const foreign = watchForeignRequests(page, server.url);

        await page.goto(`${server.url}/signin`);
        await expectHeading(page, EN["signin.title"]);
        await page.getByLabel(EN["signin.email"]).fill(contact);
        await page.getByLabel(EN["signin.password"]).fill("first partner long password");
        await page.getByRole("button", { name: EN["signin.submit"] }).click();
        await expectHeading(page, EN["partner.title"]);
        await page
          .getByRole("navigation", { name: EN["workspace.nav"] })
          .getByRole("link", { name: EN["workspace.integrations"] })
          .click();
        await expectHeading(page, EN["integrations.title"]);
        expect(new URL(page.url()).pathname).toBe("/partner/integrations");
        await page.getByRole("heading", { level: 2, name: EN["webhooks.title"] }).waitFor();
        await page.getByText(EN["webhooks.none"]).waitFor();
        await page.getByText(EN["keys.none"]).waitFor();
        expect(await layoutProblems(page)).toEqual({
          duplicates: [],
          unlabelled: 0,
          h1s: 1,
          overflow: false,
        });
        await shot(page, "empty");

        // Every event is checked by default.
        const form = page.locator("form", {
          has: page.getByRole("heading", { name: EN["webhooks.add"] }),
        });
        const boxes = form.getByRole("checkbox");
        expect(await boxes.count()).toBe(9);
        for (const b of await boxes.all()) expect(await b.isChecked()).toBe(true);

        // The form's own check, then the server's (by code, at the field, translated).
        const url = page.getByLabel(EN["webhooks.url"]);
        await page.getByRole("button", { name: EN["webhooks.submit"] }).click();
        await form.locator(".field-error").getByText(EN["v.required"]).waitFor();
        await expect
          .poll(() => page.evaluate(() => document.activeElement?.id))
          .toBe("endpoint-url");
        await url.fill(`http://user:pw@127.0.0.1:1/hook`);
        await page.getByRole("button", { name: EN["webhooks.submit"] }).click();
        await form.locator(".field-error").getByText(EN["integrations.v.urlServer"]).waitFor();
        expect(await url.getAttribute("aria-invalid")).toBe("true");
        await shot(page, "url-refused");

        await url.fill(`${receiver.url}/hook`);
        await page.getByRole("button", { name: EN["webhooks.submit"] }).click();
        const secretTitle = format(EN["secret.endpointTitle"], { url: `${receiver.url}/hook` });
        await page.getByRole("heading", { name: secretTitle }).waitFor();
        await expect
          .poll(() => page.evaluate(() => document.activeElement?.textContent))
          .toBe(secretTitle);
        await page.getByText(EN["secret.once"]).waitFor();
        const secret = await page.getByLabel(EN["secret.secretLabel"]).inputValue();
        expect(secret.length).toBeGreaterThan(20);
        await page.getByRole("button", { name: EN["secret.copy"] }).click();
        await page.getByText(EN["secret.copied"]).waitFor();
        expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
        await shot(page, "secret");
        await page.getByRole("button", { name: EN["secret.done"] }).click();
        expect(await page.getByText(EN["secret.once"]).count()).toBe(0);

        const card = page.locator("article", {
          has: page.getByRole("heading", { level: 3, name: `${receiver.url}/hook` }),
        });
        await card.getByText(EN["webhooks.active"], { exact: true }).waitFor();
        await card.getByText(EN["webhooks.allEvents"]).waitFor();
        await card.getByText(EN["webhooks.noDeliveries"]).waitFor();

        // An order for this partner account: its events reach the receiver, signed with the secret.
        await placeOrder(server, {
          contact: `second-${id}@partner.example`,
          partnerAccount: account,
        });
        await expect.poll(() => receiver.received.length, { timeout: 20_000 }).toBeGreaterThan(0);
        const first = receiver.received[0];
        expect(first.path).toBe("/hook");
        expect(JSON.parse(first.body).type).toBe("order.placed");
        expect(signedWith(String(first.headers["onramp-signature"]), first.body, secret)).toBe(
          true,
        );

        // The page reads its lists again by itself; the refresh button does it at once.
        const deliveries = card.getByRole("region", {
          name: format(EN["webhooks.deliveriesOf"], { url: `${receiver.url}/hook` }),
        });
        const placedRow = deliveries.getByRole("row").filter({ hasText: "order.placed" });
        await expect
          .poll(
            async () => {
              await page.getByRole("button", { name: EN["integrations.refresh"] }).click();
              return placedRow.count();
            },
            { timeout: 20_000, interval: 1000 },
          )
          .toBe(1);
        expect(await placedRow.innerText()).toContain(EN["webhooks.succeeded"]);
        expect(await placedRow.innerText()).toContain(
          format(EN["webhooks.httpCode"], { code: 200 }),
        );
        await expect
          .poll(() => card.getByText(EN["webhooks.active"], { exact: true }).count())
          .toBe(1);
        expect(await layoutProblems(page)).toMatchObject({
          duplicates: [],
          unlabelled: 0,
          overflow: false,
        });
        await shot(page, "delivered");

        // Redeliver: the same event again.
        const before = receiver.received.filter(
          (r) => r.headers["onramp-event-id"] === first.headers["onramp-event-id"],
        ).length;
        await placedRow.getByRole("button", { name: /^Redeliver order\.placed/ }).click();
        await page
          .getByText(format(EN["webhooks.redelivered"], { event: "order.placed" }))
          .waitFor();
        await expect
          .poll(
            () =>
              receiver.received.filter(
                (r) => r.headers["onramp-event-id"] === first.headers["onramp-event-id"],
              ).length,
            {
              timeout: 20_000,
            },
          )
          .toBe(before + 1);

        // Rotate behind a confirmation: a new secret, shown once; the old one signs beside it.
        await card.getByRole("button", { name: EN["webhooks.rotate"] }).click();
        const rotate = page.getByRole("dialog", { name: EN["webhooks.rotateTitle"] });
        await rotate.waitFor();
        await shot(page, "rotate-dialog");
        await rotate.getByRole("button", { name: EN["webhooks.rotate"] }).click();
        await page
          .getByRole("heading", {
            name: format(EN["secret.rotatedTitle"], { url: `${receiver.url}/hook` }),
          })
          .waitFor();
        const secret2 = await page.getByLabel(EN["secret.secretLabel"]).inputValue();
        expect(secret2).not.toBe(secret);
        await shot(page, "rotated");
        await page.getByRole("button", { name: EN["secret.done"] }).click();

        // Keys: created (the token shown once), used, revoked behind a confirmation.
        await page.getByRole("button", { name: EN["keys.submit"] }).click();
        await page.locator(".field-error").getByText(EN["v.required"]).waitFor();
        await page.getByLabel(EN["keys.name"]).fill("Order system (test)");
        await page.getByRole("button", { name: EN["keys.submit"] }).click();
        await page
          .getByRole("heading", {
            name: format(EN["secret.keyTitle"], { name: "Order system (test)" }),
          })
          .waitFor();
        const token = await page.getByLabel(EN["secret.tokenLabel"]).inputValue();
        await shot(page, "key-token");
        await page.getByRole("button", { name: EN["secret.done"] }).click();
        const keys = page.getByRole("region", { name: EN["keys.list"] });
        const keyRow = keys.getByRole("row").filter({ hasText: "Order system (test)" });
        await keyRow.getByText(EN["keys.never"]).waitFor();
        await keyRow.getByText(EN["keys.active"], { exact: true }).waitFor();

        const used = await gqlRaw(server, token, "{ webhookEndpoints { url } }");
        expect(used.errors).toBeUndefined();
        expect(JSON.stringify(used.data)).toContain(`${receiver.url}/hook`);
        await page.getByRole("button", { name: EN["integrations.refresh"] }).click();
        await expect.poll(() => keyRow.getByText(EN["keys.never"]).count()).toBe(0);

        await keyRow
          .getByRole("button", {
            name: format(EN["keys.revokeLabel"], { name: "Order system (test)" }),
          })
          .click();
        const revoke = page.getByRole("dialog", { name: EN["keys.revokeTitle"] });
        await revoke.waitFor();
        // Cancel first: nothing happens.
        await revoke.getByRole("button", { name: EN["common.cancel"] }).click();
        await keyRow.getByText(EN["keys.active"], { exact: true }).waitFor();
        await keyRow
          .getByRole("button", {
            name: format(EN["keys.revokeLabel"], { name: "Order system (test)" }),
          })
          .click();
        await revoke.getByRole("button", { name: EN["keys.revoke"] }).click();
        await page.getByText(format(EN["keys.revoked"], { name: "Order system (test)" })).waitFor();
        await expect.poll(() => keyRow.innerText()).toContain("Revoked");
        const refused = await gqlRaw(server, token, "{ webhookEndpoints { url } }");
        expect(refused.errors?.[0]?.extensions).toMatchObject({
          code: "UNAUTHENTICATED",
          reason: "REVOKED",
        });
        await shot(page, "key-revoked");

        // Serbian.
        await page.getByRole("button", { name: "Srpski" }).click();
        await h1(page, SR["integrations.title"]).waitFor();
        await page.getByRole("heading", { level: 2, name: SR["webhooks.title"] }).waitFor();
        await page.getByRole("heading", { level: 2, name: SR["keys.title"] }).waitFor();
        const deliveriesSr = card.getByRole("region", {
          name: format(SR["webhooks.deliveriesOf"], { url: `${receiver.url}/hook` }),
        });
        await deliveriesSr
          .getByRole("row")
          .filter({ hasText: "order.placed" })
          .first()
          .getByText(SR["webhooks.succeeded"])
          .waitFor();
        expect(await layoutProblems(page)).toMatchObject({
          duplicates: [],
          unlabelled: 0,
          overflow: false,
        });
        await shot(page, "serbian");

        // Delete behind a confirmation (in Serbian): the list is empty again.
        await card.getByRole("button", { name: SR["webhooks.delete"] }).click();
        const del = page.getByRole("dialog", { name: SR["webhooks.deleteTitle"] });
        await del.waitFor();
        await shot(page, "delete-dialog");
        await del.getByRole("button", { name: SR["webhooks.delete"] }).click();
        await page
          .getByText(format(SR["webhooks.deleted"], { url: `${receiver.url}/hook` }))
          .waitFor();
        await page.getByText(SR["webhooks.none"]).waitFor();
        await expect
          .poll(() => page.evaluate(() => document.activeElement?.id))
          .toBe("webhooks-title");
        await shot(page, "deleted");

        expect(foreign).toEqual([]);
      });
    } finally {
      await receiver.close();
    }
  });
});
