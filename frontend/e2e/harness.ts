// End-to-end harness: a real `onramp serve` (dev mode, its own SQLite file
// in a temporary folder, a free port) and Debian's chromium driven by
// playwright-core. Nothing here reaches beyond 127.0.0.1.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  chromium,
  type Browser as ChromiumBrowser,
  type BrowserContext,
  type Page,
} from "playwright-core";
import { afterAll } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../..");
export const onrampBin = process.env.ONRAMP_BIN ?? join(repoRoot, "bin/onramp");
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const screenshotDir = join(here, "screenshots");

/** Fails with a message that says what to do when a prerequisite is missing. */
export function checkPrerequisites() {
  const problems: string[] = [];
  if (!existsSync(chromiumPath)) {
    problems.push(
      `chromium not found at ${chromiumPath}: install Debian's chromium (apt-get update && apt-get install -y chromium), or set CHROMIUM_PATH.`,
    );
  }
  if (!existsSync(onrampBin)) {
    problems.push(
      `${onrampBin} not found: build it with \`make build\` after \`make frontend\` (\`make test-frontend\` does both).`,
    );
  }
  if (problems.length)
    throw new Error("End-to-end tests cannot run:\n  - " + problems.join("\n  - "));
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

export interface Server {
  url: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  stop: () => Promise<void>;
  operatorToken: () => Promise<string>;
  log: () => string;
}

/** Starts `onramp serve` on a free port with a fresh data folder and waits until it is ready. */
export async function startServer(extraEnv: Record<string, string> = {}): Promise<Server> {
  checkPrerequisites();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "onramp-e2e-"));
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    ONRAMP_DEV: "true",
    ONRAMP_DATA_DIR: dataDir,
    ONRAMP_ADDR: `127.0.0.1:${port}`,
    ONRAMP_PUBLIC_URL: url,
    ...extraEnv,
  };
  let output = "";
  const proc: ChildProcess = spawn(onrampBin, ["serve"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout?.on("data", (b) => (output += b));
  proc.stderr?.on("data", (b) => (output += b));
  let exited = false;
  proc.on("exit", () => (exited = true));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`onramp serve exited at start:\n${output}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline)
      throw new Error(`onramp serve did not become healthy in 30 s:\n${output}`);
    await sleep(150);
  }
  const index = await (await fetch(`${url}/`)).text();
  if (!index.includes('id="root"')) {
    proc.kill("SIGTERM");
    throw new Error(
      `${onrampBin} serves no wizard build (the placeholder?): run \`make frontend build\` (or \`make test-frontend\`).`,
    );
  }

  return {
    url,
    dataDir,
    env,
    log: () => output,
    operatorToken: async () => {
      const { stdout } = await promisify(execFile)(onrampBin, ["token", "operator"], { env });
      return stdout.trim().split(/\s+/).pop()!;
    },
    stop: async () => {
      if (!exited) {
        const done = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        await Promise.race([done, sleep(10_000)]);
        if (!exited) proc.kill("SIGKILL");
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface OrderSpec {
  contact: string;
  partnerAccount: string;
  partnerName?: string;
  customerName?: string;
  country?: string;
  services?: { kind: "MEETINGS" | "CALLING" | "MESSAGING"; quantity: number }[];
  language?: "en" | "sr";
}

/** Places an order starting today (operator token); its setup email goes out at once. */
export async function placeOrder(server: Server, spec: OrderSpec): Promise<string> {
  const token = await server.operatorToken();
  const today = new Date().toISOString().slice(0, 10);
  const body = {
    query: `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { order { id } userErrors { field code message } } }`,
    variables: {
      in: {
        externalId: `E2E-${Date.now()}-${Math.floor(Math.random() * 1e6)}`,
        product: "A_WX",
        requestedStartDate: today,
        provisioningContactEmail: spec.contact,
        language: spec.language ?? "en",
        partner: {
          name: spec.partnerName ?? "Partner " + spec.partnerAccount,
          accountId: spec.partnerAccount,
        },
        customer: {
          name: spec.customerName ?? "Acme d.o.o.",
          country: spec.country ?? "RS",
          address: { line1: "Bulevar kralja Aleksandra 1", city: "Beograd", postalCode: "11000" },
        },
        services: spec.services ?? [
          { kind: "MEETINGS", quantity: 25 },
          { kind: "CALLING", quantity: 10 },
          { kind: "MESSAGING", quantity: 25 },
        ],
      },
    },
  };
  const r = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const json = (await r.json()) as {
    data?: { placeOrder: { order: { id: string } | null; userErrors: unknown[] } };
    errors?: unknown[];
  };
  const order = json.data?.placeOrder.order;
  if (!order) throw new Error(`placeOrder failed: ${JSON.stringify(json)}`);
  return order.id;
}

/** The newest "Set up now" link mailed to `to`, read from /dev/mail (waits for the mail job). */
export async function mailedLink(
  server: Server,
  to: string,
  opts: { after?: string; timeoutMs?: number } = {},
): Promise<string> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const html = await (await fetch(`${server.url}/dev/mail`)).text();
    for (const row of html.split("<tr>")) {
      const cells = [...row.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((m) => m[1]);
      if (cells.length < 5 || cells[1] !== to) continue;
      const link = /href="([^"]+\/setup\?token=[^"]+)"/.exec(row)?.[1]?.replace(/&amp;/g, "&");
      if (link && link !== opts.after) return link;
      break; // newest first: this recipient's newest message has no (new) link yet
    }
    if (Date.now() > deadline) throw new Error(`no setup email for ${to} in /dev/mail`);
    await sleep(250);
  }
}

export interface Browser {
  context: BrowserContext;
  close: () => Promise<void>;
}

let shared: Promise<ChromiumBrowser> | undefined;

/**
 * One headless chromium per test file (each file runs in a worker of its
 * own), started on first use and closed when the file ends: a start costs
 * seconds on a busy machine, a context tens of milliseconds.
 */
function sharedChromium(): Promise<ChromiumBrowser> {
  if (!shared) {
    shared = chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    });
  }
  return shared;
}

