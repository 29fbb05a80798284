import { useState } from "react";
import { SetPartnerPassword } from "../../api/documents";
import { useI18n } from "../../i18n/I18n";
import { ErrorSummary, StepHeading, TextField } from "../components";
import { useStepForm } from "../form";
import { breaksRules, PasswordRulesList } from "../PasswordRules";
import { passwordSchema } from "../schemas";
import { useSetup } from "../useSetup";
import { useWizard } from "../WizardContext";

export function PasswordStep() {
  const { t } = useI18n();
  const setup = useSetup();
  const { mutate } = useWizard();
  const [refused, setRefused] = useState<string | null>(null);
  const { form, general, submit } = useStepForm(passwordSchema, { password: "", confirm: "" }, [
    "password",
  ]);
  const {
    register,
    formState: { errors, isSubmitting },
  } = form;
  const password = form.watch("password") ?? "";
  const onSubmit = submit(async (v) => {
    if (breaksRules(v.password, setup.email)) {
      form.setError(
        "password",
        { type: "rules", message: "password.rulesFailed" },
        { shouldFocus: true },
      );
      return;
    }
    const r = await mutate(
      SetPartnerPassword,
      { password: v.password },
      (d) => d.setPartnerPassword,
    );
    if (!r.ok && r.userErrors.some((e) => e.code === "WEAK_PASSWORD")) setRefused(v.password);
    return r;
  });
  return (
    <section>
      <StepHeading>{t("password.title")}</StepHeading>
      <p>
        {t("password.intro", {
          name: setup.partnerOrg?.name ?? setup.order.partnerName,
          email: setup.email,
        })}
      </p>
      <form noValidate onSubmit={onSubmit}>
        <ErrorSummary
          errors={errors}
          general={general}
          labels={{ password: t("password.password"), confirm: t("password.confirm") }}
        />
        {/* For password managers: the account this password belongs to. */}
        <input
          type="email"
          name="username"
          autoComplete="username"
          value={setup.email}
          readOnly
          hidden
        />
        <TextField
          id="password"
          label={t("password.password")}
          hint={t("password.hint")}
          type="password"
          autoComplete="new-password"
          error={errors.password}
          {...register("password")}
        />
        <PasswordRulesList password={password} email={setup.email} refused={refused} />
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
