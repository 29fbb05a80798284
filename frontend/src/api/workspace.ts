import { graphql } from "../gql";

// The partner workspace: orders (paged, filtered, searched), one order with
// its live status and actions, and the account (password, sign-out, reset).
// Codegen checks them against ../schema/*.graphql.

export const PartnerOrders = graphql(`
  query PartnerOrders($first: Int, $after: Cursor, $where: OrderWhereInput) {
    orders(
      first: $first
      after: $after
      where: $where
      orderBy: { field: CREATED_AT, direction: DESC }
    ) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
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

export const PartnerOrganization = graphql(`
  query PartnerOrganization {
    viewer {
      kind
      email
      language
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
  }
`);

export const PartnerOrderFields = graphql(`
  fragment PartnerOrderFields on Order {
    id
    externalID
    product
    status
    step
    requestedStartDate
    provisioningContactEmail
    customerName
    customerCountry
    handedToCustomer
    holdReason
    confirmedByEmail
    cancelledAt
    subscription {
      id
      status
      activatedAt
      billingStartedAt
      services {
        kind
        quantity
      }
    }
    customerAccess {
      id
      state
      partnerName
      customerName
      adminEmail
      requestedAt
      expiresAt
      decidedAt
      revokedAt
    }
  }
`);

export const PartnerOrder = graphql(`
  query PartnerOrder($id: ID!) {
    order(id: $id) {
      ...PartnerOrderFields
    }
  }
`);

export const PartnerOrderStatus = graphql(`
  subscription PartnerOrderStatus($orderId: ID!) {
    orderStatusChanged(orderId: $orderId) {
      status
      step
      at
    }
  }
`);

export const ResendSetupLink = graphql(`
  mutation ResendSetupLink($orderId: ID!, $email: String) {
    resendSetupLink(orderId: $orderId, email: $email) {
      order {
        ...PartnerOrderFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const CancelOrder = graphql(`
  mutation CancelOrder($orderId: ID!, $reason: String) {
    cancelOrder(orderId: $orderId, reason: $reason) {
      order {
        ...PartnerOrderFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const ContinueSetup = graphql(`
  mutation ContinueSetup($orderId: ID!) {
    continueSetup(orderId: $orderId) {
      token
      setupUrl
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const ChangePassword = graphql(`
  mutation ChangePassword($current: String!, $new: String!) {
    changePassword(current: $current, new: $new) {
      token
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const SignOut = graphql(`
  mutation SignOut {
    signOut {
      signedOut
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const RequestPasswordReset = graphql(`
  mutation RequestPasswordReset($email: String!, $language: Language) {
    requestPasswordReset(email: $email, language: $language) {
      requested
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const ResetViewer = graphql(`
  query ResetViewer {
    viewer {
      kind
      email
      expiresAt
    }
  }
`);

export const ResetPassword = graphql(`
  mutation ResetPassword($password: String!) {
    resetPassword(password: $password) {
      token
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const PartnerAccessFields = graphql(`
  fragment PartnerAccessFields on PartnerAccess {
    id
    state
    partnerName
    customerName
    orderExternalId
    product
    adminEmail
    requestedAt
    expiresAt
    decidedAt
    revokedAt
    allowedAction
    orderCancelled
  }
`);

export const PartnerAccessQuery = graphql(`
  query PartnerAccess {
    partnerAccess {
      ...PartnerAccessFields
    }
  }
`);

export const ApprovePartnerAccess = graphql(`
  mutation ApprovePartnerAccess {
    approvePartnerAccess {
      partnerAccess {
        ...PartnerAccessFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const DenyPartnerAccess = graphql(`
  mutation DenyPartnerAccess {
    denyPartnerAccess {
      partnerAccess {
        ...PartnerAccessFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const RevokePartnerAccess = graphql(`
  mutation RevokePartnerAccess {
    revokePartnerAccess {
      partnerAccess {
        ...PartnerAccessFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const SetLanguage = graphql(`
  mutation SetLanguage($language: Language!) {
    setLanguage(language: $language) {
      language
      userErrors {
        field
        code
        message
      }
    }
  }
`);
