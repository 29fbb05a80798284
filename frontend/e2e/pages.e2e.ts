// Every page the binary serves, checked with axe, in English at desktop size
// and in Serbian at 390 px; the pickers, the site address and its
// suggestions; the 404 page and the favicon.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { expectNoAxeViolations } from "./axe";
import {
  EN,
  SR,
  chooseRole,
  expectHeading,
  finishServices,
  next,
  openLink,
  setUpOrganizations,
  watchForeignRequests,
} from "./flows";
import {
  failureShots,
  launchBrowser,
  mailedLink,
  placeOrder,
  screenshots,
  startServer,
  type Browser,
  type Server,
} from "./harness";
import { format } from "../src/i18n/I18n";

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

/** The picker's options as shown (label and detail). */
async function optionTexts(page: Page, id: string) {
  return page.locator(`#${id}-list [role="option"]`).allInnerTexts();
}

describe.each(variants)("every page, $name", ({ name, L, lang, width, height }) => {
  test("the wizard from the link to provisioned, the partner pages, the IDE and the 404 page: no axe violations", async () => {
    const dir = `9-pages-${lang}`;
    const saved = screenshots(dir);
    const id = uniq();
    const contact = `a11y-${id}@partner.example`;
    await placeOrder(server, {
      contact,
      partnerAccount: `PA-${id}`,
      partnerName: "Partner Pristupačnost",
      language: lang,
    });
    const link = await mailedLink(server, contact);
    await withBrowser(async ({ context }) => {
      const page = await context.newPage();
      await page.setViewportSize({ width, height });
      const foreign = watchForeignRequests(page, server.url);
      // Each step: a screenshot, then axe.
      const shot = async (p: Page, step: string) => {
        await saved(p, step);
        await expectNoAxeViolations(p, `${name}: ${step}`);
      };
      await openLink(page, link, L);
      await expect
        .poll(() => page.evaluate(() => document.documentElement.lang))
        .toBe(lang === "sr" ? "sr-Latn" : "en");
      // Chosen in the header, the language holds on the pages without an order (sign-in, the IDE).
      await page.getByRole("button", { name: L[`lang.${lang}`], exact: true }).click();
      await chooseRole(page, L, "partner", shot);
      await setUpOrganizations(page, L, shot, {
        role: "partner",
        adminEmail: `admin-${id}@acme.example`,
        password: "kettle orbit lantern 42",
      });
      await finishServices(page, L, shot, `pristup-${id}`);

      await page.goto(`${server.url}/signin`);
      await expectHeading(page, L["signin.title"]);
      await shot(page, "signin");
      await page.getByLabel(L["signin.email"]).fill(contact);
      await page.getByLabel(L["signin.password"]).fill("kettle orbit lantern 42");
      await page.getByRole("button", { name: L["signin.submit"] }).click();
      await expectHeading(page, L["partner.title"]);
      await page
        .getByRole("region", { name: L["partner.customers"] })
        .getByText(`pristup-${id}`)
        .waitFor();
      await shot(page, "partner-overview");

      // The operators' IDE, with its documentation explorer open.
      await page.goto(`${server.url}/playground`);
      await page.locator(".graphiql-container").waitFor({ timeout: 20_000 });
      await page
        .locator(".graphiql-query-editor .monaco-editor")
        .first()
        .waitFor({ timeout: 20_000 });
      await shot(page, "playground");

      // The development mail viewer.
      await page.goto(`${server.url}/dev/mail`);
      await page.locator("table").first().waitFor();
      await saved(page, "dev-mail");
      await expectNoAxeViolations(page, `${name}: dev mail viewer`);

      // A path that is no page: the 404 page, with a title and a language.
      const res = await page.goto(`${server.url}/no/such/page`);
      expect(res?.status()).toBe(404);
      expect(await page.title()).toContain("Onramp");
      expect(await page.evaluate(() => document.documentElement.lang)).toMatch(/^(en|sr-Latn)$/);
      await shot(page, "not-found");
      expect(foreign).toEqual([]);
    });
  });

  test("pickers, the site address and suggestions", async () => {
    const shot = screenshots(`10-pickers-${lang}`);
    const id = uniq();
    const contact = `pick-${id}@partner.example`;
    await placeOrder(server, {
      contact,
      partnerAccount: `PP-${id}`,
      customerName: `Kovačević ${id} d.o.o.`,
      language: lang,
    });
    const link = await mailedLink(server, contact);
    await withBrowser(async ({ context }) => {
      const page = await context.newPage();
      await page.setViewportSize({ width, height });
      await openLink(page, link, L);
      await chooseRole(page, L, "partner", shot);
      await page.getByRole("radio", { name: L["assign.self"] }).check();
      await next(page, L);
      await expectHeading(page, L["partnerOrg.titleNew"]);

      // The country: by its name in the page's language, from the order (RS).
      const country = page.getByRole("combobox", { name: L["org.country"] });
      expect(await country.inputValue()).toBe(lang === "sr" ? "Srbija" : "Serbia");
      await country.click();
      await country.fill(lang === "sr" ? "hrv" : "croa");
      expect(await optionTexts(page, "partner-country")).toEqual([
        lang === "sr" ? "Hrvatska\nHR" : "Croatia\nHR",
      ]);
      await shot(page, "country-search");
      await page.keyboard.press("Enter");
      expect(await country.inputValue()).toBe(lang === "sr" ? "Hrvatska" : "Croatia");
      // The English name finds it in Serbian too; nothing silently becomes another country.
      await country.fill("Serbia");
      await page.keyboard.press("Enter");
      expect(await country.inputValue()).toBe(lang === "sr" ? "Srbija" : "Serbia");
      await page.getByLabel(L["address.line1"]).fill("Knez Mihailova 10");
      await page.getByLabel(L["address.postalCode"]).fill("11000");
      await page.getByLabel(L["address.city"]).fill("Beograd");
      await next(page, L);
      await expectHeading(page, L["customerAdmin.title"]);
      await page.getByLabel(L["customerAdmin.email"]).fill(`admin-${id}@kovacevic.example`);
      await next(page, L);
      await expectHeading(page, L["customerOrg.titleNew"]);
      await next(page, L);
      await expectHeading(page, L["confirm.title"]);
      await next(page, L);
      await expectHeading(page, L["password.title"]);
      // The password's rules, marked as the person types.
      await page.getByLabel(L["password.password"], { exact: true }).fill(`pick-${id}`);
      const rules = page.getByTestId("password-rules");
      await expect.poll(() => rules.locator("li.failed").count()).toBe(2);
      await shot(page, "password-rules");
      await page
        .getByLabel(L["password.password"], { exact: true })
        .fill("kettle orbit lantern 42");
      await expect.poll(() => rules.locator("li.failed").count()).toBe(0);
      await page.getByLabel(L["password.confirm"]).fill("kettle orbit lantern 42");
      await page.getByRole("button", { name: L["password.submit"] }).click();
      await expectHeading(page, L["services.title"]);

      // The time zone: proposed from the country, current names, grouped by region.
      const zone = page.getByRole("combobox", { name: L["call.timeZone"] });
      expect(await zone.inputValue()).toBe("Belgrade");
      await zone.click();
      // Current names only: the former name finds the zone under its current one.
      await zone.fill("kiev");
      expect(await optionTexts(page, "call-tz")).toEqual([
        expect.stringMatching(/^Kyiv\nUTC\+0[23]:00$/),
      ]);
      await zone.fill("kolk");
      expect((await optionTexts(page, "call-tz"))[0]).toMatch(/^Kolkata\nUTC\+05:30$/);
      expect(
        await page.locator("#call-tz-list [role=group]").first().getAttribute("aria-labelledby"),
      ).toBeTruthy();
      expect(await page.locator("#call-tz-list .picker-group").first().innerText()).toBe(
        L["tz.Asia"],
      );
      await shot(page, "time-zone-search");
      await page.keyboard.press("Enter");
      expect(await zone.inputValue()).toBe("Kolkata");
      await page.getByRole("button", { name: L["call.save"] }).click();
      await page.getByText(L["call.saved"]).waitFor();

      // The site address as typed; why a name is refused; names to use instead.
      const sub = page.getByLabel(L["meet.subdomain"]);
      await sub.fill("Admin");
      expect(await page.getByTestId("site-address").innerText()).toBe("admin.webex.example");
      await page.getByRole("button", { name: L["meet.check"] }).click();
      await page.locator(".field-error", { hasText: L["code.SUBDOMAIN_RESERVED"] }).waitFor();
      const first = `kovacevic-${id}`;
      const suggestion = page.getByRole("button", {
        name: format(L["meet.useSuggestion"], { name: first }),
      });
      await suggestion.waitFor();
      await shot(page, "subdomain-suggestions");
      await suggestion.click();
      expect(await sub.inputValue()).toBe(first);
      expect(await page.getByTestId("site-address").innerText()).toBe(`${first}.webex.example`);
      await page.getByRole("button", { name: L["meet.save"], exact: true }).click();
      await page
        .getByText(format(L["meet.saved"], { name: first }))
        .first()
        .waitFor();
      expect(await page.getByTestId("saved-site").innerText()).toBe(`${first}.webex.example`);
      await page.getByRole("button", { name: L["meet.change"], exact: true }).waitFor();
      await shot(page, "subdomain-saved");
      await expectNoAxeViolations(page, `${name}: services`);
    });
  });
});

describe("the house's edges", () => {
  test("the favicon is served and linked from the wizard, the IDE and the 404 page", async () => {
    const icon = await fetch(`${server.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toBe("image/x-icon");
    for (const path of ["/", "/setup", "/playground", "/nowhere"]) {
      const html = await (await fetch(`${server.url}${path}`)).text();
      expect(html, path).toContain('<link rel="icon" href="/favicon.ico"');
    }
  });

  test("the 404 page speaks Serbian to a Serbian browser", async () => {
    const res = await fetch(`${server.url}/nowhere`, {
      headers: { "Accept-Language": "sr-Latn-RS,sr;q=0.9" },
    });
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain('<html lang="sr-Latn">');
    expect(html).toContain("<title>Stranica nije pronađena · Onramp</title>");
  });
});
