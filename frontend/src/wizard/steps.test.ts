import { describe, expect, test } from "vitest";
import { customerSteps, makeSetup, partnerSteps } from "../test/render";
import {
  homePath,
  previousStep,
  reachable,
  readyToProvision,
  stepCount,
  stepDone,
  stepOfPath,
} from "./steps";
import { DraftTracker } from "./WizardContext";

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

  test("after confirming only forward; provision once the server allows it", () => {
    const s = makeSetup(
      { step: "SERVICES", missingSettings: ["CALLING"], next: "saveCallSettings" },
      { status: "ORGS_CONFIRMED" },
    );
    expect(reachable("ROLE", s)).toBe(false);
    expect(reachable("SERVICES", s)).toBe(true);
    expect(reachable("PROVISION", s)).toBe(false);
    expect(previousStep("SERVICES", s)).toBeNull();
    const ready = { ...s, missingSettings: [], next: "provision" };
    expect(readyToProvision(ready)).toBe(true);
    expect(reachable("PROVISION", ready)).toBe(true);
    const done = makeSetup({ step: "DONE", next: "provision" }, { status: "PROVISIONED" });
    expect(reachable("SERVICES", done)).toBe(false);
    expect(reachable("DONE", done)).toBe(true);
  });
});

describe("the path is the server's setup.steps", () => {
  test("the customer's path has no partner organization: Back and reachability follow the list", () => {
    const s = makeSetup({ step: "CUSTOMER_ADMIN", role: "CUSTOMER", steps: customerSteps });
    expect(reachable("PARTNER_ORG", s)).toBe(false);
    expect(previousStep("CUSTOMER_ADMIN", s)).toBe("ASSIGNMENT");
    expect(stepCount("CUSTOMER_ADMIN", s)).toEqual({ n: 3, total: 8 });
  });

  test("a step the server leaves out is not shown, whatever the answers look like", () => {
    // A partner path without PARTNER_ORG (the server's decision) is followed as given.
    const steps = partnerSteps.filter((x) => x !== "PARTNER_ORG");
    const s = makeSetup({ step: "CUSTOMER_ADMIN", role: "PARTNER", steps });
    expect(previousStep("CUSTOMER_ADMIN", s)).toBe("ASSIGNMENT");
    expect(reachable("PARTNER_ORG", s)).toBe(false);
  });

  test("the count stays put while the path is the same, and follows the server when it changes", () => {
    const atRole = makeSetup({ step: "ROLE", steps: partnerSteps });
    const atAssignment = makeSetup({ step: "ASSIGNMENT", role: "PARTNER", steps: partnerSteps });
    expect(stepCount("ROLE", atRole)).toEqual({ n: 1, total: 10 });
    expect(stepCount("ASSIGNMENT", atAssignment)).toEqual({ n: 2, total: 10 });
    // An existing partner organization: no password step.
    const existing = partnerSteps.filter((x) => x !== "PASSWORD");
    const review = makeSetup({ step: "PARTNER_ORG", role: "PARTNER", steps: existing });
    expect(stepCount("PARTNER_ORG", review)).toEqual({ n: 3, total: 9 });
    expect(stepCount("PASSWORD", review)).toBeNull();
    // After confirming a new partner organization the password step stays in the list.
    const pw = makeSetup(
      { step: "SERVICES", role: "PARTNER", steps: partnerSteps },
      { status: "ORGS_CONFIRMED" },
    );
    expect(stepCount("SERVICES", pw)).toEqual({ n: 8, total: 10 });
    expect(stepDone("PASSWORD", pw)).toBe(true);
    expect(stepDone("SERVICES", pw)).toBe(false);
  });

  test("every step is done once provisioned", () => {
    const s = makeSetup({ step: "DONE" }, { status: "PROVISIONED" });
    expect(s.steps.every((x) => stepDone(x, s))).toBe(true);
  });
});

describe("draft ids", () => {
  test("only a draft the tab never held means the link was opened again elsewhere", () => {
    const d = new DraftTracker();
    expect(d.isNewer("a")).toBe(false); // nothing loaded yet
    d.adopt("a");
    expect(d.current).toBe("a");
    expect(d.isNewer("a")).toBe(false);
    expect(d.isNewer(null)).toBe(false);
    expect(d.isNewer(undefined)).toBe(false);
    expect(d.isNewer("b")).toBe(true);
    d.adopt("b");
    // A late event of the tab's own earlier draft is not a restart.
    expect(d.isNewer("a")).toBe(false);
    expect(d.isNewer("c")).toBe(true);
  });
});
