import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { print, type DocumentNode } from "graphql";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { MemoryRouter, Route, Routes } from "react-router";
import { Client, Provider, subscriptionExchange, type ExecutionResult } from "urql";
import { I18nProvider } from "../i18n/I18n";
import { makeSetup } from "../test/render";
import type { Setup } from "./steps";
import { AssignmentStep } from "./steps/AssignmentStep";
import { RoleStep } from "./steps/RoleStep";
import { WizardLayout } from "./WizardLayout";
import { WizardProvider } from "./WizardContext";

// The wizard's provider and layout against a fake server: every operation
// goes through one exchange, so the test sees each call's variables and
// decides each answer (and pushes live-status events).

interface Call {
  kind: string;
  name: string;
  variables: Record<string, unknown>;
}

type Sink = { next: (v: ExecutionResult) => void; complete: () => void };

function fakeServer(answer: (call: Call) => unknown) {
  const calls: Call[] = [];
  const live: Sink[] = [];
  const client = new Client({
    url: "http://test.invalid/graphql",
    requestPolicy: "network-only",
    exchanges: [
      subscriptionExchange({
        enableAllOperations: true,
        forwardSubscription(request, operation) {
          return {
            subscribe(sink: Sink) {
              const doc = operation.query as DocumentNode;
              const def = doc.definitions.find((d) => d.kind === "OperationDefinition");
              const name = def && "name" in def && def.name ? def.name.value : print(doc);
              const call = {
                kind: operation.kind,
                name,
                variables: (request.variables ?? {}) as Record<string, unknown>,
              };
              calls.push(call);
              if (operation.kind === "subscription") {
                live.push(sink);
              } else {
                queueMicrotask(() => {
                  sink.next({ data: answer(call) } as ExecutionResult);
                  sink.complete();
                });
              }
              return { unsubscribe() {} };
            },
          };
        },
      }),
    ],
  });
  const push = (draftId: string | null) =>
    act(() => {
      for (const s of live) {
        s.next({
          data: {
            orderStatusChanged: {
              status: "IN_SETUP",
              step: "ROLE",
              draftId,
              at: "2026-11-30T12:00:00Z",
              order: { id: "ord_01test", subscription: null },
            },
          },
        });
      }
    });
  return { client, calls, push, named: (n: string) => calls.filter((c) => c.name === n) };
}

function renderWizard(client: Client, path: string) {
  return render(
    <I18nProvider lang="en">
      <Provider value={client}>
        <MemoryRouter initialEntries={[path]}>
          <WizardProvider client={client}>
            <Routes>
              <Route path="/setup" element={<WizardLayout />}>
                <Route path="role" element={<RoleStep />} />
                <Route path="assignment" element={<AssignmentStep />} />
              </Route>
            </Routes>
          </WizardProvider>
        </MemoryRouter>
      </Provider>
    </I18nProvider>,
  );
}

const setupAt = (draftId: string, over: Partial<Setup> = {}) =>
  makeSetup({ draftId, ...over }, { id: "ord_01test", step: over.step ?? "ROLE" });

const notice =
  /This setup was opened in another tab or window, which started it again\. Your answers here were not saved\./;

beforeEach(() => {
  sessionStorage.setItem("onramp.setup.token", "link-token");
});
afterEach(() => {
  sessionStorage.clear();
});

