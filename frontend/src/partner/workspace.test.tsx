import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { partnerToken, setupToken } from "../api/session";
import { en } from "../i18n/en";
import { format, I18nProvider, type Lang } from "../i18n/I18n";
import { sr } from "../i18n/sr";
import { fakeApi, unauthenticated, type FakeApi } from "../test/fakeApi";
import { ChangePasswordPage } from "./Account";
import { OrderPage, type WorkspaceOrder } from "./OrderPage";
import { openStatuses, ordersWhere, PartnerHome } from "./PartnerHome";
import { SignInPage } from "./SignIn";
import { PartnerRoot } from "./Workspace";

let api: FakeApi;

function orderNode(n: number, over: Record<string, unknown> = {}) {
  return {
    id: `ord_${n}`,
    externalID: `CCW-${1000 + n}`,
    product: "A_WX",
    customerName: `Customer ${n}`,
    requestedStartDate: "2026-11-24",
    status: "IN_SETUP",
    step: "CUSTOMER_ORG",
    ...over,
  };
}

function order(over: Partial<WorkspaceOrder> = {}): WorkspaceOrder {
  return {
    id: "ord_1",
    externalID: "CCW-1001",
    product: "A_WX",
    status: "IN_SETUP",
    step: "CUSTOMER_ORG",
    requestedStartDate: "2026-11-24",
    provisioningContactEmail: "contact@partner.example",
    customerName: "Acme d.o.o.",
    customerCountry: "RS",
    handedToCustomer: false,
    holdReason: null,
    confirmedByEmail: null,
    cancelledAt: null,
    subscription: {
      id: "sub_1",
      status: "PENDING",
      activatedAt: null,
      billingStartedAt: null,
      services: [
        { kind: "MEETINGS", quantity: 25 },
        { kind: "CALLING", quantity: 10 },
      ],
    },
    customerAccess: null,
    ...over,
  };
}

const viewer = {
  viewer: {
    kind: "PARTNER",
    email: "admin@partner.example",
    organization: {
      id: "org_1",
      name: "Partner One",
      country: "RS",
      accountID: "P1",
      managedCustomers: [],
    },
  },
};

function Where() {
  const loc = useLocation();
  return <p data-testid="where">{loc.pathname + loc.search}</p>;
}

function renderAt(path: string, lang: Lang = "en", token: string | null = "partner-token") {
  if (token) partnerToken.set(token);
  return render(
    <I18nProvider lang={lang}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route element={<PartnerRoot />}>
            <Route path="/signin" element={<SignInPage />} />
            <Route path="/partner" element={<PartnerHome />} />
            <Route path="/partner/orders/:id" element={<OrderPage />} />
            <Route path="/partner/password" element={<ChangePasswordPage />} />
            <Route path="/partner/integrations" element={<p>integrations</p>} />
          </Route>
          <Route path="/setup" element={<p>wizard</p>} />
        </Routes>
        <Where />
      </MemoryRouter>
    </I18nProvider>,
  );
}

