// The integrations page's logic, without React: the event types, what an
// endpoint's and a key's state is, the create form's checks and input, and
// which message a userError of these mutations shows.
import { userErrorKey, type UserError } from "../api/errors";
import type { Key } from "../i18n/en";
import type { IntegrationKeyFieldsFragment, WebhookEndpointFieldsFragment } from "../gql/graphql";

export type Endpoint = WebhookEndpointFieldsFragment;
export type Delivery = Endpoint["deliveries"][number];
export type IntegrationKey = IntegrationKeyFieldsFragment;

/** Every event type, in the order of an order's life (the server's lifecycle.EventTypes). */
export const eventTypes = [
  "order.placed",
  "order.link_sent",
  "order.setup_started",
  "order.on_hold",
  "order.hold_released",
  "order.orgs_confirmed",
  "order.provisioned",
  "order.cancelled",
  "order.escalated",
] as const;
export type EventType = (typeof eventTypes)[number];

/** The dictionary key naming an event type; unknown types show as they are. */
export function eventKey(type: string): Key | null {
  return (eventTypes as readonly string[]).includes(type) ? (`event.${type}` as Key) : null;
}

export type EndpointState =
  { kind: "active" } | { kind: "failing"; since: string } | { kind: "disabled"; since: string };

/** Disabled wins over failing: nothing more is sent to a disabled endpoint. */
export function endpointState(ep: Pick<Endpoint, "disabledAt" | "failingSince">): EndpointState {
  if (ep.disabledAt) return { kind: "disabled", since: ep.disabledAt };
  if (ep.failingSince) return { kind: "failing", since: ep.failingSince };
  return { kind: "active" };
}

export type KeyState =
  { kind: "active" } | { kind: "revoked"; at: string } | { kind: "expired"; at: string };

export function keyState(
  k: Pick<IntegrationKey, "revokedAt" | "expiresAt">,
  now: Date = new Date(),
): KeyState {
  if (k.revokedAt) return { kind: "revoked", at: k.revokedAt };
  if (new Date(k.expiresAt).getTime() <= now.getTime()) return { kind: "expired", at: k.expiresAt };
  return { kind: "active" };
}

/**
 * The events an endpoint receives, as the create input sends them: every
 * type checked is "all" (omitted, so types added later arrive too).
 */
export function eventsInput(checked: readonly string[]): string[] | undefined {
  const known = eventTypes.filter((t) => checked.includes(t));
  return known.length === eventTypes.length ? undefined : known;
}

/** An endpoint's events, for display: null when it receives all of them. */
export function subscribedEvents(events: readonly string[]): readonly string[] | null {
  if (events.length === 0) return null;
  if (eventTypes.every((t) => events.includes(t))) return null;
  return events;
}

export interface EndpointForm {
  url: string;
  events: string[];
}

/**
 * The create form's checks before anything is sent (message keys by
 * field). The server decides the rest: https, a public host.
 */
export function checkEndpointForm(f: EndpointForm): Partial<Record<"url" | "events", Key>> {
  const out: Partial<Record<"url" | "events", Key>> = {};
  const url = f.url.trim();
  if (url === "") out.url = "v.required";
  else if (!isAbsoluteHttpUrl(url)) out.url = "integrations.v.url";
  if (f.events.length === 0) out.events = "integrations.v.events";
  return out;
}

export function isAbsoluteHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === "https:" || u.protocol === "http:") && u.host !== "";
  } catch {
    return false;
  }
}

export function checkKeyName(name: string): Key | null {
  const n = name.trim();
  if (n === "") return "v.required";
  if (n.length > 100) return "integrations.v.keyName";
  return null;
}

/** The field of this page's forms a userError belongs to ("url", "events", "name"), if any. */
export function integrationField(e: UserError): "url" | "events" | "name" | null {
  const path = e.field ?? [];
  const rest = path[0] === "input" ? path.slice(1) : path;
  switch (rest[0]) {
    case "url":
      return "url";
    case "events":
      return "events";
    case "name":
      return "name";
  }
  return null;
}

/**
 * The message of a userError of these mutations, by code (and for INVALID
 * by field): the server's English message is never shown.
 */
export function integrationErrorKey(e: UserError): Key {
  if (e.code === "INVALID") {
    switch (integrationField(e)) {
      case "url":
        return "integrations.v.urlServer";
      case "events":
        return "integrations.v.eventUnknown";
      case "name":
        return "integrations.v.keyName";
    }
    return "code.INVALID";
  }
  return userErrorKey(e);
}

/** A delivery's outcome for display: the HTTP answer when there was one. */
export function deliveryOutcome(d: Pick<Delivery, "status" | "statusCode">): {
  ok: boolean;
  code: number | null;
} {
  return { ok: d.status === "SUCCEEDED", code: d.statusCode ?? null };
}
