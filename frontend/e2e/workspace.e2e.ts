// Issue 13 in a real browser: the customer administrator's access page
// (approve, withdraw, deny), the password reset from "Forgot password?" to
// signed in (the old session refused), and the partner workspace (orders
// listed, searched and filtered; an order's page with the customer's consent
// and its actions; Continue setup into the wizard at the order's step;
// change password; sign out). English at desktop size and Serbian at 390 px,
// with axe on every page.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { format } from "../src/i18n/I18n";
import { apiFlowToConfirmed, gql } from "./api";
import { expectNoAxeViolations } from "./axe";
import { EN, SR, expectHeading, watchForeignRequests, type Dict } from "./flows";
import {
  failureShots,
  launchBrowser,
  mailedLink,
  mailedLinkTo,
  placeOrder,
  screenshots,
  startServer,
  type Browser,
  type Server,
} from "./harness";

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

const uniq = () => Math.random().toString(36).slice(2, 8);

const variants = [
  { name: "English, desktop", L: EN, lang: "en" as const, width: 1280, height: 860 },
  { name: "Serbian, 390 px", L: SR, lang: "sr" as const, width: 390, height: 844 },
];

/** A page in the variant's size and language (the header's choice, remembered). */
async function openPage(context: BrowserContext, v: (typeof variants)[number]) {
  await context.addInitScript((lang: string) => localStorage.setItem("onramp.lang", lang), v.lang);
  const page = await context.newPage();
  await page.setViewportSize({ width: v.width, height: v.height });
  return page;
}

/** Whether the page scrolls sideways (nothing may be cut off at 390 px). */
const overflows = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);

async function check(page: Page, shot: (p: Page, n: string) => Promise<void>, where: string) {
  await shot(page, where);
  expect(await overflows(page), `${where} scrolls sideways`).toBe(false);
  await expectNoAxeViolations(page, where);
}

async function signIn(page: Page, L: Dict, email: string, password: string) {
  await page.goto(`${server.url}/signin`);
  await expectHeading(page, L["signin.title"]);
  await page.getByLabel(L["signin.email"]).fill(email);
  await page.getByLabel(L["signin.password"], { exact: true }).fill(password);
  await page.getByRole("button", { name: L["signin.submit"] }).click();
  await expectHeading(page, L["partner.title"]);
}

/** A customer organization created by one partner, and a second partner whose order maps to it (access pending). */
async function sharedCustomer(id: string) {
  const admin = `admin-${id}@shared-customer.example`;
  await apiFlowToConfirmed(server, {
    partnerAccount: `PA-${id}`,
    partnerName: `First Partner ${id}`,
    contact: `first-${id}@partner-a.example`,
    adminEmail: admin,
    customerName: `Shared Customer ${id}`,
  });
  return admin;
}