beforeEach(() => {
  api = fakeApi();
  api.handlers.PartnerOrganization = () => ({ data: viewer });
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("the orders filter", () => {
  test("status and search become the API's where", () => {
    expect(ordersWhere("", "")).toBeUndefined();
    expect(ordersWhere("OPEN", "")).toEqual({ statusIn: openStatuses });
    expect(ordersWhere("PROVISIONED", " ")).toEqual({ statusIn: ["PROVISIONED"] });
    expect(ordersWhere("NOPE", "acme")).toEqual({
      or: [{ externalIDContainsFold: "acme" }, { customerNameContainsFold: "acme" }],
    });
  });
});

describe("the partner workspace", { timeout: 30_000 }, () => {
  test("lists the orders as cards with links, searches, filters by status and pages", async () => {
    const pages: Record<string, unknown> = {};
    api.handlers.PartnerOrders = (v) => {
      const after = (v.after as string | null) ?? null;
      const first = after === null;
      const nodes = first
        ? [orderNode(1), orderNode(2, { status: "PROVISIONED", step: "DONE" })]
        : [orderNode(3)];
      pages[String(after)] = v;
      return {
        data: {
          orders: {
            totalCount: 3,
            pageInfo: { hasNextPage: first, endCursor: first ? "c2" : "c3" },
            edges: nodes.map((node) => ({ node })),
          },
        },
      };
    };
    const user = userEvent.setup();
    renderAt("/partner");
    const h1 = await screen.findByRole("heading", { level: 1, name: en["partner.title"] });
    expect(h1).toHaveFocus();
    const list = await screen.findByRole("list", { name: en["partner.orders"] });
    const cards = within(list).getAllByRole("listitem");
    expect(cards).toHaveLength(2);
    expect(within(cards[0]).getByRole("link", { name: "CCW-1001" })).toHaveAttribute(
      "href",
      "/partner/orders/ord_1",
    );
    expect(within(cards[1]).getByText(en["orderStatus.PROVISIONED"])).toBeInTheDocument();
    expect(screen.getByText(format(en["orders.count"], { n: 3 }))).toBeInTheDocument();
    expect(api.callsOf("PartnerOrders")[0].auth).toBe("Bearer partner-token");
    expect(api.callsOf("PartnerOrders")[0].variables).toMatchObject({ first: 20, after: null });

    // Next page, then back.
    await user.click(screen.getByRole("button", { name: en["orders.next"] }));
    await waitFor(() =>
      expect(
        within(screen.getByRole("list", { name: en["partner.orders"] })).getAllByRole("listitem"),
      ).toHaveLength(1),
    );
    expect(api.callsOf("PartnerOrders").at(-1)!.variables.after).toBe("c2");
    expect(screen.getByText(format(en["orders.page"], { n: 2 }))).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: en["orders.previous"] }));
    await waitFor(() =>
      expect(screen.getByText(format(en["orders.page"], { n: 1 }))).toBeInTheDocument(),
    );

    // Search (after a pause in typing) and a status: in the URL and the where.
    await user.type(screen.getByRole("searchbox", { name: en["orders.search"] }), "acme");
    await waitFor(() =>
      expect(api.callsOf("PartnerOrders").at(-1)!.variables.where).toEqual({
        or: [{ externalIDContainsFold: "acme" }, { customerNameContainsFold: "acme" }],
      }),
    );
    await user.selectOptions(screen.getByRole("combobox", { name: en["orders.status"] }), "OPEN");
    await waitFor(() =>
      expect(api.callsOf("PartnerOrders").at(-1)!.variables.where).toEqual({
        statusIn: openStatuses,
        or: [{ externalIDContainsFold: "acme" }, { customerNameContainsFold: "acme" }],
      }),
    );
    expect(screen.getByTestId("where").textContent).toBe("/partner?q=acme&status=OPEN");
  });

  test("a revoked session drops the token and shows the sign-in page saying why", async () => {
    api.handlers.PartnerOrders = () => unauthenticated("REVOKED");
    api.handlers.PartnerOrganization = () => unauthenticated("REVOKED");
    renderAt("/partner");
    expect(await screen.findByText(en["partner.sessionRevoked"])).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 1, name: en["signin.title"] })).toBeInTheDocument();
    expect(partnerToken.get()).toBeNull();
  });

  test("sign out ends the session on the server, then here", async () => {
    api.handlers.PartnerOrders = () => ({
      data: {
        orders: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] },
      },
    });
    api.handlers.SignOut = () => ({ data: { signOut: { signedOut: true, userErrors: [] } } });
    const user = userEvent.setup();
    renderAt("/partner", "sr");
    await screen.findByText(sr["partner.noOrders"]);
    const nav = screen.getByRole("navigation", { name: sr["workspace.nav"] });
    await user.click(within(nav).getByRole("button", { name: sr["partner.signout"] }));
    expect(await screen.findByText(sr["signin.signedOut"])).toBeInTheDocument();
    expect(api.callsOf("SignOut")[0].auth).toBe("Bearer partner-token");
    expect(partnerToken.get()).toBeNull();
    expect(screen.getByRole("link", { name: sr["signin.forgot"] })).toHaveAttribute(
      "href",
      "/signin/forgot",
    );
  });
});

