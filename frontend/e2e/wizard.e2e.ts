import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  failureShots,
  launchBrowser,
  mailedLink,
  placeOrder,
  screenshots,
  sleep,
  startServer,
  type Browser,
  type Server,
} from "./harness";
import {
  EN,
  SR,
  checkSubdomain,
  chooseRole,
  expectCurrentStep,
  expectHeading,
  finishServices,
  next,
  openLink,
  setUpOrganizations,
  stepCount,
  watchForeignRequests,
} from "./flows";
import { apiFlowToServices } from "./api";
import { format } from "../src/i18n/I18n";

const uniq = () => Math.random().toString(36).slice(2, 8);

let server: Server;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

/** Each test gets its own browser context (storage, language choice). */
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

describe("the setup wizard in a real browser", () => {
  test("partner: from the emailed link to provisioned, then partner sign-in", async () => {
    const shot = screenshots("1-partner-flow");
    const id = uniq();
    const contact = `setup-${id}@partner.example`;
    await placeOrder(server, { contact, partnerAccount: `P1-${id}`, partnerName: "Demo Partner" });

    await withBrowser(async ({ context }) => {
      const page = await context.newPage();
      const foreign = watchForeignRequests(page, server.url);

      // The email in the development mail viewer, and its "Set up now" button.
      await mailedLink(server, contact);
      await page.goto(`${server.url}/dev/mail`);
      await shot(page, "mail");
      const row = page.locator("tr", { hasText: contact });
      await row.getByRole("link", { name: "Set up now" }).click();
      await expectHeading(page, EN["role.title"]);
      expect(page.url()).not.toContain("token=");
      expect(await page.evaluate(() => sessionStorage.getItem("onramp.setup.token"))).toBeTruthy();

      await chooseRole(page, EN, "partner", shot);
      // Back and forward work: each step has its own URL.
      await page.goBack();
      await expectHeading(page, EN["role.title"]);
      await page.goForward();
      await expectHeading(page, EN["assign.title"]);

      await setUpOrganizations(page, EN, shot, {
        role: "partner",
        adminEmail: `admin-${id}@acme.example`,
        password: "correct horse battery staple",
      });
      await expectCurrentStep(page, EN, "step.SERVICES");
      await finishServices(page, EN, shot, `acme-${id}`);

      // A reload keeps the session and shows the completed setup.
      await page.reload();
      await expectHeading(page, EN["done.completeTitle"]);

      // The partner administrator signs in and sees the order and the customer.
      await page.goto(`${server.url}/signin`);
      await expectHeading(page, EN["signin.title"]);
      await page.getByLabel(EN["signin.email"]).fill(contact);
      await page.getByLabel(EN["signin.password"]).fill("correct horse battery staple");
      await shot(page, "signin");
      await page.getByRole("button", { name: EN["signin.submit"] }).click();
      await expectHeading(page, EN["partner.title"]);
      await page
        .getByRole("region", { name: EN["partner.orders"] })
        .getByText("Acme d.o.o.")
        .waitFor();
      await page
        .getByRole("region", { name: EN["partner.customers"] })
        .getByText(`acme-${id}`)
        .waitFor();
      await shot(page, "partner-overview");
      expect(foreign).toEqual([]);
    });
  });

  test("colleague hand-off: the colleague's link continues, the old one is replaced", async () => {
    const shot = screenshots("2-colleague-handoff");
    const id = uniq();
    const contact = `alias-${id}@partner.example`;
    const colleague = `colleague-${id}@partner.example`;
    await placeOrder(server, {
      contact,
      partnerAccount: `P2-${id}`,
      services: [
        { kind: "MESSAGING", quantity: 5 },
        { kind: "MEETINGS", quantity: 5 },
      ],
    });
    const first = await mailedLink(server, contact);

    await withBrowser(async ({ context }) => {
      const page = await context.newPage();
      await openLink(page, first, EN);
      await chooseRole(page, EN, "partner", shot);
      await page.getByRole("radio", { name: EN["assign.colleague"] }).check();
      await page.getByLabel(EN["assign.colleagueEmail"]).fill(contact);
      await page.getByRole("button", { name: EN["assign.send"] }).click();
      // One's own address is refused at the field, announced in the summary.
      await page.locator(".field-error", { hasText: EN["v.ownEmail"] }).waitFor();
      await shot(page, "assignment-own-email");
      await page.getByLabel(EN["assign.colleagueEmail"]).fill(colleague);
      await shot(page, "assignment-colleague");
      await page.getByRole("button", { name: EN["assign.send"] }).click();
      await expectHeading(page, EN["handoff.title"]);
      await page.getByText(colleague).waitFor();
      await shot(page, "handed-off");

      // The first link no longer works: it says so, and who to ask.
      await page.goto(first);
      await expectHeading(page, EN["link.replaced.title"]);
      await shot(page, "old-link-replaced");

      // The colleague's own link, from the mail viewer, starts at the role.
      const second = await mailedLink(server, colleague);
      const page2 = await context.newPage();
      await openLink(page2, second, EN);
      await chooseRole(page2, EN, "partner", shot);
      await setUpOrganizations(page2, EN, shot, {
        role: "partner",
        adminEmail: `admin-${id}@customer2.example`,
        password: "a long colleague passphrase",
      });
      // Messaging needs no settings; meetings do.
      await page2.getByText(EN["services.needed"].split("{")[0]).waitFor();
      await checkSubdomain(page2, EN, `team-${id}`);
      await page2.getByRole("button", { name: EN["meet.save"], exact: true }).click();
      await page2.getByText(EN["services.ready"]).waitFor();
      await next(page2, EN);
      await expectHeading(page2, EN["provision.title"]);
      await page2.getByRole("button", { name: EN["provision.button"] }).click();
      await page2.getByRole("dialog").getByRole("button", { name: EN["provision.button"] }).click();
      await expectHeading(page2, EN["done.title"]);
      await shot(page2, "colleague-done");
    });
  });

  test("the customer will set up: the customer's link, the customer's path", async () => {
    const shot = screenshots("3-customer-sets-up");
    const id = uniq();
    const contact = `setup-${id}@partner3.example`;
    const customer = `it-${id}@customer3.example`;
    await placeOrder(server, {
      contact,
      partnerAccount: `P3-${id}`,
      customerName: `Customer Three ${id}`,
    });
    const link = await mailedLink(server, contact);

    await withBrowser(async ({ context }) => {
      const page = await context.newPage();
      await page.setViewportSize({ width: 360, height: 760 });
      await openLink(page, link, EN);
      await chooseRole(page, EN, "partner", shot);
      await page.getByRole("radio", { name: EN["assign.customer"] }).check();
      await page.getByLabel(EN["assign.customerEmail"]).fill(customer);
      await shot(page, "assignment-customer");
      await page.getByRole("button", { name: EN["assign.send"] }).click();
      await expectHeading(page, EN["handoff.title"]);
      await page.getByText(customer).waitFor();
      await shot(page, "handed-off");

      const customerLink = await mailedLink(server, customer);
      const page2 = await context.newPage();
      await page2.setViewportSize({ width: 360, height: 760 });
      await openLink(page2, customerLink, EN);
      // After a hand-off to the customer, only the customer role remains.
      expect(await page2.getByRole("radio", { name: EN["role.partner"] }).isDisabled()).toBe(true);
      await chooseRole(page2, EN, "customer", shot);
      expect(await page2.getByRole("radio", { name: EN["assign.customer"] }).count()).toBe(0);
      await setUpOrganizations(page2, EN, shot, { role: "customer" });
      // The customer's path has no partner organization and no password step.
      expect(await page2.locator("nav.steps").innerText()).not.toContain(EN["step.PARTNER_ORG"]);
      await finishServices(page2, EN, shot, `cust-${id}`);
    });
  });

  test("a taken subdomain: not available, another site uses it", async () => {
    const shot = screenshots("5-subdomain-taken");
    const id = uniq();
    const taken = `taken-${id}`;
    // Another order claims the name first, through the API.
    await apiFlowToServices(server, {
      partnerAccount: `P5a-${id}`,
      contact: `first-${id}@p5.example`,
      subdomain: taken,
    });

    const contact = `second-${id}@p5b.example`;
    await placeOrder(server, {
      contact,
      partnerAccount: `P5b-${id}`,
      services: [{ kind: "MEETINGS", quantity: 3 }],
    });
    const link = await mailedLink(server, contact);
    await withBrowser(async ({ context }) => {
      const page = await context.newPage();
      await openLink(page, link, EN);
      await chooseRole(page, EN, "partner", shot);
      await setUpOrganizations(page, EN, shot, {
        role: "partner",
        adminEmail: `admin-${id}@c5.example`,
        password: "yet another long passphrase",
      });
      await checkSubdomain(page, EN, taken);
      const error = page.locator(".field-error", { hasText: EN["code.SUBDOMAIN_TAKEN"] });
      await error.waitFor();
      expect(
        await page.getByRole("alert").filter({ hasText: EN["code.SUBDOMAIN_TAKEN"] }).count(),
      ).toBeGreaterThan(0);
      await shot(page, "taken");
      // Saving without a successful check is refused at the field.
      await page.getByRole("button", { name: EN["meet.save"], exact: true }).click();
      await page.locator(".field-error", { hasText: EN["meet.checkFirst"] }).waitFor();
      // A reserved word reads the same; a free one is available.
      await checkSubdomain(page, EN, "bad_name!");
      await page.locator(".field-error", { hasText: EN["v.subdomain"] }).waitFor();
      await shot(page, "invalid");
      await checkSubdomain(page, EN, `free-${id}`);
      await page.getByText(`free-${id} is available.`).waitFor();
      await page.getByRole("button", { name: EN["meet.save"], exact: true }).click();
      await page.getByText(EN["services.ready"]).waitFor();
      await shot(page, "saved");
    });
  });

  test("an existing partner organization not recognized: the order goes on hold", async () => {
    const shot = screenshots("8-not-recognized");
    const id = uniq();
    const account = `P8-${id}`;
    // The partner's first order created its organization.
    await apiFlowToServices(server, {
      partnerAccount: account,
      contact: `first-${id}@p8.example`,
      subdomain: `p8-${id}`,
    });
    const contact = `second-${id}@p8.example`;
    await placeOrder(server, { contact, partnerAccount: account });
    const link = await mailedLink(server, contact);
    await withBrowser(async ({ context }) => {
      const page = await context.newPage();
      await openLink(page, link, EN);
      await chooseRole(page, EN, "partner", shot);
      await page.getByRole("radio", { name: EN["assign.self"] }).check();
      await next(page, EN);
      await expectHeading(page, EN["partnerOrg.titleExisting"]);
      await page.getByText("First Partner").waitFor();
      await shot(page, "review");
      await page.getByRole("button", { name: EN["org.notRecognized"] }).click();
      const dialog = page.getByRole("dialog", { name: EN["report.title"] });
      await dialog.getByLabel(EN["report.note"]).fill("We never ordered under this name.");
      await shot(page, "report-dialog");
      await dialog.getByRole("button", { name: EN["report.submit"] }).click();
      await expectHeading(page, EN["onhold.title"]);
      expect(new URL(page.url()).pathname).toBe("/setup/on-hold");
      await shot(page, "on-hold");
      // Opening the link again shows the same page.
      await page.goto(link);
      await expectHeading(page, EN["onhold.title"]);
    });
  });

  test("the Serbian UI at 360 px, from the link to provisioned", async () => {
    const shot = screenshots("6-serbian");
    const id = uniq();
    const contact = `podesavanje-${id}@partner6.example`;
    await placeOrder(server, {
      contact,
      partnerAccount: `P6-${id}`,
      partnerName: "Partner Šest",
      language: "sr",
    });
    const link = await mailedLink(server, contact);
    await withBrowser(async ({ context }) => {
      const page = await context.newPage();
      await page.setViewportSize({ width: 360, height: 760 });
      // The order's language (sr) is the default until the person chooses.
      await page.goto(link);
      await expectHeading(page, SR["role.title"]);
      await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe("sr-Latn");
      // The switcher works both ways.
      await page.getByRole("button", { name: "English" }).click();
      await h1Text(page, EN["role.title"]);
      await shot(page, "english");
      await page.getByRole("button", { name: "Srpski" }).click();
      await h1Text(page, SR["role.title"]);
      await chooseRole(page, SR, "partner", shot);
      await setUpOrganizations(page, SR, shot, {
        role: "partner",
        adminEmail: `admin-${id}@kupac6.example`,
        password: "dugačka lozinka za partnera",
      });
      await finishServices(page, SR, shot, `kupac-${id}`);
      // No English string leaked into the last page's step list.
      expect(await page.locator("nav.steps").innerText()).toContain(SR["step.DONE"]);
    });
  });
});