describe.each(variants)("issue 13, $name", (v) => {
  const { L, lang } = v;

  test("the access page: approve, then withdraw from the confirmation; another request denied; used links refused", async () => {
    const shot = screenshots(`13-access-${lang}`);
    const id = uniq();
    const admin = await sharedCustomer(id);
    const partnerB = `Second Partner ${id}`;
    const b = await apiFlowToConfirmed(server, {
      partnerAccount: `PB-${id}`,
      partnerName: partnerB,
      contact: `second-${id}@partner-b.example`,
      adminEmail: admin,
      customerName: `Shared Customer ${id}`,
    });
    expect(b.orderId).toBeTruthy();
    const request = await mailedLinkTo(server, admin, "/access");

    await withBrowser(async ({ context }) => {
      const page = await openPage(context, v);
      const foreign = watchForeignRequests(page, server.url);
      await page.goto(request);
      await expectHeading(page, format(L["access.title"], { partner: partnerB }));
      expect(page.url()).not.toContain("token=");
      await page.getByTestId("access-state").getByText(L["access.state.PENDING"]).waitFor();
      await page.getByText(L["access.meaning.without"]).waitFor();
      await check(page, shot, "request");
      await page.getByRole("button", { name: L["access.approve"], exact: true }).click();
      await page.getByTestId("access-state").getByText(L["access.state.APPROVED"]).waitFor();
      expect(await page.getByRole("button", { name: L["access.deny"] }).count()).toBe(0);
      await check(page, shot, "approved");

      // The confirmation email's link withdraws the access.
      const confirmation = await mailedLinkTo(server, admin, "/access", { after: request });
      await page.goto(confirmation);
      await expectHeading(page, format(L["access.title"], { partner: partnerB }));
      await page.getByTestId("access-state").getByText(L["access.state.APPROVED"]).waitFor();
      await page.getByRole("button", { name: L["access.withdraw"] }).click();
      await page.getByTestId("access-state").getByText(L["access.state.REVOKED"]).waitFor();
      await check(page, shot, "withdrawn");

      // The request's links stopped working.
      await page.goto(request);
      await expectHeading(page, L["access.revoked.title"]);
      await check(page, shot, "link-revoked");

      // A third partner asks; the administrator denies.
      const partnerC = `Third Partner ${id}`;
      await apiFlowToConfirmed(server, {
        partnerAccount: `PC-${id}`,
        partnerName: partnerC,
        contact: `third-${id}@partner-c.example`,
        adminEmail: admin,
      });
      const third = await mailedLinkTo(server, admin, "/access", {
        after: [request, confirmation],
      });
      await page.goto(third);
      await expectHeading(page, format(L["access.title"], { partner: partnerC }));
      await page.getByRole("button", { name: L["access.deny"], exact: true }).click();
      await page.getByTestId("access-state").getByText(L["access.state.DENIED"]).waitFor();
      await check(page, shot, "denied");

      // A link that is not one.
      await page.goto(`${server.url}/access?token=not-a-token`);
      await expectHeading(page, L["access.invalid.title"]);
      expect(foreign).toEqual([]);
    });
  });

  test("the password reset: Forgot password?, the mailed link, the rules, signed in; the old session refused", async () => {
    const shot = screenshots(`13-reset-${lang}`);
    const id = uniq();
    const contact = `reset-${id}@partner.example`;
    await apiFlowToConfirmed(server, {
      partnerAccount: `PR-${id}`,
      contact,
      adminEmail: `admin-${id}@reset-customer.example`,
    });

    await withBrowser(async ({ context }) => {
      // Tab 1: signed in before the reset.
      const old = await openPage(context, v);
      await signIn(old, L, contact, "first partner long password");

      // Tab 2: forgot the password.
      const page = await context.newPage();
      await page.setViewportSize({ width: v.width, height: v.height });
      const foreign = watchForeignRequests(page, server.url);
      await page.goto(`${server.url}/signin`);
      await expectHeading(page, L["signin.title"]);
      await page.getByRole("link", { name: L["signin.forgot"] }).click();
      await expectHeading(page, L["forgot.title"]);
      await check(page, shot, "forgot");
      await page.getByLabel(L["signin.email"]).fill(contact);
      await page.getByRole("button", { name: L["forgot.submit"] }).click();
      await page.getByText(format(L["forgot.sent"], { email: contact })).waitFor();
      await check(page, shot, "forgot-sent");

      const link = await mailedLinkTo(server, contact, "/reset-password");
      await page.goto(link);
      await expectHeading(page, L["reset.title"]);
      expect(page.url()).not.toContain("token=");
      const rules = page.getByTestId("password-rules");
      await page.getByLabel(L["password.password"], { exact: true }).fill("short");
      await rules.locator("li.failed", { hasText: L["password.ruleLength"] }).waitFor();
      await check(page, shot, "reset-rules");
      await page
        .getByLabel(L["password.password"], { exact: true })
        .fill("a brand new partner password");
      await rules.locator("li.ok", { hasText: L["password.ruleLength"] }).waitFor();
      await page.getByLabel(L["password.confirm"]).fill("a brand new partner password");
      await page.getByRole("button", { name: L["reset.submit"] }).click();
      await expectHeading(page, L["partner.title"]);
      await page.getByText(L["reset.done"]).waitFor();
      await check(page, shot, "reset-signed-in");

      // The link works once.
      const again = await context.newPage();
      await again.goto(link);
      await expect
        .poll(async () => (await again.locator("h1").innerText()).trim(), { timeout: 15_000 })
        .toMatch(
          new RegExp(
            `^(${[L["reset.used.title"], L["reset.invalid.title"], L["reset.expired.title"]].map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})$`,
          ),
        );
      await again.close();

      // Tab 1's session ended with the reset: its next call shows the sign-in page saying so.
      await old.getByRole("link", { name: L["workspace.password"] }).click();
      await old.getByRole("link", { name: L["workspace.orders"] }).click();
      await expectHeading(old, L["signin.title"]);
      await old.getByText(L["partner.sessionRevoked"]).waitFor();
      await check(old, shot, "old-session-ended");
      // The old password no longer works; the new one does.
      await old.getByLabel(L["signin.email"]).fill(contact);
      await old
        .getByLabel(L["signin.password"], { exact: true })
        .fill("first partner long password");
      await old.getByRole("button", { name: L["signin.submit"] }).click();
      await old.getByText(L["code.INVALID_CREDENTIALS"]).first().waitFor();
      await signIn(old, L, contact, "a brand new partner password");
      expect(foreign).toEqual([]);
    });
  });

  test("the partner workspace: orders searched and filtered, an order's page and actions, Continue setup, password, sign out", async () => {
    const shot = screenshots(`13-workspace-${lang}`);
    const id = uniq();
    const account = `PW-${id}`;
    const contact = `workspace-${id}@partner.example`;
    const admin = await sharedCustomer(id);
    // This partner's first order maps to the shared customer: access pending.
    const mapped = await apiFlowToConfirmed(server, {
      partnerAccount: account,
      partnerName: `Workspace Partner ${id}`,
      contact,
      adminEmail: admin,
      customerName: `Shared Customer ${id}`,
    });
    const request = await mailedLinkTo(server, admin, "/access");
    // More orders: their links are mailed at once (LINK_SENT).
    const zeta = await placeOrder(server, {
      contact: `other-${id}@partner.example`,
      partnerAccount: account,
      partnerName: `Workspace Partner ${id}`,
      customerName: `Zeta ${id} d.o.o.`,
    });
    await placeOrder(server, {
      contact: `other-${id}@partner.example`,
      partnerAccount: account,
      partnerName: `Workspace Partner ${id}`,
      customerName: `Omega ${id} d.o.o.`,
    });
    await mailedLink(server, `other-${id}@partner.example`);

    await withBrowser(async ({ context }) => {
      const page = await openPage(context, v);
      const foreign = watchForeignRequests(page, server.url);
      await signIn(page, L, contact, "first partner long password");
      const list = page.getByRole("list", { name: L["partner.orders"] });
      await expect.poll(() => list.getByRole("listitem").count(), { timeout: 15_000 }).toBe(3);
      await page.getByText(format(L["orders.count"], { n: 3 })).waitFor();
      await check(page, shot, "orders");

      // Search by customer name, then by status.
      await page.getByRole("searchbox", { name: L["orders.search"] }).fill(`zeta ${id}`);
      await expect.poll(() => list.getByRole("listitem").count(), { timeout: 10_000 }).toBe(1);
      await page.getByText(format(L["orders.countFiltered"], { n: 1 })).waitFor();
      expect(new URL(page.url()).searchParams.get("q")).toBe(`zeta ${id}`);
      await check(page, shot, "orders-search");

      // The order's page follows the status live: an operator cancels the order meanwhile.
      await list.getByRole("link").first().click();
      await page.getByText(L["done.connected"], { exact: true }).waitFor({ timeout: 15_000 });
      await page.getByTestId("order-status").getByText(L["orderStatus.LINK_SENT"]).waitFor();
      await gql(
        server,
        await server.operatorToken(),
        `mutation($id: ID!) { cancelOrder(orderId: $id, reason: "e2e") { order { status } userErrors { code field message } } }`,
        {
          id: zeta,
        },
      );
      await page
        .getByTestId("order-status")
        .getByText(L["orderStatus.CANCELLED"])
        .waitFor({ timeout: 15_000 });
      await page.getByText(L["order.noActions"]).waitFor();
      await check(page, shot, "cancelled-live");
      await page.goBack();
      await expectHeading(page, L["partner.title"]);
      expect(await page.getByRole("searchbox", { name: L["orders.search"] }).inputValue()).toBe(
        `zeta ${id}`,
      );
      await page.getByRole("searchbox", { name: L["orders.search"] }).fill("");
      await expect.poll(() => list.getByRole("listitem").count(), { timeout: 10_000 }).toBe(3);
      await page.getByRole("combobox", { name: L["orders.status"] }).selectOption("ORGS_CONFIRMED");
      await expect.poll(() => list.getByRole("listitem").count(), { timeout: 10_000 }).toBe(1);
      await page.getByRole("combobox", { name: L["orders.status"] }).selectOption("OPEN");
      await expect.poll(() => list.getByRole("listitem").count(), { timeout: 10_000 }).toBe(2);
      await page.getByRole("combobox", { name: L["orders.status"] }).selectOption("ORGS_CONFIRMED");
      await expect.poll(() => list.getByRole("listitem").count(), { timeout: 10_000 }).toBe(1);
      await check(page, shot, "orders-status");

      // The mapped order: the customer's consent is pending, so Continue setup is refused, translated.
      await list.getByRole("link").first().click();
      await expect
        .poll(() => new URL(page.url()).pathname)
        .toBe(`/partner/orders/${encodeURIComponent(mapped.orderId)}`);
      await page.getByTestId("access-state").getByText(L["order.access.PENDING"]).waitFor();
      await page.getByText(L["done.connected"], { exact: true }).waitFor({ timeout: 15_000 });
      expect(await page.getByTestId("order-status").innerText()).toBe(
        L["orderStatus.ORGS_CONFIRMED"],
      );
      await check(page, shot, "order-pending");
      await page.getByRole("button", { name: L["order.continue"] }).click();
      await page.getByText(L["code.ACCESS_PENDING"]).waitFor();
      await check(page, shot, "continue-refused");

      // The administrator approves (the access page's call); the order's page shows it.
      const accessToken = new URL(request).searchParams.get("token")!;
      await gql(
        server,
        accessToken,
        `mutation { approvePartnerAccess { partnerAccess { state } userErrors { code field message } } }`,
      );
      await page.reload();
      await page.getByTestId("access-state").getByText(L["order.access.APPROVED"]).waitFor();
      const step = await page.getByTestId("order-step").innerText();

      // Continue setup: the wizard, with a link of its own, at the order's step.
      await page.getByRole("button", { name: L["order.continue"] }).click();
      await expect
        .poll(() => new URL(page.url()).pathname, { timeout: 15_000 })
        .toMatch(/^\/setup\/(services|provision)$/);
      const path = new URL(page.url()).pathname;
      expect(step).toBe(path === "/setup/services" ? L["step.SERVICES"] : L["step.PROVISION"]);
      await expectHeading(
        page,
        path === "/setup/services" ? L["services.title"] : L["provision.title"],
      );
      await check(page, shot, "wizard-continued");
      // The link of before stopped working.
      const r = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Authorization: `Bearer ${mapped.setupToken}`,
        },
        body: JSON.stringify({ query: "{ setup { step } }" }),
      });
      const old = (await r.json()) as { errors?: { extensions?: { reason?: string } }[] };
      expect(old.errors?.[0]?.extensions?.reason).toBe("REPLACED");

      // Back in the workspace: resend a link to a new contact, then cancel that order.
      await page.goto(`${server.url}/partner`);
      await expectHeading(page, L["partner.title"]);
      await page.getByRole("searchbox", { name: L["orders.search"] }).fill(`omega ${id}`);
      await expect.poll(() => list.getByRole("listitem").count(), { timeout: 10_000 }).toBe(1);
      await list.getByRole("link").first().click();
      await page.locator("h1", { hasText: "E2E-" }).waitFor();
      await page.getByTestId("order-status").getByText(L["orderStatus.LINK_SENT"]).waitFor();
      const newContact = `new-contact-${id}@partner.example`;
      await page.getByLabel(new RegExp(L["order.newContact"])).fill(newContact);
      await page.getByRole("button", { name: L["order.resend"] }).click();
      await page.getByText(format(L["order.resent"], { email: newContact })).waitFor();
      await mailedLink(server, newContact);
      await check(page, shot, "resent");
      await page.getByRole("button", { name: L["order.cancel"], exact: true }).click();
      const dialog = page.getByRole("dialog");
      await dialog.waitFor();
      await check(page, shot, "cancel-dialog");
      await dialog.getByLabel(new RegExp(L["order.cancelReason"])).fill("e2e");
      await dialog.getByRole("button", { name: L["order.cancelConfirm"] }).click();
      await page.getByText(L["order.cancelled"]).waitFor();
      await page.getByTestId("order-status").getByText(L["orderStatus.CANCELLED"]).waitFor();
      await check(page, shot, "cancelled");

      // Change the password: this session goes on with the new token.
      await page.getByRole("link", { name: L["workspace.password"] }).click();
      await expectHeading(page, L["changePassword.title"]);
      await page.getByLabel(L["changePassword.current"]).fill("first partner long password");
      await page
        .getByLabel(L["password.password"], { exact: true })
        .fill("changed partner password 7");
      await page.getByLabel(L["password.confirm"]).fill("changed partner password 7");
      await page.getByRole("button", { name: L["changePassword.submit"], exact: true }).click();
      await page.getByText(L["changePassword.done"]).waitFor();
      await check(page, shot, "password-changed");
      await page.getByRole("link", { name: L["workspace.orders"] }).click();
      await expectHeading(page, L["partner.title"]);
      await expect
        .poll(() => list.getByRole("listitem").count(), { timeout: 10_000 })
        .toBeGreaterThan(0);

      // Sign out; the new password signs in.
      await page
        .getByRole("navigation", { name: L["workspace.nav"] })
        .getByRole("button", { name: L["partner.signout"] })
        .click();
      await expectHeading(page, L["signin.title"]);
      await page.getByText(L["signin.signedOut"]).waitFor();
      await check(page, shot, "signed-out");
      await page.goto(`${server.url}/partner`);
      await expectHeading(page, L["signin.title"]);
      await signIn(page, L, contact, "changed partner password 7");
      expect(foreign).toEqual([]);
    });
  });
});
