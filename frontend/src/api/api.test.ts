import { CombinedError } from "urql";
import { GraphQLError } from "graphql";
import { describe, expect, test } from "vitest";
import { shouldRetry, wsUrl } from "./client";
import { classify, fieldName, userErrorKey } from "./errors";
import { captureSetupToken, setupToken } from "./session";

const gqlError = (code: string, reason?: string) =>
  new CombinedError({ graphQLErrors: [new GraphQLError("x", { extensions: { code, reason } })] });

describe("errors", () => {
  test("a link that stopped working says why", () => {
    expect(classify(gqlError("UNAUTHENTICATED", "EXPIRED"))).toEqual({
      kind: "link",
      problem: "expired",
    });
    expect(classify(gqlError("UNAUTHENTICATED", "REPLACED"))).toEqual({
      kind: "link",
      problem: "replaced",
    });
    expect(classify(gqlError("UNAUTHENTICATED", "CANCELLED"))).toEqual({
      kind: "link",
      problem: "cancelled",
    });
    expect(classify(gqlError("UNAUTHENTICATED", "INVALID"))).toEqual({
      kind: "link",
      problem: "invalid",
    });
    expect(classify(gqlError("UNAUTHENTICATED", "MISSING"))).toEqual({
      kind: "link",
      problem: "invalid",
    });
    expect(classify(gqlError("FORBIDDEN"))).toEqual({ kind: "forbidden" });
    expect(classify(gqlError("INTERNAL"))).toEqual({ kind: "internal" });
    expect(classify(new CombinedError({ networkError: new Error("offline") }))).toEqual({
      kind: "network",
    });
  });

  test("userErrors go to their form field and are translated by code", () => {
    expect(fieldName({ field: ["input", "address", "line1"], code: "INVALID", message: "" })).toBe(
      "address.line1",
    );
    expect(fieldName({ field: ["email"], code: "EMAIL_IN_PARTNER_ORG", message: "" })).toBe(
      "email",
    );
    expect(fieldName({ field: null, code: "WRONG_STEP", message: "" })).toBeNull();
    expect(userErrorKey({ field: ["subdomain"], code: "SUBDOMAIN_TAKEN", message: "" })).toBe(
      "code.SUBDOMAIN_TAKEN",
    );
    expect(userErrorKey({ field: ["input", "country"], code: "INVALID", message: "" })).toBe(
      "v.country",
    );
    expect(userErrorKey({ field: ["input", "timeZone"], code: "INVALID", message: "" })).toBe(
      "v.timeZone",
    );
    expect(userErrorKey({ field: null, code: "SOMETHING_NEW", message: "" })).toBe(
      "errors.unknown",
    );
  });
});

describe("live status websocket", () => {
  test("does not retry after an auth close (4403) or a deliberate end (1000)", () => {
    expect(shouldRetry({ code: 4403 })).toBe(false);
    expect(shouldRetry({ code: 1000 })).toBe(false);
    expect(shouldRetry({ code: 1006 })).toBe(true);
    expect(shouldRetry(new Error("network"))).toBe(true);
  });

  test("uses the page's host, ws or wss", () => {
    expect(wsUrl("/graphql", new URL("https://onramp.example/setup") as unknown as Location)).toBe(
      "wss://onramp.example/graphql",
    );
    expect(wsUrl("/graphql", new URL("http://127.0.0.1:8080/x") as unknown as Location)).toBe(
      "ws://127.0.0.1:8080/graphql",
    );
  });
});

describe("the setup link's token", () => {
  test("moves from the URL to session storage at once", () => {
    window.history.replaceState(null, "", "/setup?token=abc.def.ghi&x=1");
    expect(captureSetupToken()).toBe(true);
    expect(window.location.pathname + window.location.search).toBe("/setup?x=1");
    expect(setupToken.get()).toBe("abc.def.ghi");
    // Opening the link (re)starts the wizard, once.
    expect(setupToken.takeStart()).toBe(true);
    expect(setupToken.takeStart()).toBe(false);
  });

  test("leaves other pages alone", () => {
    window.history.replaceState(null, "", "/setup/role");
    expect(captureSetupToken()).toBe(false);
    expect(setupToken.get()).toBeNull();
  });
});
