import { AssignSetup } from "../../api/documents";
import { useI18n } from "../../i18n/I18n";
import { ErrorSummary, StepHeading, TextField } from "../components";
import { useStepForm } from "../form";
import { assignSchema } from "../schemas";
import { useSetup } from "../useSetup";
import { useWizard } from "../WizardContext";
import { BackLink } from "./BackLink";

export function AssignmentStep() {
  const { t } = useI18n();
  const setup = useSetup();
  const { mutate } = useWizard();
  const isPartner = setup.role === "PARTNER";
  const { form, general, submit } = useStepForm(
    assignSchema(setup.email),
    { assignee: setup.assignee ?? undefined, email: "" },
    ["assignee", "email"],
  );
  const {
    register,
    watch,
    formState: { errors, isSubmitting },
  } = form;
  const assignee = watch("assignee");
  const handsOff = assignee === "COLLEAGUE" || assignee === "CUSTOMER";
  const onSubmit = submit((v) =>
    mutate(
      AssignSetup,
      {
        input: {
          assignee: v.assignee,
          email: v.assignee === "SELF" ? null : (v.email ?? "").trim(),
        },
      },
      (d) => d.assignSetup,
    ),
  );
  const emailLabel =
    assignee === "CUSTOMER" ? t("assign.customerEmail") : t("assign.colleagueEmail");
  return (
    <section>
      <StepHeading>{t("assign.title")}</StepHeading>
      <form noValidate onSubmit={onSubmit}>
        <ErrorSummary
          errors={errors}
          general={general}
          labels={{ assignee: t("assign.legend"), email: emailLabel }}
        />
        <fieldset className="choices">
          <legend>{t("assign.legend")}</legend>
          <label className="choice">
            <input type="radio" value="SELF" {...register("assignee")} />
            <span>
              <strong>{t("assign.self")}</strong>
            </span>
          </label>
          <label className="choice">
            <input type="radio" value="COLLEAGUE" {...register("assignee")} />
            <span>
              <strong>{t("assign.colleague")}</strong>
              <span className="hint">{t("assign.colleagueHint")}</span>
            </span>
          </label>
          {isPartner && (
            <label className="choice">
              <input type="radio" value="CUSTOMER" {...register("assignee")} />
              <span>
                <strong>{t("assign.customer")}</strong>
                <span className="hint">{t("assign.customerHint")}</span>
              </span>
            </label>
          )}
        </fieldset>
        {handsOff && (
          <TextField
            id="assign-email"
            label={emailLabel}
            hint={t("assign.emailHint")}
            type="email"
            autoComplete="email"
            inputMode="email"
            error={errors.email}
            {...register("email")}
          />
        )}
        <div className="actions">
          <BackLink view="ASSIGNMENT" />
          <button type="submit" className="primary" disabled={isSubmitting}>
            {isSubmitting ? t("common.saving") : handsOff ? t("assign.send") : t("common.next")}
          </button>
        </div>
      </form>
    </section>
  );
}
