import { describe, expect, test } from "vitest";
import {
  assignSchema,
  callSettingsSchema,
  customerAdminSchema,
  orgSchema,
  passwordSchema,
  roleSchema,
  subdomainSchema,
} from "./schemas";

const messages = (r: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}) => Object.fromEntries((r.error?.issues ?? []).map((i) => [i.path.join("."), i.message]));

describe("zod validation", () => {
  test("role must be chosen", () => {
    expect(roleSchema.safeParse({}).success).toBe(false);
    expect(messages(roleSchema.safeParse({ role: undefined }))).toEqual({ role: "v.choose" });
    expect(roleSchema.safeParse({ role: "PARTNER" }).success).toBe(true);
  });

  test("who sets up: an email for a colleague or the customer, not one's own", () => {
    const s = assignSchema("me@partner.example");
    expect(s.safeParse({ assignee: "SELF" }).success).toBe(true);
    expect(messages(s.safeParse({ assignee: "COLLEAGUE", email: "" }))).toEqual({
      email: "v.required",
    });
    expect(messages(s.safeParse({ assignee: "CUSTOMER", email: "not-an-email" }))).toEqual({
      email: "v.email",
    });
    expect(messages(s.safeParse({ assignee: "COLLEAGUE", email: " ME@partner.example " }))).toEqual(
      { email: "v.ownEmail" },
    );
    expect(s.safeParse({ assignee: "COLLEAGUE", email: "you@partner.example" }).success).toBe(true);
  });

  test("customer administrator email", () => {
    expect(customerAdminSchema.safeParse({ email: "admin@acme.example" }).success).toBe(true);
    expect(messages(customerAdminSchema.safeParse({ email: "admin@" }))).toEqual({
      email: "v.email",
    });
    expect(messages(customerAdminSchema.safeParse({ email: "  " }))).toEqual({
      email: "v.required",
    });
  });

  test("organization: required fields, a two-letter country (upper-cased)", () => {
    const good = {
      name: " Acme ",
      country: "rs",
      address: { line1: "Bulevar 1", line2: "", city: "Beograd", postalCode: "11000", region: "" },
    };
    const r = orgSchema.safeParse(good);
    expect(r.success).toBe(true);
    expect(r.data).toMatchObject({ name: "Acme", country: "RS" });
    const bad = orgSchema.safeParse({
      name: "",
      country: "Serbia",
      address: { line1: "", city: "", postalCode: "" },
    });
    expect(messages(bad)).toEqual({
      name: "v.required",
      country: "v.country",
      "address.line1": "v.required",
      "address.city": "v.required",
      "address.postalCode": "v.required",
    });
    expect(messages(orgSchema.safeParse({ ...good, name: "x".repeat(201) }))).toEqual({
      name: "v.tooLong",
    });
  });

  test("password: 12 to 128 characters, repeated the same", () => {
    expect(messages(passwordSchema.safeParse({ password: "short", confirm: "short" }))).toEqual({
      password: "v.passwordShort",
    });
    expect(
      messages(passwordSchema.safeParse({ password: "x".repeat(129), confirm: "x".repeat(129) })),
    ).toEqual({
      password: "v.passwordLong",
    });
    expect(
      messages(
        passwordSchema.safeParse({ password: "a long passphrase", confirm: "a long passphrasE" }),
      ),
    ).toEqual({
      confirm: "v.passwordMatch",
    });
    expect(
      passwordSchema.safeParse({ password: "a long passphrase", confirm: "a long passphrase" })
        .success,
    ).toBe(true);
  });

  test("subdomain: letters, digits, inner hyphens, at most 63, lower-cased", () => {
    const ok = (s: string) => subdomainSchema.safeParse({ subdomain: s });
    expect(ok("Acme-Site").data).toEqual({ subdomain: "acme-site" });
    expect(ok("a").success).toBe(true);
    expect(ok("a".repeat(63)).success).toBe(true);
    for (const bad of ["-acme", "acme-", "ac_me", "acme.site", "a".repeat(64), "šuma"]) {
      expect(messages(ok(bad))).toEqual({ subdomain: "v.subdomain" });
    }
    expect(messages(ok(""))).toEqual({ subdomain: "v.required" });
  });

  test("call settings need a time zone, languages, a location and its address", () => {
    const r = callSettingsSchema.safeParse({
      timeZone: "",
      announcementLanguage: "",
      emailLanguage: "sr_RS",
      locationName: "",
      address: { line1: "Bulevar 1", city: "Beograd", postalCode: "11000" },
    });
    expect(messages(r)).toEqual({
      timeZone: "v.timeZone",
      announcementLanguage: "v.language",
      locationName: "v.required",
    });
  });
});