describe("issue 12: the server's path, drafts and existing sites", () => {
  test("a second order for a customer organization with a meetings site: the site is used, provisioned", async () => {
    const shot = screenshots("9-existing-site");
    const id = uniq();
    const account = `P9-${id}`;
    const admin = `admin-${id}@c9.example`;
    const site = `site-${id}`;
    // The first order created the partner and customer organizations and the site.
    await apiFlowToServices(server, {
      partnerAccount: account,
      contact: `first-${id}@p9.example`,
      subdomain: site,
      adminEmail: admin,
      provision: true,
    });
    const contact = `second-${id}@p9.example`;
    await placeOrder(server, {
      contact,
      partnerAccount: account,
      services: [{ kind: "MEETINGS", quantity: 10 }],
    });
    const link = await mailedLink(server, contact);

    await withBrowser(async ({ context }) => {
      const page = await context.newPage();
      const foreign = watchForeignRequests(page, server.url);
      const totals: number[] = [];
      const count = async (n: number) => {
        const c = await stepCount(page);
        totals.push(c.total);
        expect(c.n).toBe(n);
      };
      await openLink(page, link, EN);
      await count(1);
      await chooseRole(page, EN, "partner", shot);
      await count(2);
      await page.getByRole("radio", { name: EN["assign.self"] }).check();
      await next(page, EN);
      await expectHeading(page, EN["partnerOrg.titleExisting"]);
      await count(3);
      await next(page, EN);
      await expectHeading(page, EN["customerAdmin.title"]);
      await count(4);
      await page.getByLabel(EN["customerAdmin.email"]).fill(admin);
      await next(page, EN);
      await expectHeading(page, EN["customerOrg.titleExisting"]);
      await count(5);
      await shot(page, "customer-org-existing");
      await next(page, EN);
      await expectHeading(page, EN["confirm.title"]);
      await count(6);
      await next(page, EN);

      // No password (the partner organization exists), and the site is the customer's own.
      await expectHeading(page, EN["services.title"]);
      await count(7);
      // An existing partner organization: no password step, the same count from the first page to the last.
      expect(new Set(totals)).toEqual(new Set([9]));
      expect(await page.locator("nav.steps").innerText()).not.toContain(EN["step.PASSWORD"]);
      await page.getByText(format(EN["meet.existingSite"], { name: site })).waitFor();
      expect(await page.getByLabel(EN["meet.subdomain"]).count()).toBe(0);
      expect(await page.getByRole("button", { name: EN["meet.check"] }).count()).toBe(0);
      await page.getByText(EN["services.ready"]).waitFor();
      await shot(page, "services-existing-site");
      await next(page, EN);

      await expectHeading(page, EN["provision.title"]);
      await count(8);
      await page.getByRole("button", { name: EN["provision.button"] }).click();
      await page.getByRole("dialog").getByRole("button", { name: EN["provision.button"] }).click();
      await expectHeading(page, EN["done.title"]);
      await count(9);
      await page.getByText(EN["done.connected"], { exact: true }).waitFor({ timeout: 15_000 });
      expect(await page.getByTestId("live-status").innerText()).toContain(
        EN["orderStatus.PROVISIONED"],
      );
      await shot(page, "done");
      expect(foreign).toEqual([]);
    });
  });

  test("a saved subdomain shows as saved and can be changed before provisioning", async () => {
    const shot = screenshots("10-change-subdomain");
    const id = uniq();
    const contact = `setup-${id}@p10.example`;
    await placeOrder(server, {
      contact,
      partnerAccount: `P10-${id}`,
      services: [{ kind: "MEETINGS", quantity: 2 }],
    });
    const link = await mailedLink(server, contact);
    await withBrowser(async ({ context }) => {
      const page = await context.newPage();
      await openLink(page, link, EN);
      await chooseRole(page, EN, "partner", shot);
      await setUpOrganizations(page, EN, shot, {
        role: "partner",
        adminEmail: `admin-${id}@c10.example`,
        password: "a long enough passphrase",
      });
      await checkSubdomain(page, EN, `first-${id}`);
      await page.getByText(format(EN["meet.available"], { name: `first-${id}` })).waitFor();
      await page.getByRole("button", { name: EN["meet.save"], exact: true }).click();
      await page
        .getByText(format(EN["meet.saved"], { name: `first-${id}` }))
        .first()
        .waitFor();
      // A reload shows it saved, with no check to repeat.
      await page.reload();
      await expectHeading(page, EN["services.title"]);
      await page
        .getByText(format(EN["meet.saved"], { name: `first-${id}` }))
        .first()
        .waitFor();
      expect(await page.getByLabel(EN["meet.subdomain"]).count()).toBe(0);
      await shot(page, "saved");
      await page.getByRole("button", { name: EN["meet.change"] }).click();
      await checkSubdomain(page, EN, `second-${id}`);
      await page.getByText(format(EN["meet.available"], { name: `second-${id}` })).waitFor();
      await page.getByRole("button", { name: EN["meet.save"], exact: true }).click();
      await page
        .getByText(format(EN["meet.saved"], { name: `second-${id}` }))
        .first()
        .waitFor();
      await shot(page, "changed");
      await next(page, EN);
      await expectHeading(page, EN["provision.title"]);
      await page.getByRole("button", { name: EN["provision.button"] }).click();
      await page.getByRole("dialog").getByRole("button", { name: EN["provision.button"] }).click();
      await expectHeading(page, EN["done.title"]);
    });
  });

  test("two tabs: the link opened again in tab B; tab A's next call says so and starts over", async () => {
    const shot = screenshots("11-two-tabs-call");
    const id = uniq();
    const contact = `tabs-${id}@p11.example`;
    await placeOrder(server, { contact, partnerAccount: `P11-${id}` });
    const link = await mailedLink(server, contact);
    await withBrowser(async ({ context }) => {
      const a = await context.newPage();
      // Tab A hears nothing live (its websocket goes nowhere), so its next
      // call is what finds out (DRAFT_RESTARTED).
      await a.routeWebSocket(/\/graphql/, () => {});
      await openLink(a, link, EN);
      await chooseRole(a, EN, "partner", shot);
      expect(await stepCount(a)).toEqual({ n: 2, total: 10 });

      const b = await context.newPage();
      await openLink(b, link, EN);
      await shot(b, "tab-b");

      await a.bringToFront();
      await a.getByRole("radio", { name: EN["assign.self"] }).check();
      await next(a, EN);
      await expectHeading(a, EN["role.title"]);
      expect(new URL(a.url()).pathname).toBe("/setup/role");
      await a.getByText(EN["wizard.draftRestarted"]).waitFor();
      expect(
        await a.getByRole("alert").filter({ hasText: EN["wizard.draftRestarted"] }).count(),
      ).toBe(1);
      // Nothing of A's answers is left: the role is to be chosen again.
      expect(await a.getByRole("radio", { name: EN["role.partner"] }).isChecked()).toBe(false);
      await shot(a, "tab-a-restarted");

      // A goes on from the link's current draft (no new startSetup: tab B keeps working).
      await chooseRole(a, EN, "partner", shot);
      expect(await a.getByText(EN["wizard.draftRestarted"]).count()).toBe(0);
      await b.bringToFront();
      await b.getByRole("radio", { name: EN["role.customer"] }).check();
      await next(b, EN);
      await expectHeading(b, EN["assign.title"]);
      expect(await b.getByText(EN["wizard.draftRestarted"]).count()).toBe(0);
    });
  });

  test("two tabs, live: tab A learns from the live status at once", async () => {
    const shot = screenshots("12-two-tabs-live");
    const id = uniq();
    const contact = `live-${id}@p12.example`;
    await placeOrder(server, { contact, partnerAccount: `P12-${id}`, language: "sr" });
    const link = await mailedLink(server, contact);
    await withBrowser(async ({ context }) => {
      const a = await context.newPage();
      await a.goto(link);
      await expectHeading(a, SR["role.title"]);
      await chooseRole(a, SR, "partner", shot);
      // Let A's live status start (it opens with the page).
      await sleep(500);

      const b = await context.newPage();
      await b.goto(link);
      await expectHeading(b, SR["role.title"]);

      // Without touching tab A, it shows the notice and the start.
      await a.getByText(SR["wizard.draftRestarted"]).waitFor({ timeout: 15_000 });
      await expectHeading(a, SR["role.title"]);
      expect(new URL(a.url()).pathname).toBe("/setup/role");
      await shot(a, "tab-a-restarted");
      // Tab B, whose draft it is, shows no notice.
      expect(await b.getByText(SR["wizard.draftRestarted"]).count()).toBe(0);
    });
  });
});

