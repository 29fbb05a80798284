import { ConfirmOrgs } from "../../api/documents";
import { useI18n } from "../../i18n/I18n";
import { ErrorSummary, OrgView, StepHeading } from "../components";
import { useStepForm } from "../form";
import { emptySchema } from "../schemas";
import { useSetup } from "../useSetup";
import { useWizard } from "../WizardContext";
import { BackLink } from "./BackLink";

export function ConfirmStep() {
  const { t } = useI18n();
  const setup = useSetup();
  const { mutate } = useWizard();
  const { form, general, submit } = useStepForm(emptySchema, {}, []);
  const onSubmit = submit(() => mutate(ConfirmOrgs, {}, (d) => d.confirmOrgs));
  const partner = setup.role === "PARTNER" ? setup.partnerOrg : null;
  const customer = setup.customerOrg;
  return (
    <section>
      <StepHeading>{t("confirm.title")}</StepHeading>
      <p>{t(partner ? "confirm.intro" : "confirm.introCustomer")}</p>
      <form noValidate onSubmit={onSubmit}>
        <ErrorSummary errors={form.formState.errors} general={general} labels={{}} />
        <dl className="facts">
          <dt>{t("confirm.setupBy")}</dt>
          <dd>{setup.email}</dd>
          <dt>{t("confirm.admin")}</dt>
          <dd>{setup.customerAdminEmail}</dd>
        </dl>
        {partner && (
          <div className="card">
            <h2>
              {t("confirm.partner")}{" "}
              <span className="badge">
                {partner.existing ? t("confirm.existing") : t("confirm.new")}
              </span>
            </h2>
            <OrgView org={partner} />
          </div>
        )}
        {customer && (
          <div className="card">
            <h2>
              {t("confirm.customer")}{" "}
              <span className="badge">
                {customer.existing ? t("confirm.existing") : t("confirm.new")}
              </span>
            </h2>
            <OrgView org={customer} />
          </div>
        )}
        {setup.role === "CUSTOMER" && <p className="hint">{t("confirm.customerPath")}</p>}
        <div className="actions">
          <BackLink view="CONFIRM" />
          <button type="submit" className="primary" disabled={form.formState.isSubmitting}>
            {form.formState.isSubmitting ? t("common.saving") : t("common.next")}
          </button>
        </div>
      </form>
    </section>
  );
}