describe("an order's page", { timeout: 30_000 }, () => {
  test("details, services, the customer's consent, and the live status", async () => {
    api.handlers.PartnerOrder = () => ({
      data: {
        order: order({
          customerAccess: {
            id: "pa_1",
            state: "PENDING",
            partnerName: "Partner One",
            customerName: "Acme d.o.o.",
            adminEmail: "admin@acme.example",
            requestedAt: "2026-11-30T10:00:00Z",
            expiresAt: "2026-12-14T10:00:00Z",
            decidedAt: null,
            revokedAt: null,
          },
        }),
      },
    });
    renderAt("/partner/orders/ord_1");
    expect(
      await screen.findByRole("heading", {
        level: 1,
        name: format(en["order.title"], { id: "CCW-1001" }),
      }),
    ).toHaveFocus();
    expect(screen.getByTestId("order-status").textContent).toBe(en["orderStatus.IN_SETUP"]);
    expect(screen.getByTestId("order-step").textContent).toBe(en["step.CUSTOMER_ORG"]);
    expect(screen.getByText(/Meetings/).textContent).toContain("25");
    expect(screen.getByTestId("access-state").textContent).toBe(en["order.access.PENDING"]);
    expect(screen.getByText(/admin@acme\.example/)).toBeInTheDocument();

    // The live status: the subscription over the websocket, with the session's token.
    await waitFor(() => expect(api.subscriptions).toHaveLength(1));
    const sub = api.subscriptions[0];
    expect(sub.variables).toEqual({ orderId: "ord_1" });
    expect(sub.auth).toBe("Bearer partner-token");
    api.handlers.PartnerOrder = () => ({
      data: {
        order: order({
          status: "ORGS_CONFIRMED",
          step: "SERVICES",
          confirmedByEmail: "contact@partner.example",
        }),
      },
    });
    act(() =>
      sub.next({
        orderStatusChanged: {
          status: "ORGS_CONFIRMED",
          step: "SERVICES",
          at: "2026-11-30T11:00:00Z",
        },
      }),
    );
    await waitFor(() =>
      expect(screen.getByTestId("order-status").textContent).toBe(en["orderStatus.ORGS_CONFIRMED"]),
    );
    expect(screen.getByTestId("order-step").textContent).toBe(en["step.SERVICES"]);
    expect(screen.getByText(en["done.connected"])).toBeInTheDocument();
    // Orgs confirmed: the contact can no longer change.
    await waitFor(() =>
      expect(screen.queryByLabelText(new RegExp(en["order.newContact"]))).toBeNull(),
    );
    expect(
      screen.getByText(format(en["order.resendConfirmed"], { email: "contact@partner.example" })),
    ).toBeInTheDocument();
  });

  test("Continue setup opens the wizard with the new link", async () => {
    api.handlers.PartnerOrder = () => ({ data: { order: order() } });
    api.handlers.ContinueSetup = () => ({
      data: {
        continueSetup: {
          token: "new.setup.token",
          setupUrl: "http://x/setup?token=new.setup.token",
          userErrors: [],
        },
      },
    });
    const user = userEvent.setup();
    renderAt("/partner/orders/ord_1");
    await user.click(await screen.findByRole("button", { name: en["order.continue"] }));
    expect(await screen.findByText("wizard")).toBeInTheDocument();
    expect(api.callsOf("ContinueSetup")[0].variables).toEqual({ orderId: "ord_1" });
    expect(setupToken.get()).toBe("new.setup.token");
    expect(setupToken.peekStart()).toBe(true);
    expect(partnerToken.get()).toBe("partner-token");
  });

  test("a refused Continue setup says why, translated by code", async () => {
    api.handlers.PartnerOrder = () => ({ data: { order: order() } });
    api.handlers.ContinueSetup = () => ({
      data: {
        continueSetup: {
          token: null,
          setupUrl: null,
          userErrors: [{ field: null, code: "ACCESS_PENDING", message: "pending" }],
        },
      },
    });
    const user = userEvent.setup();
    renderAt("/partner/orders/ord_1", "sr");
    await user.click(await screen.findByRole("button", { name: sr["order.continue"] }));
    expect(await screen.findByText(sr["code.ACCESS_PENDING"])).toBeInTheDocument();
    expect(screen.queryByText("wizard")).toBeNull();
    expect(setupToken.get()).toBeNull();
  });

  test("resend with a new contact before the organizations are confirmed; a bad address stays here", async () => {
    api.handlers.PartnerOrder = () => ({ data: { order: order() } });
    api.handlers.ResendSetupLink = (v) => ({
      data: {
        resendSetupLink: {
          order: order({ provisioningContactEmail: String(v.email ?? "contact@partner.example") }),
          userErrors: [],
        },
      },
    });
    const user = userEvent.setup();
    renderAt("/partner/orders/ord_1");
    const field = await screen.findByLabelText(new RegExp(en["order.newContact"]));
    await user.type(field, "not-an-email");
    await user.click(screen.getByRole("button", { name: en["order.resend"] }));
    expect(await screen.findByText(en["v.email"])).toBeInTheDocument();
    expect(field).toHaveAttribute("aria-invalid", "true");
    expect(api.callsOf("ResendSetupLink")).toHaveLength(0);
    await user.clear(field);
    await user.type(field, "new@partner.example");
    await user.click(screen.getByRole("button", { name: en["order.resend"] }));
    expect(
      await screen.findByText(format(en["order.resent"], { email: "new@partner.example" })),
    ).toBeInTheDocument();
    expect(api.callsOf("ResendSetupLink")[0].variables).toEqual({
      orderId: "ord_1",
      email: "new@partner.example",
    });
  });

  test("cancel asks first, sends the reason, and shows the order cancelled", async () => {
    api.handlers.PartnerOrder = () => ({ data: { order: order() } });
    api.handlers.CancelOrder = () => ({
      data: {
        cancelOrder: {
          order: order({ status: "CANCELLED", cancelledAt: "2026-11-30T12:00:00Z" }),
          userErrors: [],
        },
      },
    });
    const user = userEvent.setup();
    renderAt("/partner/orders/ord_1");
    await user.click(await screen.findByRole("button", { name: en["order.cancel"] }));
    const dialog = screen.getByRole("dialog", {
      name: format(en["order.cancelDialog"], { id: "CCW-1001" }),
    });
    await user.type(
      within(dialog).getByLabelText(new RegExp(en["order.cancelReason"])),
      "Customer changed plans",
    );
    await user.click(within(dialog).getByRole("button", { name: en["order.cancelConfirm"] }));
    expect(await screen.findByText(en["order.cancelled"])).toBeInTheDocument();
    expect(api.callsOf("CancelOrder")[0].variables).toEqual({
      orderId: "ord_1",
      reason: "Customer changed plans",
    });
    expect(screen.getByTestId("order-status").textContent).toBe(en["orderStatus.CANCELLED"]);
    expect(screen.queryByRole("button", { name: en["order.continue"] })).toBeNull();
    expect(screen.queryByRole("button", { name: en["order.cancel"] })).toBeNull();
  });

  test("no Continue setup for an order handed to the customer, nor one on hold (with its reason)", async () => {
    api.handlers.PartnerOrder = (v) => ({
      data: {
        order:
          v.id === "ord_handed"
            ? order({ id: "ord_handed", handedToCustomer: true })
            : order({
                id: "ord_hold",
                status: "ON_HOLD",
                holdReason: "Customer organization not recognized",
              }),
      },
    });
    const first = renderAt("/partner/orders/ord_handed");
    expect(await screen.findByText(en["order.handedToCustomer"])).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: en["order.continue"] })).toBeNull();
    expect(screen.getByRole("button", { name: en["order.resend"] })).toBeInTheDocument();
    first.unmount();
    renderAt("/partner/orders/ord_hold");
    expect(
      await screen.findByText(
        new RegExp(
          format(en["order.holdReason"], { reason: "Customer organization not recognized" }),
        ),
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: en["order.continue"] })).toBeNull();
  });

  test("an order outside the scope is not found", async () => {
    api.handlers.PartnerOrder = () => ({ data: { order: null } });
    renderAt("/partner/orders/ord_x");
    expect(
      await screen.findByRole("heading", { level: 1, name: en["order.notFound"] }),
    ).toBeInTheDocument();
  });

  test("a malformed order id in the address is not found, not a failure", async () => {
    api.handlers.PartnerOrder = () => ({
      data: { order: null },
      errors: [
        { message: "malformed id", path: ["order"], extensions: { code: "BAD_USER_INPUT" } },
      ],
    });
    renderAt("/partner/orders/not-an-id");
    expect(
      await screen.findByRole("heading", { level: 1, name: en["order.notFound"] }),
    ).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });
});

