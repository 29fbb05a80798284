// GraphQL-over-HTTP conformance: runs graphql-http's server audit against a
// real `onramp serve` (dev mode, its own SQLite file in a temporary folder,
// a free port on 127.0.0.1), prints every result, and exits non-zero when
// any audit reports an error. Warnings are listed (and explained in the
// README's "GraphQL-over-HTTP conformance" section).
//
//   node conformance/audit.mjs            (after `make build`)
//   ONRAMP_BIN=/path/to/onramp node conformance/audit.mjs
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { auditServer } from "graphql-http";

const here = dirname(fileURLToPath(import.meta.url));
const onrampBin = process.env.ONRAMP_BIN ?? join(resolve(here, "../.."), "bin/onramp");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function startServer() {
  if (!existsSync(onrampBin)) {
    throw new Error(
      `${onrampBin} not found: build it with \`make build\` (\`make test-conformance\` does).`,
    );
  }
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "onramp-conformance-"));
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    ONRAMP_DEV: "true",
    ONRAMP_DATA_DIR: dataDir,
    ONRAMP_DATABASE_URL: "",
    ONRAMP_ADDR: `127.0.0.1:${port}`,
    ONRAMP_PUBLIC_URL: url,
  };
  let output = "";
  const proc = spawn(onrampBin, ["serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout.on("data", (b) => (output += b));
  proc.stderr.on("data", (b) => (output += b));
  let exited = false;
  proc.on("exit", () => (exited = true));
  const stop = async () => {
    if (!exited) {
      const done = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await Promise.race([done, sleep(10_000)]);
      if (!exited) proc.kill("SIGKILL");
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`onramp serve exited at start:\n${output}`);
    }
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`onramp serve did not become healthy in 30 s:\n${output}`);
    }
    await sleep(150);
  }
  return { url, stop, log: () => output };
}

const server = await startServer();
let failed = false;
try {
  const results = await auditServer({ url: `${server.url}/graphql` });
  const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
  const mark = { ok: "✓", notice: "i", warn: "?", error: "!" };
  for (const r of results) {
    counts[r.status]++;
    let line = `${mark[r.status]} ${r.id} ${r.name}`;
    if (r.status !== "ok") {
      line += `\n    ${r.status}: ${r.reason}`;
      if (r.response) {
        const body = await r.response.text().catch(() => "");
        line += `\n    HTTP ${r.response.status} ${r.response.headers.get("content-type") ?? ""} ${body.slice(0, 300)}`;
      }
    }
    console.log(line);
  }
  const warnings = results.filter((r) => r.status === "warn");
  console.log(
    `\n${results.length} audits: ${counts.ok} ok, ${counts.notice} notice, ${counts.warn} warn, ${counts.error} error`,
  );
  if (warnings.length) {
    console.log("Warnings (see README, GraphQL-over-HTTP conformance):");
    for (const w of warnings) console.log(`  ${w.id} ${w.name}`);
  }
  if (counts.error > 0) {
    failed = true;
    console.error(`\nGraphQL-over-HTTP conformance: ${counts.error} error(s).`);
  }
} catch (err) {
  failed = true;
  console.error(err);
  console.error(`\nserver log:\n${server.log()}`);
} finally {
  await server.stop();
}
process.exit(failed ? 1 : 0);
