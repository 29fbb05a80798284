import { describe, expect, test } from "vitest";
import { en } from "../i18n/en";
import {
  checkEndpointForm,
  checkKeyName,
  deliveryOutcome,
  endpointState,
  eventKey,
  eventTypes,
  eventsInput,
  integrationErrorKey,
  integrationField,
  isAbsoluteHttpUrl,
  keyState,
  subscribedEvents,
} from "./integrationsModel";

describe("integrations model", () => {
  test("every event type has its name in the dictionary; unknown ones have none", () => {
    expect(eventTypes).toHaveLength(9);
    for (const type of eventTypes) expect(en[eventKey(type)!], type).toBeTruthy();
    expect(eventKey("order.unknown")).toBeNull();
  });

  test("an endpoint's state: disabled wins over failing, else active", () => {
    expect(endpointState({ disabledAt: null, failingSince: null })).toEqual({ kind: "active" });
    expect(endpointState({ disabledAt: null, failingSince: "2026-11-28T10:00:00Z" })).toEqual({
      kind: "failing",
      since: "2026-11-28T10:00:00Z",
    });
    expect(
      endpointState({ disabledAt: "2026-11-30T10:00:00Z", failingSince: "2026-11-27T10:00:00Z" }),
    ).toEqual({
      kind: "disabled",
      since: "2026-11-30T10:00:00Z",
    });
  });

  test("a key's state: revoked, expired or active", () => {
    const now = new Date("2026-11-30T12:00:00Z");
    expect(keyState({ revokedAt: null, expiresAt: "2029-11-30T12:00:00Z" }, now)).toEqual({
      kind: "active",
    });
    expect(
      keyState({ revokedAt: "2026-11-30T11:00:00Z", expiresAt: "2029-11-30T12:00:00Z" }, now),
    ).toEqual({
      kind: "revoked",
      at: "2026-11-30T11:00:00Z",
    });
    expect(keyState({ revokedAt: null, expiresAt: "2026-11-30T11:59:59Z" }, now)).toEqual({
      kind: "expired",
      at: "2026-11-30T11:59:59Z",
    });
  });

  test("the create input: every type checked is all (omitted), else the checked ones in life order", () => {
    expect(eventsInput([...eventTypes])).toBeUndefined();
    expect(eventsInput([...eventTypes].reverse())).toBeUndefined();
    expect(eventsInput(["order.provisioned", "order.placed"])).toEqual([
      "order.placed",
      "order.provisioned",
    ]);
    expect(eventsInput(["order.placed", "nonsense"])).toEqual(["order.placed"]);
    expect(eventsInput([])).toEqual([]);
  });

  test("an endpoint's events for display: empty or every type is all", () => {
    expect(subscribedEvents([])).toBeNull();
    expect(subscribedEvents([...eventTypes])).toBeNull();
    expect(subscribedEvents(["order.placed"])).toEqual(["order.placed"]);
  });

  test("the endpoint form's checks", () => {
    expect(checkEndpointForm({ url: "", events: [...eventTypes] })).toEqual({ url: "v.required" });
    expect(checkEndpointForm({ url: "   ", events: [] })).toEqual({
      url: "v.required",
      events: "integrations.v.events",
    });
    expect(
      checkEndpointForm({ url: "orders.partner.example/hook", events: ["order.placed"] }),
    ).toEqual({ url: "integrations.v.url" });
    expect(
      checkEndpointForm({ url: "ftp://orders.partner.example/", events: ["order.placed"] }),
    ).toEqual({ url: "integrations.v.url" });
    // The server decides https and public hosts.
    expect(
      checkEndpointForm({
        url: " https://orders.partner.example/onramp ",
        events: ["order.placed"],
      }),
    ).toEqual({});
    expect(
      checkEndpointForm({ url: "http://127.0.0.1:8080/hook", events: ["order.placed"] }),
    ).toEqual({});
    expect(isAbsoluteHttpUrl("https://")).toBe(false);
  });

  test("the key name's checks", () => {
    expect(checkKeyName("")).toBe("v.required");
    expect(checkKeyName("  ")).toBe("v.required");
    expect(checkKeyName("Order system")).toBeNull();
    expect(checkKeyName("x".repeat(101))).toBe("integrations.v.keyName");
  });

  test("userErrors: their field and their message by code", () => {
    expect(integrationField({ field: ["input", "url"], code: "INVALID", message: "" })).toBe("url");
    expect(
      integrationField({ field: ["input", "events", "2"], code: "INVALID", message: "" }),
    ).toBe("events");
    expect(integrationField({ field: ["name"], code: "INVALID", message: "" })).toBe("name");
    expect(integrationField({ field: null, code: "ENDPOINT_DISABLED", message: "" })).toBeNull();
    expect(
      integrationField({ field: ["input", "partnerAccountId"], code: "INVALID", message: "" }),
    ).toBeNull();

    expect(
      integrationErrorKey({
        field: ["input", "url"],
        code: "INVALID",
        message: "The URL must use https.",
      }),
    ).toBe("integrations.v.urlServer");
    expect(
      integrationErrorKey({ field: ["input", "events", "0"], code: "INVALID", message: "" }),
    ).toBe("integrations.v.eventUnknown");
    // Not the organization name's "required": the key name's own message.
    expect(integrationErrorKey({ field: ["name"], code: "INVALID", message: "" })).toBe(
      "integrations.v.keyName",
    );
    expect(
      integrationErrorKey({ field: ["input", "partnerAccountId"], code: "INVALID", message: "" }),
    ).toBe("code.INVALID");
    expect(integrationErrorKey({ field: [], code: "ENDPOINT_DISABLED", message: "" })).toBe(
      "code.ENDPOINT_DISABLED",
    );
    expect(
      integrationErrorKey({ field: [], code: "SOMETHING_NEW", message: "Shown in English" }),
    ).toBe("errors.unknown");
  });

  test("a delivery's outcome", () => {
    expect(deliveryOutcome({ status: "SUCCEEDED", statusCode: 204 })).toEqual({
      ok: true,
      code: 204,
    });
    expect(deliveryOutcome({ status: "FAILED", statusCode: null })).toEqual({
      ok: false,
      code: null,
    });
  });
});
