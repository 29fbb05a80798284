import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { Provider } from "urql";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { createApiClient } from "../api/client";
import { partnerToken } from "../api/session";
import { en } from "../i18n/en";
import { format, I18nProvider, type Lang } from "../i18n/I18n";
import { sr } from "../i18n/sr";
import { IntegrationsPage } from "./Integrations";
import { eventTypes, type Delivery, type Endpoint, type IntegrationKey } from "./integrationsModel";

// The page against a fake /graphql: each operation (by name) answers what
// the test says, and every request is kept.

type Answer = { data?: unknown; errors?: unknown[] };
type Handler = (variables: Record<string, unknown>) => Answer;

interface Call {
  operationName: string;
  variables: Record<string, unknown>;
  auth: string | null;
}

function delivery(over: Partial<Delivery> = {}): Delivery {
  return {
    id: "del_1",
    eventId: "evt_1",
    eventType: "order.placed",
    attempt: 1,
    status: "SUCCEEDED",
    statusCode: 200,
    error: null,
    at: "2026-11-30T10:00:00Z",
    durationMs: 12,
    ...over,
  };
}

function endpoint(over: Partial<Endpoint> = {}): Endpoint {
  return {
    id: "whe_1",
    url: "https://orders.partner.example/onramp",
    events: [],
    partnerAccountId: "P1",
    createdAt: "2026-11-29T09:00:00Z",
    disabledAt: null,
    failingSince: null,
    deliveries: [],
    ...over,
  };
}

function key(over: Partial<IntegrationKey> = {}): IntegrationKey {
  return {
    id: "ik_1",
    name: "Order system",
    partnerAccountId: "P1",
    createdBy: "admin@partner.example",
    createdAt: "2026-11-01T09:00:00Z",
    lastUsedAt: null,
    expiresAt: "2029-11-01T09:00:00Z",
    revokedAt: null,
    ...over,
  };
}

const noErrors = { userErrors: [] as unknown[] };

let calls: Call[];
let handlers: Record<string, Handler>;
let lists: { webhookEndpoints: Endpoint[]; integrationKeys: IntegrationKey[] };

