import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import { Client, Provider, fetchExchange } from "urql";
import { vi } from "vitest";
import { I18nProvider, type Lang } from "../i18n/I18n";
import type { Setup } from "../wizard/steps";
import { WizardTestProvider, type RunResult, type WizardValue } from "../wizard/WizardContext";

/** The server's steps of a partner creating a new partner organization. */
export const partnerSteps: Setup["steps"] = [
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
/** The server's steps of the customer's path (no partner organization, no password). */
export const customerSteps: Setup["steps"] = partnerSteps.filter(
  (s) => s !== "PARTNER_ORG" && s !== "PASSWORD",
);

/** An organization of the session (a new one, by default). */
export function makeOrg(
  over: Partial<NonNullable<Setup["partnerOrg"]>> = {},
): NonNullable<Setup["partnerOrg"]> {
  return {
    id: null,
    existing: false,
    name: "Org",
    country: "RS",
    address: null,
    subdomain: null,
    ...over,
  };
}

/** A setup session as the server answers it, at the ROLE step of a fresh order. */
export function makeSetup(over: Partial<Setup> = {}, order: Partial<Setup["order"]> = {}): Setup {
  return {
    step: "ROLE",
    steps: partnerSteps,
    draftId: "draft-1",
    next: "chooseRole",
    email: "setup@partner.example",
    role: null,
    assignee: null,
    readOnly: false,
    missingSettings: [],
    existingSite: null,
    siteDomain: "webex.example",
    customerAdminEmail: null,
    partnerOrg: null,
    customerOrg: null,
    customerOrgCandidates: [],
    ...over,
    order: {
      id: "ord_01test",
      externalID: "CCW-1001",
      product: "A_WX",
      status: "IN_SETUP",
      step: over.step ?? "ROLE",
      language: "en",
      handedToCustomer: false,
      partnerName: "Partner One",
      customerName: "Acme d.o.o.",
      customerCountry: "RS",
      requestedStartDate: "2026-11-24",
      customerAddress: {
        line1: "Bulevar 1",
        line2: null,
        city: "Beograd",
        postalCode: "11000",
        region: null,
      },
      subscription: {
        id: "sub_01test",
        status: "PENDING",
        activatedAt: null,
        billingStartedAt: null,
        siteSubdomain: null,
        services: [
          { kind: "MEETINGS", quantity: 25 },
          { kind: "CALLING", quantity: 10 },
        ],
        callSettings: null,
      },
      ...order,
    },
  };
}

export const ok = (setup: Setup | null = null): RunResult => ({ ok: true, setup });

export function renderStep(
  ui: ReactElement,
  opts: {
    setup: Setup;
    mutate?: WizardValue["mutate"];
    query?: WizardValue["query"];
    lang?: Lang;
    path?: string;
  },
) {
  const mutate =
    opts.mutate ?? (vi.fn(async () => ok(opts.setup)) as unknown as WizardValue["mutate"]);
  const query = opts.query ?? (vi.fn(async () => ({})) as unknown as WizardValue["query"]);
  const client = new Client({ url: "http://test.invalid/graphql", exchanges: [fetchExchange] });
  const value: WizardValue = {
    setup: opts.setup,
    load: vi.fn(async () => opts.setup),
    mutate,
    draftSeen: vi.fn(),
    notice: null,
    clearNotice: vi.fn(),
    query,
    client,
    justProvisioned: false,
    setJustProvisioned: vi.fn(),
  };
  const path = opts.path ?? "/setup/step";
  const result = render(
    <I18nProvider lang={opts.lang ?? "en"}>
      <Provider value={client}>
        <WizardTestProvider value={value}>
          <MemoryRouter initialEntries={[path]}>
            <Routes>
              <Route path={path} element={ui} />
              <Route path="*" element={<p>navigated</p>} />
            </Routes>
          </MemoryRouter>
        </WizardTestProvider>
      </Provider>
    </I18nProvider>,
  );
  return { ...result, mutate, query, value };
}
