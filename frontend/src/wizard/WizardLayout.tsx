import { useEffect, useState } from "react";
import { Link, Navigate, Outlet, useLocation } from "react-router";
import { failureKey, type Failure } from "../api/errors";
import { setupToken } from "../api/session";
import { useI18n } from "../i18n/I18n";
import type { Key } from "../i18n/en";
import { homePath, reachable, stepOfPath, stepOrder, stepPath, visibleSteps, type Setup } from "./steps";
import type { SetupStep } from "../gql/graphql";
import { Status } from "./components";
import { useWizard } from "./WizardContext";

/** Loads the session once, then sends the person to where setup stands. */
export function useSessionLoader(): { setup: Setup | null; failure: Failure | null; retry: () => void } {
  const { setup, load } = useWizard();
  const [failure, setFailure] = useState<Failure | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (setup) return;
    setFailure(null);
    load({ start: setupToken.takeStart() }).catch((f: Failure) => setFailure(f?.kind ? f : { kind: "internal" }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [attempt]);
  return { setup, failure, retry: () => setAttempt((n) => n + 1) };
}

function Loading({ failure, retry }: { failure: Failure | null; retry: () => void }) {
  const { t } = useI18n();
  return (
    <main id="main" className="page narrow">
      {failure ? (
        <div role="alert" className="error-summary">
          <p>{t(failureKey(failure))}</p>
          <button type="button" className="secondary" onClick={retry}>
            {t("common.retry")}
          </button>
        </div>
      ) : (
        <Status>
          <p className="loading">{t("wizard.loading")}</p>
        </Status>
      )}
    </main>
  );
}

/** /setup (the link lands here): open the session, go to its step. */
export function SetupEntry() {
  const { setup, failure, retry } = useSessionLoader();
  if (setup) return <Navigate to={homePath(setup)} replace />;
  return <Loading failure={failure} retry={retry} />;
}

/** The wizard's frame: order summary, step list, and the step of the URL. */
export function WizardLayout() {
  const { setup, failure, retry } = useSessionLoader();
  const { sawPassword } = useWizard();
  const loc = useLocation();
  const { t, suggestLang } = useI18n();
  const view = stepOfPath(loc.pathname);
  const notice = (loc.state as { notice?: string } | null)?.notice;

  useEffect(() => {
    if (setup) suggestLang(setup.order.language);
  }, [setup, suggestLang]);

  if (!setup) return <Loading failure={failure} retry={retry} />;
  if (!view || !reachable(view, setup)) return <Navigate to={homePath(setup)} replace />;

  return (
    <main id="main" className="page wizard">
      <OrderSummary setup={setup} />
      <StepList setup={setup} view={view} sawPassword={sawPassword} />
      <div className="step">
        {notice === "wrongStep" && (
          <Status className="notice">
            <p>{t("wizard.wrongStep")}</p>
          </Status>
        )}
        <Outlet />
        {stepOrder.indexOf(view) <= stepOrder.indexOf("CONFIRM") && <p className="hint footnote">{t("wizard.notSaved")}</p>}
      </div>
    </main>
  );
}

function OrderSummary({ setup }: { setup: Setup }) {
  const { t } = useI18n();
  const o = setup.order;
  return (
    <header className="order">
      <p className="order-title">
        {t("wizard.order", { externalId: o.externalID, product: o.product.replace("_", "-"), customer: o.customerName })}
      </p>
      <p className="hint">{t("wizard.partner", { partner: o.partnerName })}</p>
    </header>
  );
}

export function StepList({ setup, view, sawPassword }: { setup: Setup; view: SetupStep; sawPassword: boolean }) {
  const { t } = useI18n();
  const steps = visibleSteps(setup, sawPassword);
  const at = stepOrder.indexOf(setup.order.status === "PROVISIONED" ? "DONE" : setup.step);
  const n = steps.indexOf(view) + 1;
  return (
    <nav className="steps" aria-label={t("wizard.steps")}>
      <p className="step-count">{t("wizard.stepOf", { n: Math.max(n, 1), total: steps.length })}</p>
      <ol>
        {steps.map((s, i) => {
          const done = stepOrder.indexOf(s) < at || setup.order.status === "PROVISIONED";
          const current = s === view;
          const canGo = !current && reachable(s, setup);
          const label = t(`step.${s}` as Key);
          return (
            <li key={s} aria-current={current ? "step" : undefined} className={current ? "current" : done ? "done" : "todo"}>
              <span className="num" aria-hidden="true">
                {done && !current ? "✓" : i + 1}
              </span>
              {canGo ? <Link to={stepPath[s]}>{label}</Link> : <span className="label">{label}</span>}
              {done && !current && <span className="sr-only"> ({t("wizard.done")})</span>}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