async function h1Text(page: import("playwright-core").Page, text: string) {
  await page.getByRole("heading", { level: 1, name: text }).waitFor();
}

describe("links that stopped working", () => {
  let shortLived: Server;
  beforeAll(async () => {
    shortLived = await startServer({ ONRAMP_SETUP_LINK_TTL: "2s" });
  });
  afterAll(async () => {
    await shortLived?.stop();
  });

  test("an expired link says so and who to ask", async () => {
    const shot = screenshots("4-expired-link");
    const contact = `late-${uniq()}@partner4.example`;
    await placeOrder(shortLived, { contact, partnerAccount: `P4-${uniq()}` });
    const link = await mailedLink(shortLived, contact);
    await sleep(3000);
    await withBrowser(async ({ context }) => {
      const page = await context.newPage();
      await page.goto(link);
      await expectHeading(page, EN["link.expired.title"]);
      expect(new URL(page.url()).pathname).toBe("/setup/expired");
      await page.getByText(EN["link.expired.body"]).waitFor();
      await shot(page, "expired");
      await page.setViewportSize({ width: 360, height: 760 });
      await shot(page, "expired-360");
      // "Send me a new link": a new link goes to the same address.
      await page.getByRole("button", { name: EN["link.renew.button"] }).click();
      const status = page.getByRole("status");
      await status.waitFor();
      expect(await status.textContent()).toContain(`${contact[0]}…@partner4.example`);
      expect(await page.getByRole("button", { name: EN["link.renew.button"] }).count()).toBe(0);
    });
  });

  test("a cancelled order's link says the order is closed", async () => {
    const shot = screenshots("4-cancelled-link");
    const contact = `cancel-${uniq()}@partner4.example`;
    const orderId = await placeOrder(server, { contact, partnerAccount: `P4c-${uniq()}` });
    const link = await mailedLink(server, contact);
    const token = await server.operatorToken();
    const r = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `mutation($id: ID!) { cancelOrder(orderId: $id, reason: "e2e") { userErrors { code } } }`,
        variables: { id: orderId },
      }),
    });
    expect(
      ((await r.json()) as { data?: { cancelOrder: { userErrors: unknown[] } } }).data?.cancelOrder
        .userErrors,
    ).toEqual([]);
    await withBrowser(async ({ context }) => {
      const page = await context.newPage();
      await page.goto(link);
      await expectHeading(page, EN["link.cancelled.title"]);
      expect(new URL(page.url()).pathname).toBe("/setup/cancelled");
      await shot(page, "cancelled");
    });
  });

  test("the wizard without a link asks for the emailed link", async () => {
    const shot = screenshots("4-no-link");
    await withBrowser(async ({ context }) => {
      const page = await context.newPage();
      await page.goto(`${shortLived.url}/setup/role`);
      await expectHeading(page, EN["link.invalid.title"]);
      await shot(page, "invalid");
    });
  });
});

