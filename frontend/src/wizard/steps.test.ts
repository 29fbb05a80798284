import { describe, expect, test } from "vitest";
import { makeSetup } from "../test/render";
import { homePath, previousStep, reachable, stepOfPath, visibleSteps } from "./steps";

describe("one URL per step", () => {
  test("home is the server's step; hold and provisioned have their pages", () => {
    expect(homePath(makeSetup({ step: "CUSTOMER_ADMIN" }))).toBe("/setup/customer-admin");
    expect(homePath(makeSetup({ step: "ROLE" }, { status: "ON_HOLD" }))).toBe("/setup/on-hold");
    expect(homePath(makeSetup({ step: "DONE" }, { status: "PROVISIONED" }))).toBe("/setup/done");
    expect(stepOfPath("/setup/partner-org")).toBe("PARTNER_ORG");
    expect(stepOfPath("/setup/nowhere")).toBeNull();
  });

  test("before confirming, earlier steps can be answered again; later ones wait", () => {
    const s = makeSetup({ step: "CUSTOMER_ORG", role: "PARTNER" });
    expect(reachable("ROLE", s)).toBe(true);
    expect(reachable("PARTNER_ORG", s)).toBe(true);
    expect(reachable("CUSTOMER_ORG", s)).toBe(true);
    expect(reachable("CONFIRM", s)).toBe(false);
    expect(previousStep("CUSTOMER_ADMIN", s)).toBe("PARTNER_ORG");
  });

  test("the customer's path has no partner organization", () => {
    const s = makeSetup({ step: "CUSTOMER_ADMIN", role: "CUSTOMER" });
    expect(reachable("PARTNER_ORG", s)).toBe(false);
    expect(previousStep("CUSTOMER_ADMIN", s)).toBe("ASSIGNMENT");
    expect(visibleSteps(s, false)).not.toContain("PARTNER_ORG");
    expect(visibleSteps(s, false)).not.toContain("PASSWORD");
  });

  test("after confirming only forward; provision once settings are saved", () => {
    const s = makeSetup({ step: "SERVICES", missingSettings: ["CALLING"] }, { status: "ORGS_CONFIRMED" });
    expect(reachable("ROLE", s)).toBe(false);
    expect(reachable("SERVICES", s)).toBe(true);
    expect(reachable("PROVISION", s)).toBe(false);
    expect(reachable("PROVISION", { ...s, missingSettings: [] })).toBe(true);
    const done = makeSetup({ step: "DONE" }, { status: "PROVISIONED" });
    expect(reachable("SERVICES", done)).toBe(false);
    expect(reachable("DONE", done)).toBe(true);
  });

  test("the password step shows for a new partner organization", () => {
    const s = makeSetup({
      step: "CONFIRM",
      role: "PARTNER",
      partnerOrg: { id: null, existing: false, name: "P", country: "RS", address: null },
    });
    expect(visibleSteps(s, false)).toContain("PASSWORD");
    const existing = { ...s, partnerOrg: { ...s.partnerOrg!, existing: true } };
    expect(visibleSteps(existing, false)).not.toContain("PASSWORD");
  });
});
