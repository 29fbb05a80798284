import { useId, useState } from "react";
import { ReportUnrecognized } from "../../api/documents";
import type { SetupRole } from "../../gql/graphql";
import { useI18n } from "../../i18n/I18n";
import { Dialog, ErrorSummary, useMessage } from "../components";
import { useStepForm } from "../form";
import { reportSchema } from "../schemas";
import { useWizard } from "../WizardContext";

/** "I don't recognize this organization": puts the order on hold. */
export function NotRecognized({ organization }: { organization: SetupRole }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="link-button" onClick={() => setOpen(true)}>
        {t("org.notRecognized")}
      </button>
      {open && <ReportDialog organization={organization} onClose={() => setOpen(false)} />}
    </>
  );
}

function ReportDialog({ organization, onClose }: { organization: SetupRole; onClose: () => void }) {
  const { t } = useI18n();
  const message = useMessage();
  const { mutate } = useWizard();
  const noteId = useId();
  const { form, general, submit } = useStepForm(reportSchema, { note: "" }, ["note"]);
  const {
    register,
    formState: { errors, isSubmitting },
  } = form;
  const onSubmit = submit((v) =>
    mutate(
      ReportUnrecognized,
      { input: { organization, note: v.note || null } },
      (d) => d.reportUnrecognizedOrganization,
    ),
  );
  const formId = useId();
  return (
    <Dialog
      title={t("report.title")}
      onClose={onClose}
      actions={
        <>
          <button type="button" className="secondary" onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button type="submit" form={formId} className="danger" disabled={isSubmitting}>
            {t("report.submit")}
          </button>
        </>
      }
    >
      <p>{t("report.body")}</p>
      <form id={formId} noValidate onSubmit={onSubmit}>
        <ErrorSummary errors={errors} general={general} labels={{ note: t("report.note") }} />
        <div className="field">
          <label htmlFor={noteId}>
            {t("report.note")} <span className="optional">({t("common.optional")})</span>
          </label>
          <textarea
            id={noteId}
            rows={3}
            aria-invalid={errors.note ? true : undefined}
            {...register("note")}
          />
          {errors.note && <p className="field-error">{message(errors.note.message)}</p>}
        </div>
      </form>
    </Dialog>
  );
}