describe("the operators' GraphQL IDE", () => {
  test("/playground runs a query with the operator token, all assets local", async () => {
    const shot = screenshots("7-playground");
    const token = await server.operatorToken();
    await withBrowser(async ({ context }) => {
      const page = await context.newPage();
      const foreign = watchForeignRequests(page, server.url);
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      const workers: string[] = [];
      page.on("request", (r) => {
        if (/worker/.test(r.url())) workers.push(r.url());
      });
      await page.goto(`${server.url}/playground`);
      await page.locator(".graphiql-container").waitFor({ timeout: 20_000 });
      await page.getByLabel(EN["playground.token"]).fill(token);
      await page.getByRole("button", { name: EN["playground.apply"] }).click();
      await page
        .locator(".graphiql-query-editor .monaco-editor")
        .first()
        .waitFor({ timeout: 20_000 });
      const editor = page.locator(".graphiql-query-editor .monaco-editor").first();
      await editor.click();
      await page.keyboard.press("Control+A");
      await page.keyboard.press("Delete");
      await page.keyboard.type("{ viewer { kind", { delay: 10 });
      await page.keyboard.press("Control+Enter");
      await page.locator(".graphiql-response").getByText("OPERATOR").waitFor({ timeout: 15_000 });
      await shot(page, "playground");
      expect(foreign).toEqual([]);
      expect(errors).toEqual([]);
      // Monaco's workers come from this server's bundle.
      expect(workers.some((u) => u.startsWith(`${server.url}/assets/`))).toBe(true);
    });
  });
});
