import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { captureSetupToken, partnerToken, resetToken, setupToken } from "../api/session";
import { en } from "../i18n/en";
import { format, I18nProvider, type Lang } from "../i18n/I18n";
import { sr } from "../i18n/sr";
import { fakeApi, unauthenticated, type FakeApi } from "../test/fakeApi";
import { ForgotPasswordPage, ResetPasswordPage } from "./Account";
import { PartnerRoot } from "./Workspace";

let api: FakeApi;

function renderAt(path: string, lang: Lang = "en") {
  return render(
    <I18nProvider lang={lang}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route element={<PartnerRoot />}>
            <Route path="/signin/forgot" element={<ForgotPasswordPage />} />
            <Route path="/signin" element={<p>sign-in page</p>} />
            <Route path="/partner" element={<p>workspace</p>} />
          </Route>
          <Route path="/reset-password" element={<ResetPasswordPage />} />
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

describe("the link tokens", () => {
  test("a password-reset or partner-access link's token leaves the URL for its own place", () => {
    window.history.replaceState(null, "", "/reset-password?token=reset.tok.en");
    expect(captureSetupToken()).toBe(true);
    expect(window.location.pathname + window.location.search).toBe("/reset-password");
    expect(resetToken.get()).toBe("reset.tok.en");
    expect(setupToken.get()).toBeNull();

    window.history.replaceState(null, "", "/access?token=access.tok.en");
    expect(captureSetupToken()).toBe(true);
    expect(window.location.search).toBe("");
    expect(setupToken.get()).toBeNull();
  });
});

describe("forgot password", { timeout: 30_000 }, () => {
  test("always the same confirmation, whether or not the account exists", async () => {
    api.handlers.RequestPasswordReset = () => ({
      data: { requestPasswordReset: { requested: true, userErrors: [] } },
    });
    const user = userEvent.setup();
    renderAt("/signin/forgot");
    expect(
      await screen.findByRole("heading", { level: 1, name: en["forgot.title"] }),
    ).toHaveFocus();
    await user.type(screen.getByLabelText(en["signin.email"]), "who@partner.example");
    await user.click(screen.getByRole("button", { name: en["forgot.submit"] }));
    expect(
      await screen.findByText(format(en["forgot.sent"], { email: "who@partner.example" })),
    ).toBeInTheDocument();
    expect(api.callsOf("RequestPasswordReset")[0]).toMatchObject({
      variables: { email: "who@partner.example", language: "en" },
      auth: null,
    });
  });

  test("too many requests: TOO_MANY_ATTEMPTS's message, in Serbian", async () => {
    api.handlers.RequestPasswordReset = () => ({
      data: {
        requestPasswordReset: {
          requested: false,
          userErrors: [{ field: null, code: "TOO_MANY_ATTEMPTS", message: "slow down" }],
        },
      },
    });
    const user = userEvent.setup();
    renderAt("/signin/forgot", "sr");
    await user.type(await screen.findByLabelText(sr["signin.email"]), "who@partner.example");
    await user.click(screen.getByRole("button", { name: sr["forgot.submit"] }));
    expect(await screen.findByText(sr["code.TOO_MANY_ATTEMPTS"])).toBeInTheDocument();
    expect(
      screen.queryByText(format(sr["forgot.sent"], { email: "who@partner.example" })),
    ).toBeNull();
  });
});

describe("reset password", { timeout: 30_000 }, () => {
  test("the rules as you type, the token as Bearer, then signed in with the new session", async () => {
    window.history.replaceState(null, "", "/reset-password?token=reset.tok.en");
    captureSetupToken();
    api.handlers.ResetViewer = () => ({
      data: { viewer: { kind: "PASSWORD_RESET", email: "admin@partner.example", expiresAt: null } },
    });
    api.handlers.ResetPassword = () => ({
      data: { resetPassword: { token: "fresh-session", userErrors: [] } },
    });
    const user = userEvent.setup();
    renderAt("/reset-password");
    expect(await screen.findByRole("heading", { level: 1, name: en["reset.title"] })).toHaveFocus();
    await screen.findByText(format(en["reset.introFor"], { email: "admin@partner.example" }));
    const rules = screen.getByTestId("password-rules");
    await user.type(screen.getByLabelText(en["password.password"]), "admin-partner-long");
    expect(within(rules).getByText(en["password.ruleEmail"]).closest("li")).toHaveClass("failed");
    await user.clear(screen.getByLabelText(en["password.password"]));
    await user.type(screen.getByLabelText(en["password.password"]), "correct horse battery");
    await user.type(screen.getByLabelText(en["password.confirm"]), "correct horse battery");
    await user.click(screen.getByRole("button", { name: en["reset.submit"] }));
    expect(await screen.findByText("workspace")).toBeInTheDocument();
    expect(api.callsOf("ResetPassword")[0]).toMatchObject({
      variables: { password: "correct horse battery" },
      auth: "Bearer reset.tok.en",
    });
    expect(partnerToken.get()).toBe("fresh-session");
    expect(resetToken.get()).toBeNull();
  });

  test("an expired link says so and links to a new one", async () => {
    window.history.replaceState(null, "", "/reset-password?token=old");
    captureSetupToken();
    api.handlers.ResetViewer = () => unauthenticated("EXPIRED");
    renderAt("/reset-password", "sr");
    expect(
      await screen.findByRole("heading", { level: 1, name: sr["reset.expired.title"] }),
    ).toBeInTheDocument();
    expect(screen.getByRole("link", { name: sr["reset.askAgain"] })).toHaveAttribute(
      "href",
      "/signin/forgot",
    );
  });

  test("a used link (REVOKED at the reset) says so", async () => {
    window.history.replaceState(null, "", "/reset-password?token=used");
    captureSetupToken();
    api.handlers.ResetViewer = () => ({
      data: { viewer: { kind: "PASSWORD_RESET", email: null, expiresAt: null } },
    });
    api.handlers.ResetPassword = () => unauthenticated("REVOKED");
    const user = userEvent.setup();
    renderAt("/reset-password");
    await user.type(await screen.findByLabelText(en["password.password"]), "correct horse battery");
    await user.type(screen.getByLabelText(en["password.confirm"]), "correct horse battery");
    await user.click(screen.getByRole("button", { name: en["reset.submit"] }));
    expect(
      await screen.findByRole("heading", { level: 1, name: en["reset.used.title"] }),
    ).toBeInTheDocument();
    expect(partnerToken.get()).toBeNull();
  });

  test("no token: not valid", async () => {
    renderAt("/reset-password");
    expect(
      await screen.findByRole("heading", { level: 1, name: en["reset.invalid.title"] }),
    ).toBeInTheDocument();
    expect(api.calls).toEqual([]);
  });
});
