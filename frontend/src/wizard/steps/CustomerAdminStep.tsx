import { SetCustomerAdmin } from "../../api/documents";
import { useI18n } from "../../i18n/I18n";
import { ErrorSummary, StepHeading, TextField } from "../components";
import { useStepForm } from "../form";
import { customerAdminSchema } from "../schemas";
import { useSetup } from "../useSetup";
import { useWizard } from "../WizardContext";
import { BackLink } from "./BackLink";

export function CustomerAdminStep() {
  const { t } = useI18n();
  const setup = useSetup();
  const { mutate } = useWizard();
  const { form, general, submit } = useStepForm(
    customerAdminSchema,
    { email: setup.customerAdminEmail ?? "" },
    ["email"],
  );
  const {
    register,
    formState: { errors, isSubmitting },
  } = form;
  const onSubmit = submit(async (v) => {
    const r = await mutate(SetCustomerAdmin, { email: v.email }, (d) => d.setCustomerAdmin);
    // On a new partner organization the link's holder becomes its
    // administrator, so their own address cannot be the customer's: say so
    // rather than "belongs to a partner organization" (which is not yet true).
    if (!r.ok && v.email.toLowerCase() === setup.email.toLowerCase()) {
      const own = r.userErrors.filter((e) => e.code === "EMAIL_IN_PARTNER_ORG");
      if (own.length > 0) {
        form.setError(
          "email",
          { type: "server", message: "v.adminIsPartnerAdmin" },
          { shouldFocus: true },
        );
        return { ...r, userErrors: r.userErrors.filter((e) => e.code !== "EMAIL_IN_PARTNER_ORG") };
      }
    }
    return r;
  });
  return (
    <section>
      <StepHeading>{t("customerAdmin.title")}</StepHeading>
      <p>{t("customerAdmin.intro")}</p>
      <form noValidate onSubmit={onSubmit}>
        <ErrorSummary
          errors={errors}
          general={general}
          labels={{ email: t("customerAdmin.email") }}
        />
        <TextField
          id="customer-admin-email"
          label={t("customerAdmin.email")}
          hint={t("customerAdmin.hint")}
          type="email"
          autoComplete="email"
          inputMode="email"
          error={errors.email}
          {...register("email")}
        />
        <div className="actions">
          <BackLink view="CUSTOMER_ADMIN" />
          <button type="submit" className="primary" disabled={isSubmitting}>
            {isSubmitting ? t("common.saving") : t("common.next")}
          </button>
        </div>
      </form>
    </section>
  );
}
