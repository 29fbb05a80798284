import type { SetupFieldsFragment, SetupStep } from "../gql/graphql";

export type Setup = SetupFieldsFragment;

/** The wizard's steps in order, each with its own URL. */
export const stepOrder: SetupStep[] = [
  "ROLE",
  "ASSIGNMENT",
  "PARTNER_ORG",
  "CUSTOMER_ADMIN",
  "CUSTOMER_ORG",
  "CONFIRM",
  "PASSWORD",
  "SERVICES",
  "PROVISION",
  "DONE",
];

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
  for (const s of stepOrder) if (stepPath[s] === pathname) return s;
  return null;
}

const idx = (s: SetupStep) => stepOrder.indexOf(s);

/** Where the server's state sends the person. */
export function homePath(setup: Setup): string {
  if (setup.order.status === "ON_HOLD") return pagePath.onHold;
  if (setup.order.status === "PROVISIONED" || setup.step === "DONE") return stepPath.DONE;
  return stepPath[setup.step];
}

/**
 * Whether the page of step `view` may show now. Until the organizations are
 * confirmed an earlier step may be answered again (back and forward work);
 * after that the steps only go forward, and the service settings stay open
 * until provisioning.
 */
export function reachable(view: SetupStep, setup: Setup): boolean {
  const status = setup.order.status;
  if (status === "ON_HOLD") return false;
  if (status === "PROVISIONED") return view === "DONE";
  const cur = setup.step;
  if (view === "PARTNER_ORG" && setup.role === "CUSTOMER") return false;
  if (view === cur) return true;
  if (idx(cur) <= idx("CONFIRM")) return idx(view) < idx(cur);
  if (view === "SERVICES") return cur === "SERVICES" || cur === "PROVISION";
  if (view === "PROVISION") return (cur === "SERVICES" || cur === "PROVISION") && setup.missingSettings.length === 0;
  return false;
}

/**
 * The steps shown in the step list for this setup: the customer's path has
 * no partner organization, and the password step exists only for a new
 * partner organization.
 */
export function visibleSteps(setup: Setup | null, sawPassword: boolean): SetupStep[] {
  return stepOrder.filter((s) => {
    if (s === "PARTNER_ORG") return setup?.role !== "CUSTOMER";
    if (s === "PASSWORD") {
      if (!setup) return false;
      if (setup.step === "PASSWORD" || sawPassword) return true;
      const beforeConfirm = idx(setup.step) <= idx("CONFIRM");
      return beforeConfirm && setup.role === "PARTNER" && setup.partnerOrg != null && !setup.partnerOrg.existing;
    }
    return true;
  });
}

/** The previous page for a "Back" link (before the organizations are confirmed). */
export function previousStep(view: SetupStep, setup: Setup): SetupStep | null {
  for (let i = idx(view) - 1; i >= 0; i--) {
    const s = stepOrder[i];
    if (reachable(s, setup)) return s;
  }
  return null;
}
