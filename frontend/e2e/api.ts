// Drives the wizard's API directly (the flow the UI drives), to set up
// state a browser test starts from: e.g. a subdomain another order took.
import { mailedLink, placeOrder, type Server } from "./harness";

export async function gql(
  server: Server,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
) {
  const r = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await r.json()) as {
    data?: Record<string, { userErrors?: unknown[] }>;
    errors?: unknown[];
  };
  if (json.errors) throw new Error(`${query}: ${JSON.stringify(json.errors)}`);
  for (const v of Object.values(json.data ?? {})) {
    if (v?.userErrors?.length) throw new Error(`${query}: ${JSON.stringify(v.userErrors)}`);
  }
  return json.data;
}

/**
 * A whole order through the API, from the link to saved meeting settings
 * (and, with provision, to provisioned): the partner's organization, a new
 * customer organization with adminEmail (by default one of the partner
 * account's own), and the site subdomain.
 */
export async function apiFlowToServices(
  server: Server,
  opts: {
    partnerAccount: string;
    contact: string;
    subdomain: string;
    adminEmail?: string;
    provision?: boolean;
  },
) {
  await placeOrder(server, {
    contact: opts.contact,
    partnerAccount: opts.partnerAccount,
    services: [{ kind: "MEETINGS", quantity: 1 }],
  });
  const link = await mailedLink(server, opts.contact);
  const token = new URL(link).searchParams.get("token")!;
  const p = "setup { step } userErrors { code field message }";
  await gql(server, token, `mutation { startSetup { ${p} } }`);
  await gql(server, token, `mutation { chooseRole(role: PARTNER) { ${p} } }`);
  await gql(server, token, `mutation { assignSetup(input: {assignee: SELF}) { ${p} } }`);
  await gql(
    server,
    token,
    `mutation($i: PartnerOrgInput!) { confirmPartnerOrg(input: $i) { ${p} } }`,
    {
      i: {
        name: "First Partner",
        country: "RS",
        address: { line1: "Ulica 1", city: "Novi Sad", postalCode: "21000" },
      },
    },
  );
  await gql(server, token, `mutation($e: String!) { setCustomerAdmin(email: $e) { ${p} } }`, {
    e: opts.adminEmail ?? `admin-${opts.partnerAccount.toLowerCase()}@first-customer.example`,
  });
  await gql(server, token, `mutation { confirmCustomerOrg(input: {}) { ${p} } }`);
  await gql(server, token, `mutation { confirmOrgs { ${p} } }`);
  await gql(
    server,
    token,
    `mutation { setPartnerPassword(password: "first partner long password") { ${p} } }`,
  );
  await gql(
    server,
    token,
    `mutation($s: String!) { saveEnterpriseSettings(subdomain: $s) { ${p} } }`,
    { s: opts.subdomain },
  );
  if (opts.provision) {
    await gql(
      server,
      token,
      `mutation { provision(idempotencyKey: "e2e") { order { status } userErrors { code field message } } }`,
    );
  }
}

/**
 * An order through the API to confirmed organizations and the partner
 * organization's password (the partner's first order): the service settings
 * are left to do. With adminEmail of a customer organization that exists
 * (another partner created it), the customer organization is the existing
 * one and its administrator is asked to approve the partner's access.
 */
export async function apiFlowToConfirmed(
  server: Server,
  opts: {
    partnerAccount: string;
    partnerName?: string;
    contact: string;
    adminEmail: string;
    customerName?: string;
    password?: string;
  },
): Promise<{ orderId: string; setupToken: string }> {
  const orderId = await placeOrder(server, {
    contact: opts.contact,
    partnerAccount: opts.partnerAccount,
    partnerName: opts.partnerName,
    customerName: opts.customerName,
    services: [{ kind: "MEETINGS", quantity: 5 }],
  });
  const link = await mailedLink(server, opts.contact);
  const token = new URL(link).searchParams.get("token")!;
  const p = "setup { step } userErrors { code field message }";
  await gql(server, token, `mutation { startSetup { ${p} } }`);
  await gql(server, token, `mutation { chooseRole(role: PARTNER) { ${p} } }`);
  await gql(server, token, `mutation { assignSetup(input: {assignee: SELF}) { ${p} } }`);
  await gql(
    server,
    token,
    `mutation($i: PartnerOrgInput!) { confirmPartnerOrg(input: $i) { ${p} } }`,
    {
      i: {
        name: opts.partnerName ?? `Partner ${opts.partnerAccount}`,
        country: "RS",
        address: { line1: "Ulica 1", city: "Novi Sad", postalCode: "21000" },
      },
    },
  );
  await gql(server, token, `mutation($e: String!) { setCustomerAdmin(email: $e) { ${p} } }`, {
    e: opts.adminEmail,
  });
  await gql(server, token, `mutation { confirmCustomerOrg(input: {}) { ${p} } }`);
  await gql(server, token, `mutation { confirmOrgs { ${p} } }`);
  await gql(
    server,
    token,
    `mutation($pw: String!) { setPartnerPassword(password: $pw) { ${p} } }`,
    {
      pw: opts.password ?? "first partner long password",
    },
  );
  return { orderId, setupToken: token };
}