describe("the tab's draft", () => {
  test("every wizard call sends the draftId the tab read", async () => {
    const user = userEvent.setup();
    const server = fakeServer((c) => {
      if (c.name === "Setup") return { setup: setupAt("d1") };
      if (c.name === "ChooseRole") {
        return {
          chooseRole: {
            setup: setupAt("d1", { step: "ASSIGNMENT", role: "PARTNER" }),
            userErrors: [],
          },
        };
      }
      throw new Error(`unexpected ${c.name}`);
    });
    renderWizard(server.client, "/setup/role");
    await screen.findByRole("heading", { level: 1, name: "What is your role?" });
    await user.click(screen.getByRole("radio", { name: /I am a partner/ }));
    await user.click(screen.getByRole("button", { name: "Next" }));
    await screen.findByRole("heading", { level: 1, name: "Who will set up the services?" });
    expect(server.named("ChooseRole")[0].variables).toEqual({ role: "PARTNER", draftId: "d1" });
    expect(screen.queryByText(notice)).toBeNull();
  });

  test("DRAFT_RESTARTED: the notice, the session read again (never startSetup), and the start", async () => {
    const user = userEvent.setup();
    let restarted = false;
    const server = fakeServer((c) => {
      if (c.name === "Setup") {
        return {
          setup: restarted ? setupAt("d2") : setupAt("d1", { step: "ASSIGNMENT", role: "PARTNER" }),
        };
      }
      if (c.name === "AssignSetup") {
        restarted = true;
        return {
          assignSetup: {
            setup: null,
            handedOffTo: null,
            userErrors: [
              { field: null, code: "DRAFT_RESTARTED", message: "This setup was opened again…" },
            ],
          },
        };
      }
      if (c.name === "ChooseRole") {
        return {
          chooseRole: {
            setup: setupAt("d2", { step: "ASSIGNMENT", role: "CUSTOMER" }),
            userErrors: [],
          },
        };
      }
      throw new Error(`unexpected ${c.name}`);
    });
    renderWizard(server.client, "/setup/assignment");
    await screen.findByRole("heading", { level: 1, name: "Who will set up the services?" });
    await user.click(screen.getByRole("radio", { name: /Yes, I will set up/ }));
    await user.click(screen.getByRole("button", { name: "Next" }));

    await screen.findByRole("heading", { level: 1, name: "What is your role?" });
    expect(screen.getByText(notice)).toBeInTheDocument();
    expect(screen.getByText(notice).closest('[role="alert"]')).not.toBeNull();
    expect(server.named("AssignSetup")[0].variables).toMatchObject({ draftId: "d1" });
    expect(server.named("StartSetup")).toHaveLength(0);
    expect(server.named("Setup")).toHaveLength(2);
    // The form starts afresh, and the next call carries the adopted draft.
    expect(screen.getByRole("radio", { name: /I am a partner/ })).not.toBeChecked();
    await user.click(screen.getByRole("radio", { name: /I am the customer/ }));
    await user.click(screen.getByRole("button", { name: "Next" }));
    await screen.findByRole("heading", { level: 1, name: "Who will set up the services?" });
    expect(server.named("ChooseRole")[0].variables).toEqual({ role: "CUSTOMER", draftId: "d2" });
    // The notice belonged to the restart only.
    expect(screen.queryByText(notice)).toBeNull();
  });

  test("the live status names another draft: the tab restarts without waiting for its next call", async () => {
    let restarted = false;
    const server = fakeServer((c) => {
      if (c.name === "Setup") {
        return {
          setup: restarted ? setupAt("d2") : setupAt("d1", { step: "ASSIGNMENT", role: "PARTNER" }),
        };
      }
      throw new Error(`unexpected ${c.name}`);
    });
    renderWizard(server.client, "/setup/assignment");
    await screen.findByRole("heading", { level: 1, name: "Who will set up the services?" });
    await waitFor(() => expect(server.calls.some((c) => c.kind === "subscription")).toBe(true));
    expect(server.calls.find((c) => c.kind === "subscription")!.variables).toEqual({
      orderId: "ord_01test",
    });

    // The tab's own draft (the first event, or its own calls) changes nothing.
    await server.push("d1");
    expect(screen.queryByText(notice)).toBeNull();
    expect(server.named("Setup")).toHaveLength(1);

    restarted = true;
    await server.push("d2");
    await screen.findByRole("heading", { level: 1, name: "What is your role?" });
    expect(screen.getByText(notice)).toBeInTheDocument();
    expect(server.named("Setup")).toHaveLength(2);
    expect(server.named("StartSetup")).toHaveLength(0);

    // A late event of the old draft is not another restart.
    await server.push("d1");
    await server.push("d2");
    expect(server.named("Setup")).toHaveLength(2);
  });
});

describe("the restart notice", () => {
  test("shows on the page the tab landed on, and is gone once the person moves on", async () => {
    const user = userEvent.setup();
    let restarted = false;
    const server = fakeServer((c) => {
      if (c.name === "Setup") {
        // Tab B has already chosen the role under its new draft.
        return {
          setup: restarted ? setupAt("d2", { step: "ASSIGNMENT", role: "PARTNER" }) : setupAt("d1"),
        };
      }
      throw new Error(`unexpected ${c.name}`);
    });
    renderWizard(server.client, "/setup/role");
    await screen.findByRole("heading", { level: 1, name: "What is your role?" });
    await waitFor(() => expect(server.calls.some((c) => c.kind === "subscription")).toBe(true));
    restarted = true;
    await server.push("d2");
    await screen.findByRole("heading", { level: 1, name: "Who will set up the services?" });
    expect(screen.getByText(notice)).toBeInTheDocument();
    // The step list counts from the server's list.
    expect(screen.getByText("Step 2 of 10")).toBeInTheDocument();

    await user.click(screen.getByRole("link", { name: "Back" }));
    await screen.findByRole("heading", { level: 1, name: "What is your role?" });
    expect(screen.queryByText(notice)).toBeNull();
    await user.click(screen.getByRole("link", { name: /Who sets up/ }));
    await screen.findByRole("heading", { level: 1, name: "Who will set up the services?" });
    expect(screen.queryByText(notice)).toBeNull();
  });
});
