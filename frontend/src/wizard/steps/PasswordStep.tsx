import { useState } from "react";
import { SetPartnerPassword } from "../../api/documents";
import { useI18n } from "../../i18n/I18n";
import type { Key } from "../../i18n/en";
import { ErrorSummary, StepHeading, TextField } from "../components";
import { useStepForm } from "../form";
import { passwordSchema } from "../schemas";
import { useSetup } from "../useSetup";
import { useWizard } from "../WizardContext";

/**
 * The server's password rules that the page can check as the person types
 * (length, the email's name part); whether a password is common only the
 * server knows, so that rule shows as failed once the server refused it.
 */
export function passwordRules(password: string, email: string, refusedAsCommon: string | null) {
  const n = Array.from(password).length;
  const lower = password.toLowerCase();
  const local = email.split("@")[0].toLowerCase();
  const rules: { key: Key; ok: boolean | null }[] = [
    { key: "password.ruleLength", ok: n === 0 ? null : n >= 12 },
    { key: "password.ruleMax", ok: n === 0 ? null : n <= 128 },
    { key: "password.ruleEmail", ok: n === 0 ? null : !(lower === email.toLowerCase() || (local.length >= 4 && lower.includes(local))) },
    { key: "password.ruleCommon", ok: refusedAsCommon !== null && refusedAsCommon === password ? false : null },
  ];
  return rules;
}

export function PasswordStep() {
  const { t } = useI18n();
  const setup = useSetup();
  const { mutate } = useWizard();
  const [refused, setRefused] = useState<string | null>(null);
  const { form, general, submit } = useStepForm(passwordSchema, { password: "", confirm: "" }, ["password"]);
  const {
    register,
    formState: { errors, isSubmitting },
  } = form;
  const password = form.watch("password") ?? "";
  const rules = passwordRules(password, setup.email, refused);
  const onSubmit = submit(async (v) => {
    if (passwordRules(v.password, setup.email, null).some((r) => r.ok === false)) {
      form.setError("password", { type: "rules", message: "password.rulesFailed" }, { shouldFocus: true });
      return;
    }
    const r = await mutate(SetPartnerPassword, { password: v.password }, (d) => d.setPartnerPassword);
    if (!r.ok && r.userErrors.some((e) => e.code === "WEAK_PASSWORD")) setRefused(v.password);
    return r;
  });
  return (
    <section>
      <StepHeading>{t("password.title")}</StepHeading>
      <p>{t("password.intro", { name: setup.partnerOrg?.name ?? setup.order.partnerName, email: setup.email })}</p>
      <form noValidate onSubmit={onSubmit}>
        <ErrorSummary
          errors={errors}
          general={general}
          labels={{ password: t("password.password"), confirm: t("password.confirm") }}
        />
        {/* For password managers: the account this password belongs to. */}
        <input type="email" name="username" autoComplete="username" value={setup.email} readOnly hidden />
        <TextField
          id="password"
          label={t("password.password")}
          hint={t("password.hint")}
          type="password"
          autoComplete="new-password"
          error={errors.password}
          {...register("password")}
        />
        <div className="rules">
          <p id="password-rules" className="sr-only">
            {t("password.rulesTitle")}
          </p>
          <ul aria-labelledby="password-rules" data-testid="password-rules">
            {rules.map((r) => (
              <li key={r.key} className={r.ok === null ? "rule" : r.ok ? "rule ok" : "rule failed"}>
                <span aria-hidden="true">{r.ok === null ? "•" : r.ok ? "✓" : "✗"}</span> {t(r.key)}
                {r.ok !== null && <span className="sr-only"> ({r.ok ? t("password.ruleMet") : t("password.ruleFailed")})</span>}
              </li>
            ))}
          </ul>
        </div>
        <TextField
          id="password-confirm"
          label={t("password.confirm")}
          type="password"
          autoComplete="new-password"
          error={errors.confirm}
          {...register("confirm")}
        />
        <div className="actions">
          <button type="submit" className="primary" disabled={isSubmitting}>
            {isSubmitting ? t("common.saving") : t("password.submit")}
          </button>
        </div>
      </form>
    </section>
  );
}
