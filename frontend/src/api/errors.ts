import type { CombinedError } from "urql";
import type { Key } from "../i18n/en";
import { isKey } from "../i18n/I18n";

export interface UserError {
  field?: readonly string[] | null;
  code: string;
  message: string;
}

/** Why a link stopped working, from extensions.reason. */
export type LinkProblem = "expired" | "replaced" | "cancelled" | "invalid";

export type Failure =
  | { kind: "link"; problem: LinkProblem }
  | { kind: "forbidden" }
  | { kind: "notFound" }
  | { kind: "network" }
  | { kind: "internal" };

/** Classifies a failed request: top-level errors and network failures. */
export function classify(error: CombinedError): Failure {
  if (error.networkError && error.graphQLErrors.length === 0) return { kind: "network" };
  for (const e of error.graphQLErrors) {
    const ext = (e.extensions ?? {}) as { code?: string; reason?: string };
    switch (ext.code) {
      case "UNAUTHENTICATED":
        switch (ext.reason) {
          case "EXPIRED":
            return { kind: "link", problem: "expired" };
          case "REPLACED":
            return { kind: "link", problem: "replaced" };
          case "CANCELLED":
            return { kind: "link", problem: "cancelled" };
          default:
            return { kind: "link", problem: "invalid" };
        }
      case "FORBIDDEN":
        return { kind: "forbidden" };
      case "NOT_FOUND":
        return { kind: "notFound" };
    }
  }
  return { kind: "internal" };
}

export function failureKey(f: Failure): Key {
  switch (f.kind) {
    case "network":
      return "errors.network";
    case "forbidden":
      return "errors.forbidden";
    default:
      return "errors.internal";
  }
}

/** The form field a userError belongs to: its path without "input". */
export function fieldName(e: UserError): string | null {
  if (!e.field || e.field.length === 0) return null;
  const path = e.field[0] === "input" ? e.field.slice(1) : e.field;
  return path.length ? path.join(".") : null;
}

/** The dictionary key of a userError: by code, and for INVALID by field. */
export function userErrorKey(e: UserError): Key {
  if (e.code === "INVALID") {
    const last = e.field?.[e.field.length - 1] ?? "";
    switch (last) {
      case "email":
        return "v.email";
      case "country":
        return "v.country";
      case "timeZone":
        return "v.timeZone";
      case "announcementLanguage":
      case "emailLanguage":
        return "v.language";
      case "note":
        return "v.tooLong";
      case "assignee":
      case "role":
        return "v.choose";
      case "name":
      case "locationName":
      case "line1":
      case "city":
      case "postalCode":
        return "v.required";
    }
    return "code.INVALID";
  }
  const key = `code.${e.code}`;
  return isKey(key) ? key : "errors.unknown";
}

/**
 * extensions.reason of a top-level UNAUTHENTICATED error (EXPIRED, REVOKED,
 * REPLACED, INVALID, MISSING…), or null when the request was not refused
 * for its token.
 */
export function authReason(error: CombinedError | undefined | null): string | null {
  if (!error) return null;
  for (const e of error.graphQLErrors) {
    const ext = (e.extensions ?? {}) as { code?: string; reason?: string };
    if (ext.code === "UNAUTHENTICATED") return ext.reason ?? "INVALID";
  }
  return null;
}
