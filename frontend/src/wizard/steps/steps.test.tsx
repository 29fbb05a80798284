import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, test, vi } from "vitest";
import { customerSteps, makeOrg, makeSetup, ok, renderStep } from "../../test/render";
import type { RunResult, WizardValue } from "../WizardContext";
import { StepList } from "../WizardLayout";
import { AssignmentStep } from "./AssignmentStep";
import { CustomerAdminStep } from "./CustomerAdminStep";
import { CustomerOrgStep } from "./CustomerOrgStep";
import { PartnerOrgStep } from "./PartnerOrgStep";
import { PasswordStep } from "./PasswordStep";
import { ProvisionStep } from "./ProvisionStep";
import { RoleStep } from "./RoleStep";
import { ServicesStep } from "./ServicesStep";

type Mutate = WizardValue["mutate"];
const mutateReturning = (r: RunResult) =>
  vi.fn(async () => r) as unknown as Mutate & ReturnType<typeof vi.fn>;
const varsOf = (m: ReturnType<typeof vi.fn>, call = 0) => m.mock.calls[call][1];

describe("role", () => {
  test("heading takes the focus; a choice is required and announced", async () => {
    const user = userEvent.setup();
    const { mutate } = renderStep(<RoleStep />, { setup: makeSetup() });
    const h = screen.getByRole("heading", { level: 1, name: "What is your role?" });
    expect(h).toHaveFocus();
    await user.click(screen.getByRole("button", { name: "Next" }));
    // The live region is always in the page (so that a reader announces
    // what appears in it): wait for its text, not for the region.
    await waitFor(() =>
      expect(screen.getByRole("alert")).toHaveTextContent("Choose one of the options."),
    );
    expect(mutate).not.toHaveBeenCalled();
    await user.click(screen.getByRole("radio", { name: /I am a partner/ }));
    await user.click(screen.getByRole("button", { name: "Next" }));
    await waitFor(() => expect(mutate).toHaveBeenCalledTimes(1));
    expect(varsOf(mutate as never)).toEqual({ role: "PARTNER" });
  });

  test("after a hand-off to the customer only the customer role is open", () => {
    renderStep(<RoleStep />, { setup: makeSetup({}, { handedToCustomer: true }) });
    expect(screen.getByRole("radio", { name: /I am a partner/ })).toBeDisabled();
    expect(screen.getByRole("radio", { name: /I am the customer/ })).toBeChecked();
  });

  test("in Serbian", () => {
    renderStep(<RoleStep />, { setup: makeSetup(), lang: "sr" });
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Koja je vaša uloga?");
    expect(screen.getByRole("radio", { name: /Ja sam partner/ })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Dalje" })).toBeInTheDocument();
  });
});

describe("who sets up", () => {
  test("a colleague gets a link: the email is asked for and checked", async () => {
    const user = userEvent.setup();
    const { mutate } = renderStep(<AssignmentStep />, {
      setup: makeSetup({ step: "ASSIGNMENT", role: "PARTNER" }),
    });
    expect(screen.queryByLabelText("Your colleague's email")).toBeNull();
    await user.click(screen.getByRole("radio", { name: /Another person in my company/ }));
    const email = screen.getByLabelText("Your colleague's email");
    await user.type(email, "setup@partner.example");
    await user.click(screen.getByRole("button", { name: "Send the link" }));
    expect(
      await screen.findByText(/That is your own address/, { selector: ".field-error" }),
    ).toBeInTheDocument();
    expect(email).toHaveAttribute("aria-invalid", "true");
    await user.clear(email);
    await user.type(email, "ana@partner.example");
    await user.click(screen.getByRole("button", { name: "Send the link" }));
    await waitFor(() => expect(mutate).toHaveBeenCalled());
    expect(varsOf(mutate as never)).toEqual({
      input: { assignee: "COLLEAGUE", email: "ana@partner.example" },
    });
  });

  test("the customer option is the partner's only", () => {
    renderStep(<AssignmentStep />, { setup: makeSetup({ step: "ASSIGNMENT", role: "CUSTOMER" }) });
    expect(screen.queryByRole("radio", { name: /The customer will set up/ })).toBeNull();
  });
});

describe("partner organization", () => {
  test("new: prefilled from the order, required fields checked, input sent", async () => {
    const user = userEvent.setup();
    const setup = makeSetup({
      step: "PARTNER_ORG",
      role: "PARTNER",
      partnerOrg: makeOrg({
        id: null,
        existing: false,
        name: "Partner One",
        country: "RS",
        address: null,
      }),
    });
    const { mutate } = renderStep(<PartnerOrgStep />, { setup });
    expect(screen.getByLabelText("Organization name")).toHaveValue("Partner One");
    await user.click(screen.getByRole("button", { name: "Next" }));
    await waitFor(() =>
      expect(screen.getByRole("alert")).toHaveTextContent(
        "Street and number: This field is required.",
      ),
    );
    expect(mutate).not.toHaveBeenCalled();
    await user.type(screen.getByLabelText("Street and number"), "Knez Mihailova 1");
    await user.type(screen.getByLabelText("Postal code"), "11000");
    await user.type(screen.getByLabelText("City"), "Beograd");
    await user.click(screen.getByRole("button", { name: "Next" }));
    await waitFor(() => expect(mutate).toHaveBeenCalled());
    expect(varsOf(mutate as never)).toEqual({
      input: {
        name: "Partner One",
        country: "RS",
        address: {
          line1: "Knez Mihailova 1",
          line2: null,
          city: "Beograd",
          postalCode: "11000",
          region: null,
        },
      },
    });
  });

  test("server userErrors land at their fields", async () => {
    const user = userEvent.setup();
    const mutate = mutateReturning({
      ok: false,
      userErrors: [{ field: ["input", "country"], code: "INVALID", message: "Country must be…" }],
    });
    const setup = makeSetup({
      step: "PARTNER_ORG",
      role: "PARTNER",
      partnerOrg: makeOrg({
        name: "P",
        address: { line1: "a", line2: null, city: "b", postalCode: "1", region: null },
      }),
    });
    renderStep(<PartnerOrgStep />, { setup, mutate });
    await user.click(screen.getByRole("button", { name: "Next" }));
    const country = screen.getByRole("combobox", { name: "Country" });
    await waitFor(() => expect(country).toHaveAttribute("aria-invalid", "true"));
    expect(country).toHaveAccessibleDescription(/Choose a country from the list\./);
    expect(screen.getByRole("alert")).toHaveTextContent("Country: Choose a country from the list.");
  });

  test("the country picker: search by name in English or Serbian, choose with the keyboard", async () => {
    const user = userEvent.setup();
    const mutate = mutateReturning(ok());
    const org = makeOrg({
      name: "P",
      country: "RS",
      address: { line1: "a", line2: null, city: "b", postalCode: "1", region: null },
    });
    const { unmount } = renderStep(<PartnerOrgStep />, {
      setup: makeSetup({ step: "PARTNER_ORG", role: "PARTNER", partnerOrg: org }),
      mutate,
    });
    const country = screen.getByRole("combobox", { name: "Country" });
    expect(country).toHaveValue("Serbia");
    await user.click(country);
    await user.keyboard("{Control>}a{/Control}swed");
    expect(country).toHaveAttribute("aria-expanded", "true");
    expect(screen.getAllByRole("option").map((o) => o.textContent)).toEqual(["SwedenSE"]);
    await user.keyboard("{Enter}");
    expect(country).toHaveValue("Sweden");
    await user.click(screen.getByRole("button", { name: "Next" }));
    await waitFor(() => expect(mutate).toHaveBeenCalled());
    expect((varsOf(mutate as never) as { input: { country: string } }).input.country).toBe("SE");
    unmount();

    // In Serbian, by its Serbian name, without the accents.
    renderStep(<PartnerOrgStep />, {
      setup: makeSetup({ step: "PARTNER_ORG", role: "PARTNER", partnerOrg: org }),
      lang: "sr",
    });
    const zemlja = screen.getByRole("combobox", { name: "Zemlja" });
    expect(zemlja).toHaveValue("Srbija");
    await user.click(zemlja);
    await user.keyboard("{Control>}a{/Control}ceska");
    expect(screen.getAllByRole("option")[0]).toHaveTextContent("Češka");
  });

  test("existing: review, or report it as not recognized (the order goes on hold)", async () => {
    const user = userEvent.setup();
    const setup = makeSetup({
      step: "PARTNER_ORG",
      role: "PARTNER",
      partnerOrg: makeOrg({
        id: "org_1",
        existing: true,
        name: "Partner One",
        country: "RS",
        address: null,
      }),
    });
    const { mutate } = renderStep(<PartnerOrgStep />, { setup });
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent(
      "Review your partner organization",
    );
    await user.click(screen.getByRole("button", { name: "I don't recognize this organization" }));
    const dialog = screen.getByRole("dialog", {
      name: "Report an organization you don't recognize",
    });
    await user.type(within(dialog).getByLabelText(/Note for the representative/), "Not ours");
    await user.click(within(dialog).getByRole("button", { name: "Put the order on hold" }));
    await waitFor(() => expect(mutate).toHaveBeenCalled());
    expect(varsOf(mutate as never)).toEqual({
      input: { organization: "PARTNER", note: "Not ours" },
    });
  });
});

describe("customer administrator and organization", () => {
  test("an email of a partner organization is refused at the field", async () => {
    const user = userEvent.setup();
    const mutate = mutateReturning({
      ok: false,
      userErrors: [{ field: ["email"], code: "EMAIL_IN_PARTNER_ORG", message: "…" }],
    });
    renderStep(<CustomerAdminStep />, {
      setup: makeSetup({ step: "CUSTOMER_ADMIN", role: "PARTNER" }),
      mutate,
    });
    await user.type(screen.getByLabelText("Administrator's email"), "boss@partner.example");
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(
      await screen.findByText(/belongs to a partner organization/, { selector: ".field-error" }),
    ).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("belongs to a partner organization");
    expect(screen.getByLabelText("Administrator's email")).toHaveFocus();
  });

  test("one's own address on a new partner organization: it becomes the partner administrator", async () => {
    const user = userEvent.setup();
    const mutate = mutateReturning({
      ok: false,
      userErrors: [{ field: ["email"], code: "EMAIL_IN_PARTNER_ORG", message: "…" }],
    });
    renderStep(<CustomerAdminStep />, {
      setup: makeSetup({
        step: "CUSTOMER_ADMIN",
        role: "PARTNER",
        partnerOrg: makeOrg({ name: "P" }),
      }),
      mutate,
    });
    await user.type(screen.getByLabelText("Administrator's email"), "Setup@partner.example");
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(
      await screen.findByText(/you become the administrator of the new partner organization/, {
        selector: ".field-error",
      }),
    ).toBeInTheDocument();
    expect(screen.getByRole("alert")).not.toHaveTextContent("belongs to a partner organization");
  });

  test("candidates show name, email domain and date only", () => {
    const setup = makeSetup({
      step: "CUSTOMER_ORG",
      role: "PARTNER",
      customerAdminEmail: "it@acme.example",
      customerOrg: makeOrg({
        id: null,
        existing: false,
        name: "Acme d.o.o.",
        country: "RS",
        address: null,
      }),
      customerOrgCandidates: [
        { name: "Acme d.o.o.", emailDomain: "acme.example", createdAt: "2026-01-05T10:00:00Z" },
      ],
    });
    renderStep(<CustomerOrgStep />, { setup });
    const table = screen.getByRole("table");
    expect(
      within(table)
        .getAllByRole("columnheader")
        .map((c) => c.textContent),
    ).toEqual(["Name", "Email domain", "Created"]);
    expect(within(table).getByText("acme.example")).toBeInTheDocument();
    expect(within(table).getByText(/2026/)).toBeInTheDocument();
  });
});

describe("password", () => {
  test("must match; a weak one is refused by the server at the field", async () => {
    const user = userEvent.setup();
    const mutate = mutateReturning({
      ok: false,
      userErrors: [{ field: ["password"], code: "WEAK_PASSWORD", message: "…" }],
    });
    renderStep(<PasswordStep />, {
      setup: makeSetup({ step: "PASSWORD", role: "PARTNER" }, { status: "ORGS_CONFIRMED" }),
      mutate,
    });
    await user.type(screen.getByLabelText("New password"), "password1234");
    await user.type(screen.getByLabelText("Repeat the password"), "password12345");
    await user.click(screen.getByRole("button", { name: "Set password" }));
    expect(await screen.findByText("The passwords do not match.")).toBeInTheDocument();
    await user.clear(screen.getByLabelText("Repeat the password"));
    await user.type(screen.getByLabelText("Repeat the password"), "password1234");
    await user.click(screen.getByRole("button", { name: "Set password" }));
    expect(
      await screen.findByText(/This password is too common/, { selector: ".field-error" }),
    ).toBeInTheDocument();
    // The rule that failed is the one marked.
    const rules = within(screen.getByTestId("password-rules"));
    expect(rules.getByText(/Not a common password/).closest("li")).toHaveClass("failed");
    expect(rules.getByText(/At least 12 characters/).closest("li")).toHaveClass("ok");
  });

  test("the rules show which one fails as the person types", async () => {
    const user = userEvent.setup();
    const mutate = mutateReturning(ok());
    renderStep(<PasswordStep />, {
      setup: makeSetup({ step: "PASSWORD", role: "PARTNER" }, { status: "ORGS_CONFIRMED" }),
      mutate,
    });
    const rules = within(screen.getByTestId("password-rules"));
    const rule = (re: RegExp) => rules.getByText(re).closest("li");
    await user.type(screen.getByLabelText("New password"), "setup-2026");
    expect(rule(/At least 12 characters/)).toHaveClass("failed");
    expect(rule(/Not your email address/)).toHaveClass("failed");
    expect(rule(/At least 12 characters/)).toHaveTextContent("(not met)");
    await user.clear(screen.getByLabelText("New password"));
    await user.type(screen.getByLabelText("New password"), "blue-orbit-kettle-42");
    expect(rule(/At least 12 characters/)).toHaveClass("ok");
    expect(rule(/Not your email address/)).toHaveClass("ok");
    expect(rule(/Not a common password/)).not.toHaveClass("failed");
  });
});

describe("service settings", () => {
  const servicesSetup = () =>
    makeSetup(
      {
        step: "SERVICES",
        role: "PARTNER",
        missingSettings: ["CALLING", "MEETINGS"],
        next: "saveCallSettings",
      },
      { status: "ORGS_CONFIRMED" },
    );

  test("subscription details and what is still needed", () => {
    renderStep(<ServicesStep />, { setup: servicesSetup() });
    expect(screen.getByRole("heading", { name: "Subscription details" })).toBeInTheDocument();
    expect(
      screen.getByText("Still needed before provisioning: Calling, Meetings."),
    ).toBeInTheDocument();
    // The picker shows the zone's city; its value is the IANA name.
    expect(screen.getByRole("combobox", { name: "Time zone" })).toHaveValue("Belgrade");
    expect(
      screen.getByRole("option", { name: /Belgrade/, selected: true, hidden: true }),
    ).toHaveAttribute("id", "call-tz-opt-Europe/Belgrade");
    expect(screen.getByLabelText("Announcement language")).toHaveValue("sr_RS");
  });

  test("a taken subdomain: why, the site address as typed, and suggestions to use", async () => {
    const user = userEvent.setup();
    const query = vi.fn(async (_doc: unknown, _vars: unknown) => ({
      data: {
        checkSubdomain: {
          available: false,
          reason: "SUBDOMAIN_TAKEN",
          suggestions: ["acme-rs", "acme-2"],
        },
      },
    }));
    const mutate = mutateReturning(ok());
    renderStep(<ServicesStep />, {
      setup: servicesSetup(),
      query: query as unknown as WizardValue["query"],
      mutate,
    });
    await user.type(screen.getByLabelText("Site subdomain"), "Acme");
    expect(screen.getByTestId("site-address")).toHaveTextContent("acme.webex.example");
    await user.click(screen.getByRole("button", { name: "Check availability" }));
    expect(
      await screen.findByText(
        "Not available: another site already uses this name. Please try another name.",
        { selector: ".field-error" },
      ),
    ).toBeInTheDocument();
    expect(query.mock.calls[0][1]).toEqual({ subdomain: "acme" });
    await user.click(screen.getByRole("button", { name: "Use acme-rs" }));
    expect(screen.getByLabelText("Site subdomain")).toHaveValue("acme-rs");
    expect(screen.getByTestId("site-address")).toHaveTextContent("acme-rs.webex.example");
    expect(screen.getByText("acme-rs is available.")).toBeInTheDocument();
    // A suggestion is saved without another check.
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(mutate).toHaveBeenCalledTimes(1));
    expect(query).toHaveBeenCalledTimes(1);
  });

  test("a reserved subdomain says it is reserved", async () => {
    const user = userEvent.setup();
    const query = vi.fn(async () => ({
      data: { checkSubdomain: { available: false, reason: "SUBDOMAIN_RESERVED", suggestions: [] } },
    }));
    renderStep(<ServicesStep />, {
      setup: servicesSetup(),
      query: query as unknown as WizardValue["query"],
    });
    await user.type(screen.getByLabelText("Site subdomain"), "admin");
    await user.click(screen.getByRole("button", { name: "Check availability" }));
    expect(
      await screen.findByText(/this name is reserved/, { selector: ".field-error" }),
    ).toBeInTheDocument();
    expect(screen.queryByText("Available names from your organization's name:")).toBeNull();
  });

  test("Save needs a successful check of the same name", async () => {
    const user = userEvent.setup();
    const query = vi.fn(async () => ({
      data: { checkSubdomain: { available: true, reason: null } },
    }));
    const mutate = mutateReturning(ok());
    renderStep(<ServicesStep />, {
      setup: servicesSetup(),
      query: query as unknown as WizardValue["query"],
      mutate,
    });
    const input = screen.getByLabelText("Site subdomain");
    await user.type(input, "acme");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(
      await screen.findByText("Select “Check availability” first.", { selector: ".field-error" }),
    ).toBeInTheDocument();
    expect(mutate).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Check availability" }));
    expect(await screen.findByText("acme is available.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(mutate).toHaveBeenCalled());
    expect(varsOf(mutate as never)).toEqual({ subdomain: "acme" });
  });

  test("an invalid subdomain is caught before asking the server", async () => {
    const user = userEvent.setup();
    const query = vi.fn();
    renderStep(<ServicesStep />, {
      setup: servicesSetup(),
      query: query as unknown as WizardValue["query"],
    });
    await user.type(screen.getByLabelText("Site subdomain"), "bad_name");
    await user.click(screen.getByRole("button", { name: "Check availability" }));
    expect(
      await screen.findByText(/Invalid subdomain name/, { selector: ".field-error" }),
    ).toBeInTheDocument();
    expect(query).not.toHaveBeenCalled();
  });
});

describe("meetings site", () => {
  const confirmed = (over: Parameters<typeof makeSetup>[0]) =>
    makeSetup(
      { step: "SERVICES", role: "PARTNER", ...over },
      {
        status: "ORGS_CONFIRMED",
        subscription: {
          id: "sub_01test",
          status: "PENDING",
          activatedAt: null,
          billingStartedAt: null,
          siteSubdomain: null,
          services: [{ kind: "MEETINGS", quantity: 5 }],
          callSettings: null,
        },
      },
    );

  test("an existing site: shown, no subdomain form, and provisioning is next", async () => {
    const user = userEvent.setup();
    const setup = confirmed({
      existingSite: "acme",
      missingSettings: [],
      next: "provision",
      customerOrg: makeOrg({ id: "org_c", existing: true, name: "Acme d.o.o.", subdomain: "acme" }),
    });
    renderStep(<ServicesStep />, { setup });
    expect(screen.getByText("Your meetings site: acme")).toBeInTheDocument();
    expect(screen.queryByLabelText("Site subdomain")).toBeNull();
    expect(screen.queryByRole("button", { name: "Check availability" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Change" })).toBeNull();
    expect(
      screen.getByText("All settings are saved. Next: provision and start billing."),
    ).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(await screen.findByText("navigated")).toBeInTheDocument();
  });

  test("an existing site in Serbian", () => {
    const setup = confirmed({ existingSite: "acme", missingSettings: [], next: "provision" });
    renderStep(<ServicesStep />, { setup, lang: "sr" });
    expect(screen.getByText("Vaš sajt za sastanke: acme")).toBeInTheDocument();
  });

  test("Next waits for the server's go-ahead", async () => {
    const user = userEvent.setup();
    const setup = confirmed({ missingSettings: ["MEETINGS"], next: "saveEnterpriseSettings" });
    renderStep(<ServicesStep />, { setup });
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(
      await screen.findByText("Save the settings of every purchased service before provisioning."),
    ).toBeInTheDocument();
    expect(screen.queryByText("navigated")).toBeNull();
  });

  test("a subdomain this order saved: shown as saved, and it can be changed", async () => {
    const user = userEvent.setup();
    const query = vi.fn(async () => ({
      data: { checkSubdomain: { available: true, reason: null } },
    }));
    const mutate = mutateReturning(ok());
    const setup = confirmed({
      missingSettings: [],
      next: "provision",
      customerOrg: makeOrg({ id: "org_c", existing: true, name: "Acme d.o.o.", subdomain: "acme" }),
    });
    renderStep(<ServicesStep />, {
      setup,
      query: query as unknown as WizardValue["query"],
      mutate,
    });
    expect(screen.getByText("Site subdomain acme saved.")).toBeInTheDocument();
    expect(screen.queryByLabelText("Site subdomain")).toBeNull();
    await user.click(screen.getByRole("button", { name: "Change" }));
    const input = screen.getByLabelText("Site subdomain");
    expect(input).toHaveValue("acme");
    // The saved name needs no check, and saving it again changes nothing.
    await user.click(screen.getByRole("button", { name: "Check availability" }));
    expect(await screen.findByText("acme is the subdomain already saved.")).toBeInTheDocument();
    expect(query).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("button", { name: "Change" })).toBeInTheDocument();
    expect(mutate).not.toHaveBeenCalled();
    // Another name: checked, then saved.
    await user.click(screen.getByRole("button", { name: "Change" }));
    await user.clear(screen.getByLabelText("Site subdomain"));
    await user.type(screen.getByLabelText("Site subdomain"), "acme2");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(
      await screen.findByText("Select “Check availability” first.", { selector: ".field-error" }),
    ).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Check availability" }));
    expect(await screen.findByText("acme2 is available.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(mutate).toHaveBeenCalled());
    expect(varsOf(mutate as never)).toEqual({ subdomain: "acme2" });
  });

  test("Cancel keeps the saved subdomain", async () => {
    const user = userEvent.setup();
    const setup = confirmed({
      missingSettings: [],
      next: "provision",
      customerOrg: makeOrg({ existing: true, subdomain: "acme" }),
    });
    renderStep(<ServicesStep />, { setup });
    await user.click(screen.getByRole("button", { name: "Change" }));
    await user.type(screen.getByLabelText("Site subdomain"), "zzz");
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.getByText("Site subdomain acme saved.")).toBeInTheDocument();
  });
});

describe("provision", () => {
  test("behind a confirmation that billing starts for every purchased service", async () => {
    const user = userEvent.setup();
    const mutate = mutateReturning(ok());
    renderStep(<ProvisionStep />, {
      setup: makeSetup({ step: "PROVISION" }, { status: "ORGS_CONFIRMED" }),
      mutate,
    });
    await user.click(screen.getByRole("button", { name: "Provision and start billing" }));
    const dialog = screen.getByRole("dialog", { name: "Start billing?" });
    expect(dialog).toHaveTextContent("Billing starts for every service you purchased:");
    expect(dialog).toHaveTextContent("Meetings: 25");
    expect(dialog).toHaveTextContent("Calling: 10");
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toBeInTheDocument();
    expect(mutate).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole("button", { name: "Provision and start billing" }));
    await waitFor(() => expect(mutate).toHaveBeenCalled());
    // The order is the idempotency key: billing starts once whatever the retries.
    expect(varsOf(mutate as never)).toEqual({ key: "ord_01test" });
  });

  test("Escape closes the dialog without provisioning", async () => {
    const user = userEvent.setup();
    const mutate = mutateReturning(ok());
    renderStep(<ProvisionStep />, {
      setup: makeSetup({ step: "PROVISION" }, { status: "ORGS_CONFIRMED" }),
      mutate,
    });
    await user.click(screen.getByRole("button", { name: "Provision and start billing" }));
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(mutate).not.toHaveBeenCalled();
  });
});

describe("step list", () => {
  test("marks the step shown with aria-current=step and the finished ones", () => {
    const setup = makeSetup({ step: "CUSTOMER_ADMIN", role: "PARTNER" });
    renderStep(<StepList setup={setup} view="CUSTOMER_ADMIN" />, { setup });
    const nav = screen.getByRole("navigation", { name: "Setup steps" });
    const current = nav.querySelector('[aria-current="step"]');
    expect(current).toHaveTextContent("Customer administrator");
    expect(nav.querySelectorAll('[aria-current="step"]')).toHaveLength(1);
    expect(within(nav).getByRole("link", { name: /Your role/ })).toBeInTheDocument();
    expect(screen.getByText("Step 4 of 10")).toBeInTheDocument();
  });

  test("lists exactly the server's steps: the customer's path", () => {
    const setup = makeSetup({ step: "CUSTOMER_ORG", role: "CUSTOMER", steps: customerSteps });
    renderStep(<StepList setup={setup} view="CUSTOMER_ORG" />, { setup });
    const nav = screen.getByRole("navigation", { name: "Setup steps" });
    expect(
      within(nav)
        .getAllByRole("listitem")
        .map((li) => li.textContent?.replace(/^[✓\d]+/, "").replace(/ \(completed\)$/, "")),
    ).toEqual([
      "Your role",
      "Who sets up",
      "Customer administrator",
      "Customer organization",
      "Confirm",
      "Service settings",
      "Provision",
      "Done",
    ]);
    expect(screen.getByText("Step 4 of 8")).toBeInTheDocument();
  });
});