describe("changing the password", { timeout: 30_000 }, () => {
  test("the rules as you type, a wrong current password at its field, then the new session", async () => {
    api.handlers.ChangePassword = (v) =>
      v.current === "right current pw"
        ? { data: { changePassword: { token: "new-session", userErrors: [] } } }
        : {
            data: {
              changePassword: {
                token: null,
                userErrors: [{ field: ["current"], code: "INVALID_CREDENTIALS", message: "x" }],
              },
            },
          };
    const user = userEvent.setup();
    renderAt("/partner/password");
    await screen.findByRole("heading", { level: 1, name: en["changePassword.title"] });
    const rules = screen.getByTestId("password-rules");
    await user.type(screen.getByLabelText(en["password.password"]), "short");
    expect(within(rules).getByText(en["password.ruleLength"]).closest("li")).toHaveClass("failed");
    await user.clear(screen.getByLabelText(en["password.password"]));
    await user.type(screen.getByLabelText(en["password.password"]), "a much longer password");
    expect(within(rules).getByText(en["password.ruleLength"]).closest("li")).toHaveClass("ok");
    await user.type(screen.getByLabelText(en["password.confirm"]), "a much longer password");
    await user.type(screen.getByLabelText(en["changePassword.current"]), "wrong");
    await user.click(screen.getByRole("button", { name: en["changePassword.submit"] }));
    expect(
      await screen.findAllByText(en["code.WRONG_CURRENT_PASSWORD"], { exact: false }),
    ).not.toHaveLength(0);
    expect(screen.getByLabelText(en["changePassword.current"])).toHaveAttribute(
      "aria-invalid",
      "true",
    );
    expect(partnerToken.get()).toBe("partner-token");

    await user.clear(screen.getByLabelText(en["changePassword.current"]));
    await user.type(screen.getByLabelText(en["changePassword.current"]), "right current pw");
    await user.click(screen.getByRole("button", { name: en["changePassword.submit"] }));
    expect(await screen.findByText(en["changePassword.done"])).toBeInTheDocument();
    expect(partnerToken.get()).toBe("new-session");
    expect(api.callsOf("ChangePassword").at(-1)!.variables).toEqual({
      current: "right current pw",
      new: "a much longer password",
    });
  });
});

describe("the language of the account's emails", { timeout: 30_000 }, () => {
  test("shows the stored language and saves another", async () => {
    api.handlers.PartnerOrganization = () => ({
      data: { viewer: { ...viewer.viewer, language: "sr" } },
    });
    api.handlers.SetLanguage = (v) => ({
      data: { setLanguage: { language: v.language, userErrors: [] } },
    });
    const user = userEvent.setup();
    renderAt("/partner/password");
    const select = await screen.findByLabelText(en["mailLanguage.label"]);
    await waitFor(() => expect(select).toHaveValue("sr"));
    await user.selectOptions(select, "en");
    await user.click(screen.getByRole("button", { name: en["mailLanguage.save"] }));
    expect(
      await screen.findByText(format(en["mailLanguage.saved"], { language: en["lang.en"] })),
    ).toBeInTheDocument();
    expect(api.callsOf("SetLanguage").at(-1)!.variables).toEqual({ language: "en" });
  });
});