beforeEach(() => {
  calls = [];
  lists = { webhookEndpoints: [], integrationKeys: [] };
  handlers = { Integrations: () => ({ data: lists }) };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (_url: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body)) as {
        operationName: string;
        variables?: Record<string, unknown>;
      };
      const headers = new Headers(init.headers);
      calls.push({
        operationName: body.operationName,
        variables: body.variables ?? {},
        auth: headers.get("authorization"),
      });
      const h = handlers[body.operationName];
      const answer = h
        ? h(body.variables ?? {})
        : { errors: [{ message: `no handler for ${body.operationName}` }] };
      return new Response(JSON.stringify(answer), {
        status: 200,
        headers: { "Content-Type": "application/json" },
      });
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const callsOf = (name: string) => calls.filter((c) => c.operationName === name);

function renderPage(lang: Lang = "en", token: string | null = "partner-token") {
  if (token) partnerToken.set(token);
  const client = createApiClient(partnerToken.get, { cache: true });
  return render(
    <I18nProvider lang={lang}>
      <Provider value={client}>
        <MemoryRouter initialEntries={["/partner/integrations"]}>
          <Routes>
            <Route path="/partner/integrations" element={<IntegrationsPage />} />
            <Route path="/partner" element={<p>overview</p>} />
            <Route path="/signin" element={<p>sign-in page</p>} />
          </Routes>
        </MemoryRouter>
      </Provider>
    </I18nProvider>,
  );
}

async function loaded() {
  await screen.findByRole("heading", { level: 2, name: en["webhooks.title"] });
}

describe("the integrations page", { timeout: 30_000 }, () => {
  test("without a partner session it goes to the sign-in page", async () => {
    renderPage("en", null);
    expect(await screen.findByText("sign-in page")).toBeInTheDocument();
    expect(calls).toEqual([]);
  });

  test("its heading takes the focus; endpoints by state with their deliveries, keys with their last use", async () => {
    lists.webhookEndpoints = [
      endpoint({
        deliveries: [
          delivery(),
          delivery({
            id: "del_2",
            eventType: "order.link_sent",
            status: "FAILED",
            statusCode: 500,
            attempt: 2,
            error: "HTTP 500",
          }),
        ],
      }),
      endpoint({
        id: "whe_2",
        url: "https://b.partner.example/hook",
        failingSince: "2026-11-29T10:00:00Z",
        events: ["order.provisioned"],
      }),
      endpoint({
        id: "whe_3",
        url: "https://c.partner.example/hook",
        disabledAt: "2026-11-30T10:00:00Z",
        failingSince: "2026-11-27T10:00:00Z",
      }),
    ];
    lists.integrationKeys = [
      key(),
      key({ id: "ik_2", name: "Reporting", lastUsedAt: "2026-11-30T08:00:00Z" }),
      key({ id: "ik_3", name: "Old", revokedAt: "2026-11-20T08:00:00Z" }),
    ];
    renderPage();
    const h1 = await screen.findByRole("heading", { level: 1, name: en["integrations.title"] });
    expect(h1).toHaveFocus();
    await loaded();
    expect(calls[0].auth).toBe("Bearer partner-token");
    expect(screen.getByRole("link", { name: en["integrations.back"] })).toHaveAttribute(
      "href",
      "/partner",
    );

    const a = screen.getByRole("article", { name: "https://orders.partner.example/onramp" });
    expect(within(a).getByText(en["webhooks.active"])).toBeInTheDocument();
    expect(within(a).getByText(en["webhooks.allEvents"])).toBeInTheDocument();
    const table = within(a).getByRole("region", {
      name: format(en["webhooks.deliveriesOf"], { url: "https://orders.partner.example/onramp" }),
    });
    const rows = within(table).getAllByRole("row");
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveTextContent(en["event.order.placed"]);
    expect(rows[1]).toHaveTextContent(en["webhooks.succeeded"]);
    expect(rows[1]).toHaveTextContent("HTTP 200");
    expect(rows[2]).toHaveTextContent(en["webhooks.failed"]);
    expect(rows[2]).toHaveTextContent("HTTP 500");
    expect(within(rows[2]).getByRole("cell", { name: "2" })).toBeInTheDocument();

    const b = screen.getByRole("article", { name: "https://b.partner.example/hook" });
    expect(within(b).getByText(/^Failing since/)).toBeInTheDocument();
    expect(within(b).getByText(en["event.order.provisioned"])).toBeInTheDocument();
    expect(within(b).getByText(en["webhooks.noDeliveries"])).toBeInTheDocument();

    const c = screen.getByRole("article", { name: "https://c.partner.example/hook" });
    expect(within(c).getByText(/^Disabled since/)).toBeInTheDocument();
    expect(within(c).queryByText(/^Failing since/)).toBeNull();

    const keys = screen.getByRole("region", { name: en["keys.list"] });
    const keyRows = within(keys).getAllByRole("row");
    expect(keyRows[1]).toHaveTextContent(en["keys.never"]);
    expect(keyRows[1]).toHaveTextContent(en["keys.active"]);
    expect(keyRows[2]).not.toHaveTextContent(en["keys.never"]);
    expect(keyRows[3]).toHaveTextContent(/Revoked/);
    // A revoked key has no Revoke button.
    expect(within(keyRows[3]).queryByRole("button")).toBeNull();
    expect(
      within(keyRows[1]).getByRole("button", { name: "Revoke Order system" }),
    ).toBeInTheDocument();
  });

  test("adding an endpoint: every event by default (sent as all), the secret shown once and copied", async () => {
    const user = userEvent.setup();
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    handlers.CreateWebhookEndpoint = (v) => {
      const input = v.input as { url: string };
      const ep = endpoint({ id: "whe_9", url: input.url });
      lists.webhookEndpoints = [ep];
      return {
        data: { createWebhookEndpoint: { endpoint: ep, secret: "whsec_abc123", ...noErrors } },
      };
    };
    renderPage();
    await loaded();
    const boxes = screen.getAllByRole("checkbox");
    expect(boxes).toHaveLength(eventTypes.length);
    for (const b of boxes) expect(b).toBeChecked();

    await user.type(
      screen.getByLabelText(en["webhooks.url"]),
      " https://new.partner.example/hook ",
    );
    await user.click(screen.getByRole("button", { name: en["webhooks.submit"] }));

    const title = await screen.findByRole("heading", {
      name: format(en["secret.endpointTitle"], { url: "https://new.partner.example/hook" }),
    });
    expect(callsOf("CreateWebhookEndpoint")[0].variables).toEqual({
      input: { url: "https://new.partner.example/hook" },
    });
    await waitFor(() => expect(title).toHaveFocus());
    expect(screen.getByText(en["secret.once"])).toBeInTheDocument();
    expect(screen.getByLabelText(en["secret.secretLabel"])).toHaveValue("whsec_abc123");
    expect(screen.getByLabelText(en["secret.secretLabel"])).toHaveAttribute("readonly");

    await user.click(screen.getByRole("button", { name: en["secret.copy"] }));
    expect(writeText).toHaveBeenCalledWith("whsec_abc123");
    expect(await screen.findByText(en["secret.copied"])).toBeInTheDocument();

    // The form is empty again, and the list was read again.
    expect(screen.getByLabelText(en["webhooks.url"])).toHaveValue("");
    expect(
      await screen.findByRole("article", { name: "https://new.partner.example/hook" }),
    ).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: en["secret.done"] }));
    expect(screen.queryByText(en["secret.once"])).toBeNull();
    expect(screen.queryByDisplayValue("whsec_abc123")).toBeNull();
    expect(screen.getByRole("heading", { level: 2, name: en["webhooks.title"] })).toHaveFocus();
  });

  test("some events only: those are sent; none: the form says so and sends nothing", async () => {
    const user = userEvent.setup();
    handlers.CreateWebhookEndpoint = () => ({
      data: { createWebhookEndpoint: { endpoint: endpoint(), secret: "s", ...noErrors } },
    });
    renderPage();
    await loaded();
    await user.type(
      screen.getByLabelText(en["webhooks.url"]),
      "https://orders.partner.example/onramp",
    );
    for (const type of eventTypes)
      await user.click(
        screen.getByRole("checkbox", { name: new RegExp(type.replace(".", "\\.")) }),
      );
    await user.click(screen.getByRole("button", { name: en["webhooks.submit"] }));
    const error = await screen.findByText(en["integrations.v.events"], {
      selector: ".field-error",
    });
    expect(error).toBeInTheDocument();
    expect(screen.getAllByRole("checkbox")[0]).toHaveFocus();
    expect(screen.getByRole("group", { name: en["webhooks.events"] })).toHaveAccessibleDescription(
      `${en["webhooks.eventsHint"]} ${en["integrations.v.events"]}`,
    );
    expect(callsOf("CreateWebhookEndpoint")).toHaveLength(0);

    await user.click(screen.getByRole("checkbox", { name: /order\.provisioned/ }));
    await user.click(screen.getByRole("checkbox", { name: /order\.placed/ }));
    await user.click(screen.getByRole("button", { name: en["webhooks.submit"] }));
    await screen.findByText(en["secret.once"]);
    expect(callsOf("CreateWebhookEndpoint")[0].variables).toEqual({
      input: {
        url: "https://orders.partner.example/onramp",
        events: ["order.placed", "order.provisioned"],
      },
    });
  });

  test("the URL: checked before sending, and the server's INVALID at the field, translated by code", async () => {
    const user = userEvent.setup();
    handlers.CreateWebhookEndpoint = () => ({
      data: {
        createWebhookEndpoint: {
          endpoint: null,
          secret: null,
          userErrors: [
            { field: ["input", "url"], code: "INVALID", message: "The URL must use https." },
          ],
        },
      },
    });
    renderPage("sr");
    await screen.findByRole("heading", { level: 2, name: sr["webhooks.title"] });
    const url = screen.getByLabelText(sr["webhooks.url"]);
    await user.click(screen.getByRole("button", { name: sr["webhooks.submit"] }));
    expect(
      await screen.findByText(sr["v.required"], { selector: ".field-error" }),
    ).toBeInTheDocument();
    expect(url).toHaveFocus();
    await user.type(url, "orders.partner.example");
    await user.click(screen.getByRole("button", { name: sr["webhooks.submit"] }));
    expect(
      await screen.findByText(sr["integrations.v.url"], { selector: ".field-error" }),
    ).toBeInTheDocument();
    expect(callsOf("CreateWebhookEndpoint")).toHaveLength(0);

    await user.clear(url);
    await user.type(url, "http://orders.partner.example/hook");
    await user.click(screen.getByRole("button", { name: sr["webhooks.submit"] }));
    expect(
      await screen.findByText(sr["integrations.v.urlServer"], { selector: ".field-error" }),
    ).toBeInTheDocument();
    expect(url).toHaveAttribute("aria-invalid", "true");
    expect(url).toHaveFocus();
    // The summary (an alert) lists it too; the server's English never shows.
    expect(screen.queryByText("The URL must use https.")).toBeNull();
    expect(screen.queryByText(en["secret.once"])).toBeNull();
  });

  test("delete: behind a confirmation; Cancel keeps it", async () => {
    const user = userEvent.setup();
    lists.webhookEndpoints = [endpoint()];
    handlers.DeleteWebhookEndpoint = (v) => {
      lists.webhookEndpoints = [];
      return { data: { deleteWebhookEndpoint: { deletedId: v.id, ...noErrors } } };
    };
    renderPage();
    await loaded();
    const card = screen.getByRole("article", { name: "https://orders.partner.example/onramp" });
    await user.click(within(card).getByRole("button", { name: en["webhooks.delete"] }));
    let dialog = screen.getByRole("dialog", { name: en["webhooks.deleteTitle"] });
    expect(dialog).toHaveTextContent(
      format(en["webhooks.deleteBody"], { url: "https://orders.partner.example/onramp" }),
    );
    expect(within(dialog).getByRole("button", { name: en["common.cancel"] })).toHaveFocus();
    await user.click(within(dialog).getByRole("button", { name: en["common.cancel"] }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(callsOf("DeleteWebhookEndpoint")).toHaveLength(0);

    await user.click(within(card).getByRole("button", { name: en["webhooks.delete"] }));
    dialog = screen.getByRole("dialog", { name: en["webhooks.deleteTitle"] });
    await user.click(within(dialog).getByRole("button", { name: en["webhooks.delete"] }));
    expect(
      await screen.findByText(
        format(en["webhooks.deleted"], { url: "https://orders.partner.example/onramp" }),
      ),
    ).toBeInTheDocument();
    expect(callsOf("DeleteWebhookEndpoint")[0].variables).toEqual({ id: "whe_1" });
    expect(await screen.findByText(en["webhooks.none"])).toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByRole("heading", { level: 2, name: en["webhooks.title"] })).toHaveFocus(),
    );
  });

  test("rotate: behind a confirmation, then the new secret shown once", async () => {
    const user = userEvent.setup();
    lists.webhookEndpoints = [endpoint()];
    handlers.RotateWebhookSecret = () => ({
      data: {
        rotateWebhookSecret: {
          endpoint: { id: "whe_1", url: "https://orders.partner.example/onramp" },
          secret: "whsec_new",
          ...noErrors,
        },
      },
    });
    renderPage();
    await loaded();
    await user.click(screen.getByRole("button", { name: en["webhooks.rotate"] }));
    const dialog = screen.getByRole("dialog", { name: en["webhooks.rotateTitle"] });
    expect(dialog).toHaveTextContent("24 hours");
    await user.click(within(dialog).getByRole("button", { name: en["webhooks.rotate"] }));
    expect(
      await screen.findByRole("heading", {
        name: format(en["secret.rotatedTitle"], { url: "https://orders.partner.example/onramp" }),
      }),
    ).toBeInTheDocument();
    expect(screen.getByLabelText(en["secret.secretLabel"])).toHaveValue("whsec_new");
    expect(callsOf("RotateWebhookSecret")[0].variables).toEqual({ id: "whe_1" });
  });

  test("redeliver: announced; a disabled endpoint's error translated by code", async () => {
    const user = userEvent.setup();
    lists.webhookEndpoints = [endpoint({ deliveries: [delivery()] })];
    let disabled = false;
    handlers.RedeliverWebhook = () =>
      disabled
        ? {
            data: {
              redeliverWebhook: {
                endpoint: null,
                userErrors: [{ field: null, code: "ENDPOINT_DISABLED", message: "English" }],
              },
            },
          }
        : { data: { redeliverWebhook: { endpoint: { id: "whe_1" }, ...noErrors } } };
    renderPage();
    await loaded();
    await user.click(screen.getByRole("button", { name: /^Redeliver order\.placed of / }));
    expect(
      await screen.findByText(format(en["webhooks.redelivered"], { event: "order.placed" })),
    ).toBeInTheDocument();
    expect(callsOf("RedeliverWebhook")[0].variables).toEqual({ deliveryId: "del_1" });

    disabled = true;
    await user.click(screen.getByRole("button", { name: /^Redeliver order\.placed of / }));
    expect(await screen.findByText(en["code.ENDPOINT_DISABLED"])).toBeInTheDocument();
    expect(screen.queryByText("English")).toBeNull();
  });

  test("a disabled endpoint offers no redelivery", async () => {
    lists.webhookEndpoints = [
      endpoint({
        disabledAt: "2026-11-30T10:00:00Z",
        deliveries: [delivery({ status: "FAILED", statusCode: null, error: "timeout" })],
      }),
    ];
    renderPage();
    await loaded();
    expect(screen.getByText("timeout")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Redeliver/ })).toBeNull();
    expect(screen.getByText(en["webhooks.disabledHint"])).toBeInTheDocument();
  });

  test("keys: created with the token shown once, revoked behind a confirmation", async () => {
    const user = userEvent.setup();
    handlers.CreateIntegrationKey = (v) => {
      const k = key({ id: "ik_9", name: String(v.name) });
      lists.integrationKeys = [k];
      return { data: { createIntegrationKey: { key: k, token: "eyJ.token", ...noErrors } } };
    };
    handlers.RevokeIntegrationKey = (v) => {
      lists.integrationKeys = [key({ id: "ik_9", name: "CRM", revokedAt: "2026-11-30T11:00:00Z" })];
      return {
        data: {
          revokeIntegrationKey: {
            key: { id: v.id, revokedAt: "2026-11-30T11:00:00Z" },
            ...noErrors,
          },
        },
      };
    };
    renderPage();
    await loaded();
    await user.click(screen.getByRole("button", { name: en["keys.submit"] }));
    expect(
      await screen.findByText(en["v.required"], { selector: ".field-error" }),
    ).toBeInTheDocument();
    expect(screen.getByLabelText(en["keys.name"])).toHaveFocus();
    expect(callsOf("CreateIntegrationKey")).toHaveLength(0);

    await user.type(screen.getByLabelText(en["keys.name"]), "CRM");
    await user.click(screen.getByRole("button", { name: en["keys.submit"] }));
    const title = await screen.findByRole("heading", {
      name: format(en["secret.keyTitle"], { name: "CRM" }),
    });
    await waitFor(() => expect(title).toHaveFocus());
    expect(callsOf("CreateIntegrationKey")[0].variables).toEqual({ name: "CRM" });
    expect(screen.getByLabelText(en["secret.tokenLabel"])).toHaveValue("eyJ.token");
    expect(screen.getByText(en["secret.once"])).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: en["secret.done"] }));
    expect(screen.getByRole("heading", { level: 2, name: en["keys.title"] })).toHaveFocus();

    const row = (await screen.findByRole("rowheader", { name: "CRM" })).closest("tr")!;
    await user.click(within(row as HTMLElement).getByRole("button", { name: "Revoke CRM" }));
    const dialog = screen.getByRole("dialog", { name: en["keys.revokeTitle"] });
    expect(dialog).toHaveTextContent(format(en["keys.revokeBody"], { name: "CRM" }));
    await user.click(within(dialog).getByRole("button", { name: en["keys.revoke"] }));
    expect(
      await screen.findByText(format(en["keys.revoked"], { name: "CRM" })),
    ).toBeInTheDocument();
    expect(callsOf("RevokeIntegrationKey")[0].variables).toEqual({ id: "ik_9" });
    await waitFor(() => expect(screen.queryByRole("button", { name: "Revoke CRM" })).toBeNull());
  });

  test("a key name the server refuses: its own message at the field", async () => {
    const user = userEvent.setup();
    handlers.CreateIntegrationKey = () => ({
      data: {
        createIntegrationKey: {
          key: null,
          token: null,
          userErrors: [{ field: ["name"], code: "INVALID", message: "English" }],
        },
      },
    });
    renderPage();
    await loaded();
    await user.type(screen.getByLabelText(en["keys.name"]), "bad\u0007name");
    await user.click(screen.getByRole("button", { name: en["keys.submit"] }));
    expect(
      await screen.findByText(en["integrations.v.keyName"], { selector: ".field-error" }),
    ).toBeInTheDocument();
    expect(screen.getByLabelText(en["keys.name"])).toHaveAttribute("aria-invalid", "true");
  });

  test("something already gone (NOT_FOUND): said so, and the lists read again", async () => {
    const user = userEvent.setup();
    lists.webhookEndpoints = [endpoint()];
    handlers.DeleteWebhookEndpoint = () => {
      lists.webhookEndpoints = [];
      return {
        data: null,
        errors: [{ message: "No such webhook endpoint.", extensions: { code: "NOT_FOUND" } }],
      };
    };
    renderPage();
    await loaded();
    const before = callsOf("Integrations").length;
    await user.click(screen.getByRole("button", { name: en["webhooks.delete"] }));
    await user.click(
      within(screen.getByRole("dialog")).getByRole("button", { name: en["webhooks.delete"] }),
    );
    expect(await screen.findByText(en["integrations.gone"])).toBeInTheDocument();
    expect(callsOf("Integrations").length).toBeGreaterThan(before);
    expect(await screen.findByText(en["webhooks.none"])).toBeInTheDocument();
  });

  test("an ended session goes to the sign-in page and forgets the token", async () => {
    handlers.Integrations = () => ({
      errors: [{ message: "expired", extensions: { code: "UNAUTHENTICATED", reason: "EXPIRED" } }],
    });
    renderPage();
    expect(await screen.findByText("sign-in page")).toBeInTheDocument();
    expect(partnerToken.get()).toBeNull();
  });

  test("the lists are read again while the page is open", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      renderPage();
      await loaded();
      const n = callsOf("Integrations").length;
      lists.webhookEndpoints = [endpoint({ deliveries: [delivery()] })];
      await act(async () => {
        await vi.advanceTimersByTimeAsync(10_000);
      });
      await waitFor(() => expect(callsOf("Integrations").length).toBeGreaterThan(n));
      expect(await screen.findByText(en["webhooks.succeeded"])).toBeInTheDocument();
    } finally {
      vi.useRealTimers();
    }
  });

  test("Serbian", async () => {
    lists.webhookEndpoints = [endpoint({ deliveries: [delivery()] })];
    lists.integrationKeys = [key()];
    renderPage("sr");
    expect(
      await screen.findByRole("heading", { level: 1, name: "Integracije" }),
    ).toBeInTheDocument();
    expect(
      await screen.findByRole("heading", { level: 2, name: sr["keys.title"] }),
    ).toBeInTheDocument();
    expect(screen.getByText(sr["webhooks.succeeded"])).toBeInTheDocument();
    expect(screen.getAllByText(sr["event.order.placed"]).length).toBeGreaterThan(1);
    expect(screen.getByText(sr["keys.never"])).toBeInTheDocument();
    expect(screen.getByRole("button", { name: sr["webhooks.rotate"] })).toBeInTheDocument();
  });
});
