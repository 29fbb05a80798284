import type { SetupFieldsFragment, SetupStep } from "../gql/graphql";

export type Setup = SetupFieldsFragment;

// The server decides the path: `setup.steps` lists this setup's steps in
// order (the customer's path has no partner organization, the password
// step exists only for a new partner organization). The wizard keeps no
// order of its own, only the URL of each step.

export const stepPath: Record<SetupStep, string> = {
  ROLE: "/setup/role",
  ASSIGNMENT: "/setup/assignment",
  PARTNER_ORG: "/setup/partner-org",
  CUSTOMER_ADMIN: "/setup/customer-admin",
  CUSTOMER_ORG: "/setup/customer-org",
  CONFIRM: "/setup/confirm",
  PASSWORD: "/setup/password",
  SERVICES: "/setup/services",
  PROVISION: "/setup/provision",
  DONE: "/setup/done",
};

export const pagePath = {
  expired: "/setup/expired",
  replaced: "/setup/replaced",
  cancelled: "/setup/cancelled",
  invalid: "/setup/invalid",
  onHold: "/setup/on-hold",
  handedOff: "/setup/handed-off",
} as const;

export function stepOfPath(pathname: string): SetupStep | null {
  for (const [s, p] of Object.entries(stepPath)) if (p === pathname) return s as SetupStep;
  return null;
}

/** The step the person is at: DONE once provisioned. */
export function currentStep(setup: Setup): SetupStep {
  return setup.order.status === "PROVISIONED" ? "DONE" : setup.step;
}

/**
 * Whether the organizations are not confirmed yet: until then the answers
 * are a draft (earlier steps may be answered again, and leaving loses them).
 */
export function drafting(setup: Setup): boolean {
  const s = setup.order.status;
  return s === "PLACED" || s === "LINK_SENT" || s === "IN_SETUP";
}

/** Where the server's state sends the person. */
export function homePath(setup: Setup): string {
  if (setup.order.status === "ON_HOLD") return pagePath.onHold;
  if (setup.order.status === "PROVISIONED" || setup.step === "DONE") return stepPath.DONE;
  return stepPath[setup.step];
}

/** Whether the server's `next` is provisioning (every needed setting is saved). */
export function readyToProvision(setup: Setup): boolean {
  return setup.next === "provision";
}

/**
 * Whether the page of step `view` may show now. Only steps of this setup's
 * path (setup.steps) show. Until the organizations are confirmed an earlier
 * step may be answered again (back and forward work); after that the steps
 * only go forward, and the service settings stay open until provisioning.
 */
export function reachable(view: SetupStep, setup: Setup): boolean {
  const status = setup.order.status;
  if (status === "ON_HOLD") return false;
  if (status === "PROVISIONED") return view === "DONE";
  const cur = setup.step;
  if (view === cur) return true;
  const steps = setup.steps;
  const at = steps.indexOf(view);
  if (at < 0) return false;
  if (drafting(setup)) return at < steps.indexOf(cur);
  const settling = cur === "SERVICES" || cur === "PROVISION";
  if (view === "SERVICES") return settling;
  if (view === "PROVISION") return settling && readyToProvision(setup);
  return false;
}

/** The previous page of `view` in this setup's path that may be answered again, for "Back". */
export function previousStep(view: SetupStep, setup: Setup): SetupStep | null {
  const steps = setup.steps;
  for (let i = steps.indexOf(view) - 1; i >= 0; i--) {
    if (reachable(steps[i], setup)) return steps[i];
  }
  return null;
}

/**
 * "Step N of M" of the page shown: its place in the server's list of this
 * setup's steps (null when the page is not on the path).
 */
export function stepCount(view: SetupStep, setup: Setup): { n: number; total: number } | null {
  const n = setup.steps.indexOf(view);
  if (n < 0) return null;
  return { n: n + 1, total: setup.steps.length };
}

/** Whether step `s` is behind the person (a ✓ in the step list). */
export function stepDone(s: SetupStep, setup: Setup): boolean {
  if (setup.order.status === "PROVISIONED") return true;
  const steps = setup.steps;
  const i = steps.indexOf(s);
  return i >= 0 && i < steps.indexOf(currentStep(setup));
}
