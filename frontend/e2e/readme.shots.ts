// The README's screenshots: one order walked through the wizard on a real
// `onramp serve`, each main screen saved to docs/ at a fixed size.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, test } from "vitest";
import type { Page } from "playwright-core";
import { EN, SR, expectHeading, next, openLink } from "./flows";
import {
  launchBrowser,
  mailedLink,
  placeOrder,
  repoRoot,
  startServer,
  type Server,
} from "./harness";
import { format } from "../src/i18n/I18n";

const docs = join(repoRoot, "docs");
let server: Server;

beforeAll(async () => {
  mkdirSync(docs, { recursive: true });
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

const save = (page: Page, name: string) => page.screenshot({ path: join(docs, `${name}.png`) });

test("README screenshots", async () => {
  const contact = "setup@partner.example";
  await placeOrder(server, {
    contact,
    partnerAccount: "P1",
    partnerName: "Partner One",
    customerName: "Acme Telekom d.o.o.",
  });
  const link = await mailedLink(server, contact);
  const b = await launchBrowser();
  try {
    const page = await b.context.newPage();
    await page.setViewportSize({ width: 1100, height: 760 });

    await page.goto(`${server.url}/dev/mail`);
    await page.locator("table").first().waitFor();
    await save(page, "1-mail-viewer");

    await openLink(page, link, EN);
    await save(page, "2-role");
    await page.getByRole("radio", { name: EN["role.partner"] }).check();
    await next(page, EN);
    await expectHeading(page, EN["assign.title"]);
    await page.getByRole("radio", { name: EN["assign.self"] }).check();
    await next(page, EN);

    await expectHeading(page, EN["partnerOrg.titleNew"]);
    await page.getByLabel(EN["address.line1"]).fill("Knez Mihailova 10");
    await page.getByLabel(EN["address.postalCode"]).fill("11000");
    await page.getByLabel(EN["address.city"]).fill("Beograd");
    const country = page.getByRole("combobox", { name: EN["org.country"] });
    await country.click();
    await country.fill("ser");
    await country.scrollIntoViewIfNeeded();
    await page.evaluate(() => window.scrollBy(0, 120));
    await save(page, "3-country-picker");
    await page.keyboard.press("Escape");
    await next(page, EN);

    await expectHeading(page, EN["customerAdmin.title"]);
    await page.getByLabel(EN["customerAdmin.email"]).fill("it@acme.example");
    await next(page, EN);
    await expectHeading(page, EN["customerOrg.titleNew"]);
    await next(page, EN);
    await expectHeading(page, EN["confirm.title"]);
    await save(page, "4-confirm");
    await next(page, EN);
    await expectHeading(page, EN["password.title"]);
    await page.getByLabel(EN["password.password"], { exact: true }).fill("setup-2026");
    await save(page, "5-password-rules");
    await page.getByLabel(EN["password.password"], { exact: true }).fill("kettle orbit lantern 42");
    await page.getByLabel(EN["password.confirm"]).fill("kettle orbit lantern 42");
    await page.getByRole("button", { name: EN["password.submit"] }).click();

    await expectHeading(page, EN["services.title"]);
    const zone = page.getByRole("combobox", { name: EN["call.timeZone"] });
    await zone.click();
    await zone.fill("europe");
    await zone.scrollIntoViewIfNeeded();
    await page.evaluate(() => window.scrollBy(0, 200));
    await save(page, "6-time-zone-picker");
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: EN["call.save"] }).click();
    await page.getByText(EN["call.saved"]).waitFor();

    const sub = page.getByLabel(EN["meet.subdomain"]);
    await sub.fill("admin");
    await page.getByRole("button", { name: EN["meet.check"] }).click();
    await page
      .getByRole("button", { name: format(EN["meet.useSuggestion"], { name: "acme-telekom" }) })
      .waitFor();
    await sub.scrollIntoViewIfNeeded();
    await page.evaluate(() => window.scrollBy(0, 150));
    await save(page, "7-subdomain-suggestions");
    await page
      .getByRole("button", { name: format(EN["meet.useSuggestion"], { name: "acme-telekom" }) })
      .click();
    await page.getByRole("button", { name: EN["meet.save"], exact: true }).click();
    await page
      .getByText(format(EN["meet.saved"], { name: "acme-telekom" }))
      .first()
      .waitFor();
    await next(page, EN);

    await expectHeading(page, EN["provision.title"]);
    await page.getByRole("button", { name: EN["provision.button"] }).click();
    const dialog = page.getByRole("dialog", { name: EN["dialog.title"] });
    await dialog.waitFor();
    await save(page, "8-provision-dialog");
    await dialog.getByRole("button", { name: EN["provision.button"] }).click();
    await expectHeading(page, EN["done.title"]);
    await page.getByText(EN["done.connected"], { exact: true }).waitFor({ timeout: 15_000 });
    await save(page, "9-done");

    await page.goto(`${server.url}/playground`);
    await page.getByRole("button", { name: /show documentation explorer/i }).click();
    const docsPane = page.locator(".graphiql-doc-explorer");
    await docsPane.getByRole("link", { name: "Mutation" }).click({ timeout: 20_000 });
    await docsPane.getByRole("link", { name: "placeOrder" }).first().waitFor();
    await save(page, "10-playground-docs");

    // The Serbian wizard on a phone, from a second order's link.
    const contact2 = "podesavanje@partner.example";
    await placeOrder(server, {
      contact: contact2,
      partnerAccount: "P1",
      partnerName: "Partner One",
      language: "sr",
    });
    const link2 = await mailedLink(server, contact2);
    const phone = await b.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await openLink(phone, link2, SR);
    await save(phone, "11-serbian-390px");
  } finally {
    await b.close();
  }
});
