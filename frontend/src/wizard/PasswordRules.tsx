import { useI18n } from "../i18n/I18n";
import type { Key } from "../i18n/en";

/**
 * The server's password rules that the page can check as the person types
 * (length, the email's name part); whether a password is common only the
 * server knows, so that rule shows as failed once the server refused it.
 * The wizard's password step, the password reset and the password change
 * share them.
 */
export function passwordRules(password: string, email: string, refusedAsCommon: string | null) {
  const n = Array.from(password).length;
  const lower = password.toLowerCase();
  const local = email.split("@")[0].toLowerCase();
  const rules: { key: Key; ok: boolean | null }[] = [
    { key: "password.ruleLength", ok: n === 0 ? null : n >= 12 },
    { key: "password.ruleMax", ok: n === 0 ? null : n <= 128 },
    {
      key: "password.ruleEmail",
      ok:
        n === 0
          ? null
          : !(
              email !== "" &&
              (lower === email.toLowerCase() || (local.length >= 4 && lower.includes(local)))
            ),
    },
    {
      key: "password.ruleCommon",
      ok: refusedAsCommon !== null && refusedAsCommon === password ? false : null,
    },
  ];
  return rules;
}

/** Whether a password breaks a rule the page can check. */
export function breaksRules(password: string, email: string): boolean {
  return passwordRules(password, email, null).some((r) => r.ok === false);
}

/** The rules as a list, each marked as the person types. */
export function PasswordRulesList({
  password,
  email,
  refused,
}: {
  password: string;
  email: string;
  refused: string | null;
}) {
  const { t } = useI18n();
  const rules = passwordRules(password, email, refused);
  return (
    <div className="rules">
      <p id="password-rules" className="sr-only">
        {t("password.rulesTitle")}
      </p>
      <ul aria-labelledby="password-rules" data-testid="password-rules">
        {rules.map((r) => (
          <li key={r.key} className={r.ok === null ? "rule" : r.ok ? "rule ok" : "rule failed"}>
            <span aria-hidden="true">{r.ok === null ? "•" : r.ok ? "✓" : "✗"}</span> {t(r.key)}
            {r.ok !== null && (
              <span className="sr-only">
                {" "}
                ({r.ok ? t("password.ruleMet") : t("password.ruleFailed")})
              </span>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
