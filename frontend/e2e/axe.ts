// axe-core in the page under test: WCAG 2.1 A and AA rules and axe's best
// practices, no exceptions. A violation fails the test with the rule, the
// page and the elements it names.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import type { Page } from "playwright-core";

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve("axe-core/axe.min.js"),
  "utf8",
);

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** The page's axe violations, one line each. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, not as a <script> tag: the
  // pages' Content-Security-Policy (rightly) refuses inline scripts.
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
  const violations = (await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const r = await axe.run(document, {
      runOnly: {
        type: "tag",
        values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
      },
      resultTypes: ["violations"],
    });
    return r.violations;
  })) as Violation[];
  return violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
  );
}

/** Fails when axe finds anything on the page (but the rules in except). */
export async function expectNoAxeViolations(page: Page, where: string, except: string[] = []) {
  const found = (await axeViolations(page)).filter((v) => !except.includes(v.split(" ")[0]));
  expect(found, `axe on ${where} (${page.url()})`).toEqual([]);
}
