import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { expiredToken } from "../../api/session";
import { I18nProvider } from "../../i18n/I18n";
import { LinkProblemPage } from "./Pages";

let sent: { query: string; variables: Record<string, unknown>; auth: string | null }[];
let answer: unknown;

beforeEach(() => {
  sent = [];
  answer = { data: { renewSetupLink: { sentTo: "a…@p1.example", userErrors: [] } } };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (_url: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body));
      sent.push({ ...body, auth: new Headers(init.headers).get("authorization") });
      return new Response(JSON.stringify(answer), {
        status: 200,
        headers: { "Content-Type": "application/json" },
      });
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  expiredToken.set(null);
});

function renderPage(problem: "expired" | "replaced") {
  return render(
    <I18nProvider>
      <MemoryRouter>
        <LinkProblemPage problem={problem} />
      </MemoryRouter>
    </I18nProvider>,
  );
}

describe("the expired link's page", () => {
  it("sends a new link to the same address with the expired token, no bearer", async () => {
    expiredToken.set("expired.jwt.token");
    renderPage("expired");
    fireEvent.click(screen.getByRole("button", { name: "Send me a new link" }));
    expect(await screen.findByRole("status")).toHaveTextContent("a…@p1.example");
    expect(sent).toHaveLength(1);
    expect(sent[0].variables).toEqual({ token: "expired.jwt.token" });
    expect(sent[0].auth).toBeNull();
    expect(expiredToken.get()).toBeNull();
  });

  it("says why when no new link can be sent", async () => {
    expiredToken.set("expired.jwt.token");
    answer = {
      data: {
        renewSetupLink: { sentTo: null, userErrors: [{ code: "LINK_REPLACED", message: "x" }] },
      },
    };
    renderPage("expired");
    fireEvent.click(screen.getByRole("button", { name: "Send me a new link" }));
    await waitFor(() =>
      expect(screen.getByRole("alert")).toHaveTextContent("A newer link was already sent"),
    );
  });

  it("offers nothing without the expired token, nor on a replaced link's page", () => {
    renderPage("expired");
    expect(screen.queryByRole("button", { name: "Send me a new link" })).toBeNull();
    expiredToken.set("expired.jwt.token");
    renderPage("replaced");
    expect(screen.queryByRole("button", { name: "Send me a new link" })).toBeNull();
  });
});
