import { graphql } from "../gql";

// Every operation of the wizard and the partner views. Codegen checks them
// against ../schema/*.graphql and types them (src/gql, generated).

export const OrgFields = graphql(`
  fragment OrgFields on SetupOrganization {
    id
    existing
    name
    country
    subdomain
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
    steps
    draftId
    next
    email
    role
    assignee
    readOnly
    missingSettings
    existingSite
    siteDomain
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
  mutation ChooseRole($role: SetupRole!, $draftId: ID) {
    chooseRole(role: $role, draftId: $draftId) {
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
  mutation AssignSetup($input: AssignSetupInput!, $draftId: ID) {
    assignSetup(input: $input, draftId: $draftId) {
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
  mutation ConfirmPartnerOrg($input: PartnerOrgInput!, $draftId: ID) {
    confirmPartnerOrg(input: $input, draftId: $draftId) {
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
  mutation SetCustomerAdmin($email: String!, $draftId: ID) {
    setCustomerAdmin(email: $email, draftId: $draftId) {
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
  mutation ConfirmCustomerOrg($input: CustomerOrgInput!, $draftId: ID) {
    confirmCustomerOrg(input: $input, draftId: $draftId) {
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
  mutation ReportUnrecognized($input: ReportOrganizationInput!, $draftId: ID) {
    reportUnrecognizedOrganization(input: $input, draftId: $draftId) {
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
  mutation ConfirmOrgs($draftId: ID) {
    confirmOrgs(draftId: $draftId) {
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
  mutation SetPartnerPassword($password: String!, $draftId: ID) {
    setPartnerPassword(password: $password, draftId: $draftId) {
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
  mutation SaveCallSettings($input: CallSettingsInput!, $draftId: ID) {
    saveCallSettings(input: $input, draftId: $draftId) {
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
      suggestions
    }
  }
`);

export const SaveEnterpriseSettings = graphql(`
  mutation SaveEnterpriseSettings($subdomain: String!, $draftId: ID) {
    saveEnterpriseSettings(subdomain: $subdomain, draftId: $draftId) {
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
  mutation Provision($key: String, $draftId: ID) {
    provision(idempotencyKey: $key, draftId: $draftId) {
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
      draftId
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
