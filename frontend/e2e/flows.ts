// The wizard as a person uses it: by labels and roles, in either language.
import { expect } from "vitest";
import type { Page } from "playwright-core";
import { en, type Key } from "../src/i18n/en";
import { sr } from "../src/i18n/sr";
import { format } from "../src/i18n/I18n";

export type Dict = Record<Key, string>;
export const EN: Dict = en;
export const SR: Dict = sr;

export type Shot = (page: Page, name: string) => Promise<void>;

export const h1 = (page: Page, text: string) => page.getByRole("heading", { level: 1, name: text });

export async function expectHeading(page: Page, text: string) {
  await h1(page, text).waitFor({ state: "visible", timeout: 15_000 });
  // The step heading has the focus (screen readers start there).
  await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe("H1");
}

/** The step list marks the step shown with aria-current="step". */
export async function expectCurrentStep(page: Page, L: Dict, step: Key) {
  const current = page.locator('nav.steps li[aria-current="step"]');
  await expect.poll(() => current.innerText()).toContain(L[step]);
}

/** "Step N of M" of the step list, as numbers. */
export async function stepCount(page: Page): Promise<{ n: number; total: number }> {
  const text = await page.locator("nav.steps .step-count").innerText();
  const [n, total] = (text.match(/\d+/g) ?? []).map(Number);
  return { n, total };
}

export async function next(page: Page, L: Dict) {
  await page.getByRole("button", { name: L["common.next"], exact: true }).click();
}

export async function openLink(page: Page, link: string, L: Dict) {
  await page.goto(link);
  await expectHeading(page, L["role.title"]);
  // The token left the address bar at once.
  expect(page.url()).not.toContain("token=");
  expect(new URL(page.url()).pathname).toBe("/setup/role");
}

export async function chooseRole(page: Page, L: Dict, role: "partner" | "customer", shot: Shot) {
  await expectCurrentStep(page, L, "step.ROLE");
  await page
    .getByRole("radio", { name: role === "partner" ? L["role.partner"] : L["role.customer"] })
    .check();
  await shot(page, "role");
  await next(page, L);
  await expectHeading(page, L["assign.title"]);
  expect(new URL(page.url()).pathname).toBe("/setup/assignment");
}

/** From "who sets up" (SELF) to the service settings. */
export async function setUpOrganizations(
  page: Page,
  L: Dict,
  shot: Shot,
  opts: {
    role: "partner" | "customer";
    adminEmail?: string;
    password?: string;
    existingPartner?: boolean;
  },
) {
  await page.getByRole("radio", { name: L["assign.self"] }).check();
  await shot(page, "assignment");
  await next(page, L);

  if (opts.role === "partner") {
    if (opts.existingPartner) {
      await expectHeading(page, L["partnerOrg.titleExisting"]);
      await shot(page, "partner-org-review");
    } else {
      await expectHeading(page, L["partnerOrg.titleNew"]);
      expect(new URL(page.url()).pathname).toBe("/setup/partner-org");
      // Required fields are checked before anything is sent.
      await next(page, L);
      await expect
        .poll(() => page.getByRole("alert").first().innerText())
        .toContain(L["errors.summary"]);
      await shot(page, "partner-org-errors");
      await page.getByLabel(L["address.line1"]).fill("Knez Mihailova 10");
      await page.getByLabel(L["address.postalCode"]).fill("11000");
      await page.getByLabel(L["address.city"]).fill("Beograd");
      await shot(page, "partner-org");
    }
    await next(page, L);
  }

  await expectHeading(page, L["customerAdmin.title"]);
  expect(new URL(page.url()).pathname).toBe("/setup/customer-admin");
  if (opts.adminEmail) await page.getByLabel(L["customerAdmin.email"]).fill(opts.adminEmail);
  await shot(page, "customer-admin");
  await next(page, L);

  await expectHeading(page, L["customerOrg.titleNew"]);
  await shot(page, "customer-org");
  await next(page, L);

  await expectHeading(page, L["confirm.title"]);
  await expectCurrentStep(page, L, "step.CONFIRM");
  await shot(page, "confirm");
  await next(page, L);

  if (opts.password) {
    await expectHeading(page, L["password.title"]);
    await page.getByLabel(L["password.password"], { exact: true }).fill("short");
    await page.getByLabel(L["password.confirm"]).fill("short");
    await page.getByRole("button", { name: L["password.submit"] }).click();
    await expect
      .poll(() => page.locator(".field-error").first().innerText())
      .toContain(L["v.passwordShort"]);
    await page.getByLabel(L["password.password"], { exact: true }).fill(opts.password);
    await page.getByLabel(L["password.confirm"]).fill(opts.password);
    await shot(page, "password");
    await page.getByRole("button", { name: L["password.submit"] }).click();
  }
  await expectHeading(page, L["services.title"]);
  expect(new URL(page.url()).pathname).toBe("/setup/services");
}

export async function checkSubdomain(page: Page, L: Dict, name: string) {
  await page.getByLabel(L["meet.subdomain"]).fill(name);
  await page.getByRole("button", { name: L["meet.check"] }).click();
}

/** Call settings, meeting settings, provision behind its dialog, and the live done page. */
export async function finishServices(page: Page, L: Dict, shot: Shot, subdomain: string) {
  await shot(page, "services");
  await page.getByRole("button", { name: L["call.save"] }).click();
  await page.getByText(L["call.saved"]).waitFor();

  await checkSubdomain(page, L, subdomain);
  await page.getByText(format(L["meet.available"], { name: subdomain })).waitFor();
  await shot(page, "subdomain-available");
  await page.getByRole("button", { name: L["meet.save"], exact: true }).click();
  await page
    .getByText(format(L["meet.saved"], { name: subdomain }))
    .first()
    .waitFor();
  await page.getByText(L["services.ready"]).waitFor();
  await shot(page, "services-saved");
  await next(page, L);

  await expectHeading(page, L["provision.title"]);
  expect(new URL(page.url()).pathname).toBe("/setup/provision");
  await shot(page, "provision");
  await page.getByRole("button", { name: L["provision.button"] }).click();
  const dialog = page.getByRole("dialog", { name: L["dialog.title"] });
  await dialog.waitFor();
  expect(await dialog.innerText()).toContain(L["dialog.body"]);
  await shot(page, "provision-dialog");
  await dialog.getByRole("button", { name: L["provision.button"] }).click();

  await expectHeading(page, L["done.title"]);
  expect(new URL(page.url()).pathname).toBe("/setup/done");
  // Live status over the websocket: the subscription's first event.
  await page.getByText(L["done.connected"], { exact: true }).waitFor({ timeout: 15_000 });
  expect(await page.getByTestId("live-status").innerText()).toContain(L["orderStatus.PROVISIONED"]);
  await shot(page, "done");
}

/** Requests that leave the test server (there must be none: no CDN). */
export function watchForeignRequests(page: Page, base: string): string[] {
  const foreign: string[] = [];
  page.on("request", (r) => {
    const u = r.url();
    if (
      !u.startsWith(base) &&
      !u.startsWith("data:") &&
      !u.startsWith("blob:") &&
      !u.startsWith(base.replace("http", "ws"))
    ) {
      foreign.push(u);
    }
  });
  return foreign;
}
