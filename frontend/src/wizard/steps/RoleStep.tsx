import { ChooseRole } from "../../api/documents";
import { useI18n } from "../../i18n/I18n";
import { ErrorSummary, StepHeading } from "../components";
import { useStepForm } from "../form";
import { roleSchema } from "../schemas";
import { useSetup } from "../useSetup";
import { useWizard } from "../WizardContext";

export function RoleStep() {
  const { t } = useI18n();
  const setup = useSetup();
  const { mutate } = useWizard();
  const partnerBlocked = setup.order.handedToCustomer;
  const { form, general, submit } = useStepForm(
    roleSchema,
    { role: setup.role ?? (partnerBlocked ? "CUSTOMER" : undefined) },
    ["role"],
  );
  const {
    register,
    formState: { errors, isSubmitting },
  } = form;
  const onSubmit = submit((v) => mutate(ChooseRole, { role: v.role }, (d) => d.chooseRole));
  return (
    <section>
      <StepHeading>{t("role.title")}</StepHeading>
      <p>{t("role.intro")}</p>
      <form noValidate onSubmit={onSubmit}>
        <ErrorSummary errors={errors} general={general} labels={{ role: t("role.legend") }} />
        <fieldset className="choices" aria-invalid={errors.role ? true : undefined}>
          <legend>{t("role.legend")}</legend>
          <label className="choice">
            <input type="radio" value="PARTNER" disabled={partnerBlocked} {...register("role")} />
            <span>
              <strong>{t("role.partner")}</strong>
              <span className="hint">
                {partnerBlocked ? t("role.partnerNotAllowed") : t("role.partnerHint")}
              </span>
            </span>
          </label>
          <label className="choice">
            <input type="radio" value="CUSTOMER" {...register("role")} />
            <span>
              <strong>{t("role.customer")}</strong>
              <span className="hint">{t("role.customerHint")}</span>
            </span>
          </label>
        </fieldset>
        <div className="actions">
          <button type="submit" className="primary" disabled={isSubmitting}>
            {isSubmitting ? t("common.saving") : t("common.next")}
          </button>
        </div>
      </form>
    </section>
  );
}
