import { z } from "zod";
import type { Key } from "../i18n/en";

// Form validation. Messages are dictionary keys, translated where they are
// shown; the server checks everything again and its userErrors land at the
// same fields.

const msg = (k: Key) => ({ message: k });

const required = (max: number) =>
  z.string().trim().min(1, msg("v.required")).max(max, msg("v.tooLong"));
const optional = (max: number) => z.string().trim().max(max, msg("v.tooLong")).optional();

export const email = z
  .string()
  .trim()
  .min(1, msg("v.required"))
  .max(254, msg("v.tooLong"))
  .pipe(z.email(msg("v.email")));

export const countryCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z]{2}$/, msg("v.country"))
  .transform((s) => s.toUpperCase());

export const addressSchema = z.object({
  line1: required(200),
  line2: optional(200),
  city: required(100),
  postalCode: required(20),
  region: optional(100),
});

export const orgSchema = z.object({
  name: required(200),
  country: countryCode,
  address: addressSchema,
});
export type OrgForm = z.input<typeof orgSchema>;

export const roleSchema = z.object({
  role: z.enum(["PARTNER", "CUSTOMER"], msg("v.choose")),
});
export type RoleForm = z.input<typeof roleSchema>;

/** Who sets up; the email is required for a colleague or the customer and must not be the link's own. */
export function assignSchema(ownEmail: string) {
  return z
    .object({
      assignee: z.enum(["SELF", "COLLEAGUE", "CUSTOMER"], msg("v.choose")),
      email: z.string().trim().optional(),
    })
    .superRefine((v, ctx) => {
      if (v.assignee === "SELF") return;
      const r = email.safeParse(v.email ?? "");
      if (!r.success) {
        ctx.addIssue({
          code: "custom",
          path: ["email"],
          message: r.error.issues[0]?.message ?? "v.email",
        });
      } else if (r.data.toLowerCase() === ownEmail.toLowerCase()) {
        ctx.addIssue({ code: "custom", path: ["email"], message: "v.ownEmail" });
      }
    });
}
export type AssignForm = z.input<ReturnType<typeof assignSchema>>;

export const customerAdminSchema = z.object({ email });
export type CustomerAdminForm = z.input<typeof customerAdminSchema>;

export const reportSchema = z.object({ note: optional(2000) });
export type ReportForm = z.input<typeof reportSchema>;

export const passwordSchema = z
  .object({
    password: z.string().min(12, msg("v.passwordShort")).max(128, msg("v.passwordLong")),
    confirm: z.string(),
  })
  .refine((v) => v.password === v.confirm, { path: ["confirm"], message: "v.passwordMatch" });
export type PasswordForm = z.input<typeof passwordSchema>;

export const callSettingsSchema = z.object({
  timeZone: z.string().min(1, msg("v.timeZone")),
  announcementLanguage: z.string().min(1, msg("v.language")),
  emailLanguage: z.string().min(1, msg("v.language")),
  locationName: required(100),
  address: addressSchema,
});
export type CallSettingsForm = z.input<typeof callSettingsSchema>;

/** Letters, digits and inner hyphens, 1 to 63: the server's own rule (it also checks reserved and taken names). */
export const subdomainPattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const subdomainSchema = z.object({
  subdomain: z
    .string()
    .trim()
    .transform((s) => s.toLowerCase())
    .pipe(z.string().min(1, msg("v.required")))
    .pipe(z.string().regex(subdomainPattern, msg("v.subdomain"))),
});
export type SubdomainForm = z.input<typeof subdomainSchema>;

export const signInSchema = z.object({
  email,
  password: z.string().min(1, msg("v.required")),
});
export type SignInForm = z.input<typeof signInSchema>;

/** The languages the server offers for calling announcements and emails. */
export const callLanguages = [
  "en_US",
  "en_GB",
  "sr_RS",
  "hr_HR",
  "sl_SI",
  "de_DE",
  "fr_FR",
  "es_ES",
  "it_IT",
  "nl_NL",
  "pt_BR",
  "pt_PT",
  "pl_PL",
  "cs_CZ",
  "hu_HU",
  "ro_RO",
  "bg_BG",
  "el_GR",
  "tr_TR",
  "sv_SE",
  "da_DK",
  "nb_NO",
  "fi_FI",
  "ru_RU",
  "uk_UA",
  "ja_JP",
  "ko_KR",
  "zh_CN",
  "zh_TW",
] as const;

/** A step whose form only confirms. */
export const emptySchema = z.object({});
