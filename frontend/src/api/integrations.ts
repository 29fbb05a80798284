import { graphql } from "../gql";

// The partner workspace's integrations page: webhook endpoints with their
// recent deliveries, and integration keys. Codegen checks them against
// ../schema/webhooks.graphql and ../schema/keys.graphql.

export const WebhookEndpointFields = graphql(`
  fragment WebhookEndpointFields on WebhookEndpoint {
    id
    url
    events
    partnerAccountId
    createdAt
    disabledAt
    failingSince
    deliveries(first: 20) {
      id
      eventId
      eventType
      attempt
      status
      statusCode
      error
      at
      durationMs
    }
  }
`);

export const IntegrationKeyFields = graphql(`
  fragment IntegrationKeyFields on IntegrationKey {
    id
    name
    partnerAccountId
    createdBy
    createdAt
    lastUsedAt
    expiresAt
    revokedAt
  }
`);

export const Integrations = graphql(`
  query Integrations {
    webhookEndpoints {
      ...WebhookEndpointFields
    }
    integrationKeys {
      ...IntegrationKeyFields
    }
  }
`);

export const CreateWebhookEndpoint = graphql(`
  mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      endpoint {
        ...WebhookEndpointFields
      }
      secret
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const DeleteWebhookEndpoint = graphql(`
  mutation DeleteWebhookEndpoint($id: ID!) {
    deleteWebhookEndpoint(id: $id) {
      deletedId
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const RotateWebhookSecret = graphql(`
  mutation RotateWebhookSecret($id: ID!) {
    rotateWebhookSecret(id: $id) {
      endpoint {
        id
        url
      }
      secret
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const RedeliverWebhook = graphql(`
  mutation RedeliverWebhook($deliveryId: ID!) {
    redeliverWebhook(deliveryId: $deliveryId) {
      endpoint {
        id
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const CreateIntegrationKey = graphql(`
  mutation CreateIntegrationKey($name: String!) {
    createIntegrationKey(name: $name) {
      key {
        ...IntegrationKeyFields
      }
      token
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const RevokeIntegrationKey = graphql(`
  mutation RevokeIntegrationKey($id: ID!) {
    revokeIntegrationKey(id: $id) {
      key {
        id
        revokedAt
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);