// Registered when a test file imports the harness, so it runs when that
// file's tests end.
afterAll(async () => {
  const b = await shared;
  shared = undefined;
  await b?.close();
});

/**
 * A fresh browser context of Debian's chromium: its own cookies, storage
 * and language choice, as a new profile would have, and no background
 * networking.
 */
export async function launchBrowser(): Promise<Browser> {
  checkPrerequisites();
  const context = await (
    await sharedChromium()
  ).newContext({
    viewport: { width: 1280, height: 860 },
    locale: "en-GB",
    timezoneId: "Europe/Belgrade",
  });
  return { context, close: () => context.close() };
}

/**
 * Saves numbered full-page screenshots of one test into screenshots/<test>/
 * when ONRAMP_E2E_SCREENSHOTS is set (`npm run test:e2e:shots`); otherwise
 * does nothing, since two hundred full-page captures cost `make test` a
 * minute. Failures are captured either way (failureShots).
 */
export function screenshots(test: string) {
  if (!process.env.ONRAMP_E2E_SCREENSHOTS) return async (_page: Page, _name: string) => {};
  const dir = join(screenshotDir, test);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return async (page: Page, name: string) => {
    n += 1;
    await page.screenshot({
      path: join(dir, `${String(n).padStart(2, "0")}-${name}.png`),
      fullPage: true,
    });
  };
}

/** On a failure: a screenshot of every open page, and what it said. */
export async function failureShots(b: Browser, test: string) {
  const dir = join(screenshotDir, "failures");
  mkdirSync(dir, { recursive: true });
  const safe = test.replace(/[^a-z0-9]+/gi, "-").slice(0, 80);
  let i = 0;
  for (const page of b.context.pages()) {
    i += 1;
    try {
      await page.screenshot({ path: join(dir, `${safe}-${i}.png`), fullPage: true });
      console.error(
        `failure page ${i}: ${page.url()}\n${(await page.locator("body").innerText()).slice(0, 2000)}`,
      );
    } catch {
      /* the page may be gone */
    }
  }
}

/**
 * The newest link to `path` (e.g. "/access", "/reset-password") mailed to
 * `to`: /dev/mail lists the messages newest first, and each message's page
 * (/dev/mail/{id}) shows its body with the link. Waits for the mail job.
 */
export async function mailedLinkTo(
  server: Server,
  to: string,
  path: string,
  opts: { after?: string | string[]; timeoutMs?: number } = {},
): Promise<string> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  const skip = new Set(Array.isArray(opts.after) ? opts.after : opts.after ? [opts.after] : []);
  const pattern = new RegExp(
    `https?://[^\\s"'<>]+${path.replace(/[/]/g, "\\/")}\\?token=[A-Za-z0-9._-]+`,
  );
  for (;;) {
    const html = await (await fetch(`${server.url}/dev/mail`)).text();
    for (const row of html.split("<tr>")) {
      const cells = [...row.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((m) => m[1]);
      if (cells.length < 5 || cells[1] !== to) continue;
      const id = /href="\/dev\/mail\/([^"]+)"/.exec(row)?.[1];
      if (!id) continue;
      const body = (await (await fetch(`${server.url}/dev/mail/${id}`)).text()).replace(
        /&amp;/g,
        "&",
      );
      const link = pattern.exec(body)?.[0];
      if (link && !skip.has(link)) return link;
      if (link) break; // newest first: this recipient's newest such link is not new
    }
    if (Date.now() > deadline)
      throw new Error(`no mail with a ${path} link for ${to} in /dev/mail`);
    await sleep(250);
  }
}
