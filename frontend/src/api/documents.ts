import { graphql } from "../gql";

// Every operation of the wizard and the partner views. Codegen checks them
// against ../schema/*.graphql and types them (src/gql, generated).

export const OrgFields = graphql(`
  fragment OrgFields on SetupOrganization {
    id
    existing
    name
    country
    address {
      line1
      line2
      city
      postalCode
      region
    }
  }
`);

export const SetupFields = graphql(`
  fragment SetupFields on SetupSession {
    step
    next
    email
    role
    assignee
    readOnly
    missingSettings
    customerAdminEmail
    partnerOrg {
      ...OrgFields
    }
    customerOrg {
      ...OrgFields
    }
    customerOrgCandidates {
      name
      emailDomain
      createdAt
    }
    order {
      id
      externalID
      product
      status
      step
      language
      handedToCustomer
      partnerName
      customerName
      customerCountry
      requestedStartDate
      customerAddress {
        line1
        line2
        city
        postalCode
        region
      }
      subscription {
        id
        status
        activatedAt
        billingStartedAt
        siteSubdomain
        services {
          kind
          quantity
        }
        callSettings {
          country
          timeZone
          announcementLanguage
          emailLanguage
          locationName
          address {
            line1
            line2
            city
            postalCode
            region
          }
        }
      }
    }
  }
`);

export const SetupQuery = graphql(`
  query Setup {
    setup {
      ...SetupFields
    }
  }
`);

export const StartSetup = graphql(`
  mutation StartSetup {
    startSetup {
      setup {
        ...SetupFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const ChooseRole = graphql(`
  mutation ChooseRole($role: SetupRole!) {
    chooseRole(role: $role) {
      setup {
        ...SetupFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const AssignSetup = graphql(`
  mutation AssignSetup($input: AssignSetupInput!) {
    assignSetup(input: $input) {
      setup {
        ...SetupFields
      }
      handedOffTo
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const ConfirmPartnerOrg = graphql(`
  mutation ConfirmPartnerOrg($input: PartnerOrgInput!) {
    confirmPartnerOrg(input: $input) {
      setup {
        ...SetupFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const SetCustomerAdmin = graphql(`
  mutation SetCustomerAdmin($email: String!) {
    setCustomerAdmin(email: $email) {
      setup {
        ...SetupFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const ConfirmCustomerOrg = graphql(`
  mutation ConfirmCustomerOrg($input: CustomerOrgInput!) {
    confirmCustomerOrg(input: $input) {
      setup {
        ...SetupFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const ReportUnrecognized = graphql(`
  mutation ReportUnrecognized($input: ReportOrganizationInput!) {
    reportUnrecognizedOrganization(input: $input) {
      setup {
        ...SetupFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const ConfirmOrgs = graphql(`
  mutation ConfirmOrgs {
    confirmOrgs {
      setup {
        ...SetupFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const SetPartnerPassword = graphql(`
  mutation SetPartnerPassword($password: String!) {
    setPartnerPassword(password: $password) {
      setup {
        ...SetupFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const SaveCallSettings = graphql(`
  mutation SaveCallSettings($input: CallSettingsInput!) {
    saveCallSettings(input: $input) {
      setup {
        ...SetupFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const CheckSubdomain = graphql(`
  query CheckSubdomain($subdomain: String!) {
    checkSubdomain(subdomain: $subdomain) {
      available
      reason
    }
  }
`);

export const SaveEnterpriseSettings = graphql(`
  mutation SaveEnterpriseSettings($subdomain: String!) {
    saveEnterpriseSettings(subdomain: $subdomain) {
      setup {
        ...SetupFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const Provision = graphql(`
  mutation Provision($key: String) {
    provision(idempotencyKey: $key) {
      order {
        id
        status
      }
      subscription {
        id
        status
        billingStartedAt
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const OrderStatusChanged = graphql(`
  subscription OrderStatusChanged($orderId: ID!) {
    orderStatusChanged(orderId: $orderId) {
      status
      step
      at
      order {
        id
        subscription {
          id
          status
          activatedAt
          billingStartedAt
        }
      }
    }
  }
`);

export const SignIn = graphql(`
  mutation SignIn($email: String!, $password: String!) {
    signIn(email: $email, password: $password) {
      token
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const PartnerOverview = graphql(`
  query PartnerOverview {
    viewer {
      kind
      email
      partnerAccountID: partnerAccountId
      expiresAt
      organization {
        id
        name
        country
        accountID
        managedCustomers {
          id
          name
          country
          subdomain
          createdAt
        }
      }
    }
    orders(first: 50, orderBy: { field: CREATED_AT, direction: DESC }) {
      totalCount
      edges {
        node {
          id
          externalID
          product
          customerName
          requestedStartDate
          status
          step
        }
      }
    }
  }
`);
