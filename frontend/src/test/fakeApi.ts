import { vi } from "vitest";

// A fake /graphql for page tests: each operation (by name) answers what the
// test says; every request is kept. And a fake graphql-ws server behind the
// global WebSocket, whose subscriptions the test feeds.

export type Answer = { data?: unknown; errors?: unknown[] };
export type Handler = (variables: Record<string, unknown>) => Answer;

export interface Call {
  operationName: string;
  variables: Record<string, unknown>;
  auth: string | null;
}

export interface FakeApi {
  calls: Call[];
  handlers: Record<string, Handler>;
  callsOf: (name: string) => Call[];
  /** Subscriptions open on the fake websocket, by operation name. */
  subscriptions: FakeSubscription[];
}

export interface FakeSubscription {
  operationName: string;
  variables: Record<string, unknown>;
  auth: string | null;
  next: (data: unknown) => void;
}

export const unauthenticated = (reason: string): Answer => ({
  errors: [{ message: "unauthenticated", extensions: { code: "UNAUTHENTICATED", reason } }],
});

export function fakeApi(): FakeApi {
  const api: FakeApi = {
    calls: [],
    handlers: {},
    callsOf: (name) => api.calls.filter((c) => c.operationName === name),
    subscriptions: [],
  };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (_url: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body)) as {
        operationName: string;
        variables?: Record<string, unknown>;
      };
      const headers = new Headers(init.headers);
      api.calls.push({
        operationName: body.operationName,
        variables: body.variables ?? {},
        auth: headers.get("authorization"),
      });
      const h = api.handlers[body.operationName];
      const answer = h
        ? h(body.variables ?? {})
        : { errors: [{ message: `no handler for ${body.operationName}` }] };
      return new Response(JSON.stringify(answer), {
        status: 200,
        headers: { "Content-Type": "application/json" },
      });
    }),
  );

  class FakeWebSocket {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;
    readyState = 0;
    protocol = "graphql-transport-ws";
    onopen: ((e: unknown) => void) | null = null;
    onmessage: ((e: { data: string }) => void) | null = null;
    onclose: ((e: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
    onerror: ((e: unknown) => void) | null = null;
    private auth: string | null = null;
    constructor(
      public url: string,
      _protocols?: string | string[],
    ) {
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.({});
      }, 0);
    }
    send(raw: string) {
      const msg = JSON.parse(raw) as {
        type: string;
        id?: string;
        payload?: Record<string, unknown>;
      };
      const reply = (m: unknown) =>
        setTimeout(() => this.onmessage?.({ data: JSON.stringify(m) }), 0);
      if (msg.type === "connection_init") {
        this.auth = (msg.payload?.Authorization as string | undefined) ?? null;
        reply({ type: "connection_ack" });
      } else if (msg.type === "subscribe" && msg.id) {
        const id = msg.id;
        const p = msg.payload as {
          operationName?: string;
          query: string;
          variables?: Record<string, unknown>;
        };
        api.subscriptions.push({
          operationName: p.operationName ?? /subscription\s+(\w+)/.exec(p.query)?.[1] ?? "",
          variables: p.variables ?? {},
          auth: this.auth,
          next: (data) => reply({ type: "next", id, payload: { data } }),
        });
      } else if (msg.type === "ping") {
        reply({ type: "pong" });
      }
    }
    close(code = 1000, reason = "") {
      this.readyState = 3;
      setTimeout(() => this.onclose?.({ code, reason, wasClean: true }), 0);
    }
    addEventListener() {}
    removeEventListener() {}
  }
  vi.stubGlobal("WebSocket", FakeWebSocket);
  return api;
}
