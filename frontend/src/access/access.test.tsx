import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { captureSetupToken } from "../api/session";
import { en } from "../i18n/en";
import { format, I18nProvider, type Lang } from "../i18n/I18n";
import { sr } from "../i18n/sr";
import { fakeApi, unauthenticated, type FakeApi } from "../test/fakeApi";
import { AccessPage, type Access } from "./AccessPage";

let api: FakeApi;

function access(over: Partial<Access> = {}): Access {
  return {
    id: "pa_1",
    state: "PENDING",
    partnerName: "Partner One",
    customerName: "Acme d.o.o.",
    orderExternalId: "CCW-1001",
    product: "A_WX",
    adminEmail: "admin@acme.example",
    requestedAt: "2026-11-30T10:00:00Z",
    expiresAt: "2026-12-14T10:00:00Z",
    decidedAt: null,
    revokedAt: null,
    allowedAction: "DECIDE",
    orderCancelled: false,
    ...over,
  };
}

const payload = (name: string, a: Access | null, userErrors: unknown[] = []) => ({
  data: { [name]: { partnerAccess: a, userErrors } },
});

function renderPage(lang: Lang = "en", token = "access.tok.en") {
  window.history.replaceState(null, "", `/access?token=${token}`);
  captureSetupToken();
  return render(
    <I18nProvider lang={lang}>
      <MemoryRouter initialEntries={["/access"]}>
        <Routes>
          <Route path="/access" element={<AccessPage />} />
        </Routes>
      </MemoryRouter>
    </I18nProvider>,
  );
}

beforeEach(() => {
  api = fakeApi();
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the partner-access page", { timeout: 30_000 }, () => {
  test("a request whose order was cancelled says so and offers no decision", async () => {
    api.handlers.PartnerAccess = () => ({
      data: { partnerAccess: access({ orderCancelled: true, allowedAction: "NONE" }) },
    });
    renderPage();
    expect(await screen.findByText(en["access.state.CANCELLED"])).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: en["access.approve"] })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: en["access.deny"] })).not.toBeInTheDocument();
  });

  test("who asks, for which order, what access means; Approve with the link's token", async () => {
    api.handlers.PartnerAccess = () => ({ data: { partnerAccess: access() } });
    api.handlers.ApprovePartnerAccess = () =>
      payload(
        "approvePartnerAccess",
        access({ state: "APPROVED", decidedAt: "2026-11-30T12:00:00Z", allowedAction: "NONE" }),
      );
    const user = userEvent.setup();
    renderPage();
    const heading = await screen.findByRole("heading", {
      level: 1,
      name: format(en["access.title"], { partner: "Partner One" }),
    });
    // The page moves focus to its heading in an effect, after the render
    // that shows it.
    await waitFor(() => expect(heading).toHaveFocus());
    expect(
      screen.getByText(
        format(en["access.intro"], {
          partner: "Partner One",
          customer: "Acme d.o.o.",
          order: "CCW-1001",
        }),
      ),
    ).toBeInTheDocument();
    expect(screen.getByText(en["access.meaning.without"])).toBeInTheDocument();
    expect(screen.getByTestId("access-state").textContent).toBe(en["access.state.PENDING"]);
    expect(api.callsOf("PartnerAccess")[0].auth).toBe("Bearer access.tok.en");
    await user.click(screen.getByRole("button", { name: en["access.approve"] }));
    await waitFor(() =>
      expect(screen.getByTestId("access-state").textContent).toBe(en["access.state.APPROVED"]),
    );
    expect(api.callsOf("ApprovePartnerAccess")[0].auth).toBe("Bearer access.tok.en");
    expect(screen.queryByRole("button", { name: en["access.approve"] })).toBeNull();
    expect(screen.queryByRole("button", { name: en["access.deny"] })).toBeNull();
  });

  test("Deny, in Serbian", async () => {
    api.handlers.PartnerAccess = () => ({ data: { partnerAccess: access() } });
    api.handlers.DenyPartnerAccess = () =>
      payload(
        "denyPartnerAccess",
        access({ state: "DENIED", decidedAt: "2026-11-30T12:00:00Z", allowedAction: "NONE" }),
      );
    const user = userEvent.setup();
    renderPage("sr");
    await user.click(await screen.findByRole("button", { name: sr["access.deny"] }));
    await waitFor(() =>
      expect(screen.getByTestId("access-state").textContent).toBe(sr["access.state.DENIED"]),
    );
  });

  test("Withdraw access from the confirmation's link", async () => {
    api.handlers.PartnerAccess = () => ({
      data: {
        partnerAccess: access({
          state: "APPROVED",
          decidedAt: "2026-11-30T12:00:00Z",
          allowedAction: "WITHDRAW",
        }),
      },
    });
    api.handlers.RevokePartnerAccess = () =>
      payload(
        "revokePartnerAccess",
        access({
          state: "REVOKED",
          decidedAt: "2026-11-30T12:00:00Z",
          revokedAt: "2026-11-30T13:00:00Z",
          allowedAction: "NONE",
        }),
      );
    const user = userEvent.setup();
    renderPage();
    expect(screen.queryByRole("button", { name: en["access.approve"] })).toBeNull();
    await user.click(await screen.findByRole("button", { name: en["access.withdraw"] }));
    await waitFor(() =>
      expect(screen.getByTestId("access-state").textContent).toBe(en["access.state.REVOKED"]),
    );
    expect(api.callsOf("RevokePartnerAccess")).toHaveLength(1);
  });

  test("answered meanwhile: the code's message, and the state read again", async () => {
    let state: Access = access();
    api.handlers.PartnerAccess = () => ({ data: { partnerAccess: state } });
    api.handlers.DenyPartnerAccess = () => {
      state = access({
        state: "APPROVED",
        allowedAction: "NONE",
        decidedAt: "2026-11-30T12:00:00Z",
      });
      return payload("denyPartnerAccess", null, [
        { field: null, code: "ALREADY_APPROVED", message: "x" },
      ]);
    };
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole("button", { name: en["access.deny"] }));
    expect(await screen.findByText(en["code.ALREADY_APPROVED"])).toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByTestId("access-state").textContent).toBe(en["access.state.APPROVED"]),
    );
  });

  test.each([
    ["EXPIRED", "access.expired.title"],
    ["REVOKED", "access.revoked.title"],
    ["INVALID", "access.invalid.title"],
  ] as const)("a link refused with %s says so", async (reason, key) => {
    api.handlers.PartnerAccess = () => unauthenticated(reason);
    renderPage();
    expect(await screen.findByRole("heading", { level: 1, name: en[key] })).toBeInTheDocument();
  });
});
