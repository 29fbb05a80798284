import { useState } from "react";
import { useNavigate } from "react-router";
import { Provision } from "../../api/documents";
import { useI18n } from "../../i18n/I18n";
import type { Key } from "../../i18n/en";
import { Dialog, ErrorSummary, StepHeading } from "../components";
import { useStepForm } from "../form";
import { emptySchema } from "../schemas";
import { stepPath } from "../steps";
import { useSetup } from "../useSetup";
import { useWizard } from "../WizardContext";
import { ServiceList } from "./ServicesStep";

export function ProvisionStep() {
  const { t } = useI18n();
  const setup = useSetup();
  const { mutate, load, setJustProvisioned } = useWizard();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const { form, general, submit } = useStepForm(emptySchema, {}, []);
  const services = setup.order.subscription?.services ?? [];
  const working = form.formState.isSubmitting;

  const onProvision = submit(async () => {
    // The order's id is the idempotency key: a retry, a reload or a second
    // tab answers the same subscription and bills once.
    const r = await mutate(
      Provision,
      { key: setup.order.id },
      (d) => ({ userErrors: d.provision.userErrors }),
      { navigate: false },
    );
    setConfirming(false);
    if (r.ok) {
      setJustProvisioned(true);
      // The layout then moves to the done page: provisioned is its only page.
      await load().catch(() => null);
      navigate(stepPath.DONE, { replace: true });
    }
    return r;
  });

  return (
    <section>
      <StepHeading>{t("provision.title")}</StepHeading>
      <p>{t("provision.intro")}</p>
      <div className="card">
        <ServiceList setup={setup} />
      </div>
      <form noValidate onSubmit={(e) => e.preventDefault()}>
        <ErrorSummary errors={form.formState.errors} general={general} labels={{}} />
        <div className="actions">
          <button type="button" className="secondary" onClick={() => navigate(stepPath.SERVICES)}>
            {t("common.back")}
          </button>
          <button
            type="button"
            className="primary"
            onClick={() => setConfirming(true)}
            disabled={working}
          >
            {working ? t("provision.working") : t("provision.button")}
          </button>
        </div>
      </form>
      {confirming && (
        <Dialog
          title={t("dialog.title")}
          onClose={() => !working && setConfirming(false)}
          actions={
            <>
              <button
                type="button"
                className="secondary"
                onClick={() => setConfirming(false)}
                disabled={working}
              >
                {t("common.cancel")}
              </button>
              <button
                type="button"
                className="primary"
                onClick={() => onProvision()}
                disabled={working}
              >
                {working ? t("provision.working") : t("provision.button")}
              </button>
            </>
          }
        >
          <p>{t("dialog.body")}</p>
          <ul>
            {services.map((s) => (
              <li key={s.kind}>
                {t("dialog.line", { service: t(`service.${s.kind}` as Key), quantity: s.quantity })}
              </li>
            ))}
          </ul>
          <p>
            <strong>{t("dialog.final")}</strong>
          </p>
        </Dialog>
      )}
    </section>
  );
}
