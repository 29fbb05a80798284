import {
  Client,
  cacheExchange,
  fetchExchange,
  mapExchange,
  subscriptionExchange,
  type Exchange,
} from "urql";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";

/** Close codes after which reconnecting cannot help: the token was refused
 * (4403) or the server ended the subscription on purpose (1000, e.g. the
 * link was replaced). graphql-ws would otherwise retry both. */
export const finalCloseCodes = new Set([1000, 4403]);

export function shouldRetry(event: unknown): boolean {
  const code = (event as { code?: number } | null)?.code;
  return !(typeof code === "number" && finalCloseCodes.has(code));
}

export function wsUrl(path = "/graphql", loc: Location = window.location): string {
  const proto = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${loc.host}${path}`;
}

export function createWs(getToken: () => string | null): WsClient {
  return createWsClient({
    url: wsUrl(),
    lazy: true,
    retryAttempts: 5,
    shouldRetry,
    connectionParams: () => {
      const token = getToken();
      return token ? { Authorization: `Bearer ${token}` } : {};
    },
  });
}

/** extensions.reason of the first UNAUTHENTICATED error of a result, or null. */
export function unauthenticatedReason(
  errors: readonly { extensions?: Record<string, unknown> }[],
): string | null {
  for (const e of errors) {
    const ext = e.extensions ?? {};
    if (ext.code === "UNAUTHENTICATED")
      return typeof ext.reason === "string" ? ext.reason : "INVALID";
  }
  return null;
}

/**
 * A urql client that sends getToken()'s token. cache: the document cache
 * (partner views); the wizard keeps its state itself and goes without.
 * onUnauthenticated: called with extensions.reason when any answer refuses
 * the token (the partner session ended: signed out, password changed).
 */
export function createApiClient(
  getToken: () => string | null,
  opts: { cache?: boolean; ws?: WsClient; onUnauthenticated?: (reason: string) => void } = {},
): Client {
  const exchanges: Exchange[] = [];
  const onUnauthenticated = opts.onUnauthenticated;
  if (onUnauthenticated) {
    exchanges.push(
      mapExchange({
        onError(error) {
          const reason = unauthenticatedReason(error.graphQLErrors);
          if (reason) onUnauthenticated(reason);
        },
      }),
    );
  }
  if (opts.cache) exchanges.push(cacheExchange);
  exchanges.push(fetchExchange);
  const ws = opts.ws;
  if (ws) {
    exchanges.push(
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    );
  }
  return new Client({
    url: "/graphql",
    exchanges,
    requestPolicy: "network-only",
    preferGetMethod: false,
    fetchOptions: () => {
      const token = getToken();
      const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
      return { headers };
    },
  });
}
