import { Fragment, useEffect, useRef, useState } from "react";
import { Link, Navigate, Outlet, useLocation } from "react-router";
import { useSubscription } from "urql";
import { OrderStatusChanged } from "../api/documents";
import { failureKey, type Failure } from "../api/errors";
import { setupToken } from "../api/session";
import { useI18n } from "../i18n/I18n";
import type { Key } from "../i18n/en";
import {
  drafting,
  homePath,
  reachable,
  stepCount,
  stepDone,
  stepOfPath,
  stepPath,
  type Setup,
} from "./steps";
import type { SetupStep } from "../gql/graphql";
import { Status } from "./components";
import { useWizard, type Notice } from "./WizardContext";

/** Loads the session once, then sends the person to where setup stands. */
export function useSessionLoader(): {
  setup: Setup | null;
  failure: Failure | null;
  retry: () => void;
} {
  const { setup, load } = useWizard();
  const [failure, setFailure] = useState<Failure | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (setup) return;
    setFailure(null);
    load({ start: setupToken.takeStart() }).catch((f: Failure) =>
      setFailure(f?.kind ? f : { kind: "internal" }),
    );
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
  const loc = useLocation();
  const { t, suggestLang } = useI18n();
  const view = stepOfPath(loc.pathname);
  const wizard = useWizard();
  const notice =
    (loc.state as { notice?: Notice } | null)?.notice ??
    (wizard.notice?.path === loc.pathname ? wizard.notice.kind : undefined);
  useDraftWatch(setup);
  useNoticeLifetime(loc.pathname);

  useEffect(() => {
    if (setup) suggestLang(setup.order.language);
  }, [setup, suggestLang]);

  if (!setup) return <Loading failure={failure} retry={retry} />;
  if (!view || !reachable(view, setup)) return <Navigate to={homePath(setup)} replace />;

  return (
    <main id="main" className="page wizard">
      <OrderSummary setup={setup} />
      <StepList setup={setup} view={view} />
      <div className="step">
        {notice === "wrongStep" && (
          <Status className="notice">
            <p>{t("wizard.wrongStep")}</p>
          </Status>
        )}
        {notice === "draftRestarted" && (
          <div role="alert" className="notice warning" data-testid="draft-restarted">
            <p>{t("wizard.draftRestarted")}</p>
          </div>
        )}
        {/* A new draft (the link was opened again) starts the step's form afresh. */}
        <Fragment key={setup.draftId}>
          <Outlet />
        </Fragment>
        {drafting(setup) && <p className="hint footnote">{t("wizard.notSaved")}</p>}
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
        {t("wizard.order", {
          externalId: o.externalID,
          product: o.product.replace("_", "-"),
          customer: o.customerName,
        })}
      </p>
      <p className="hint">{t("wizard.partner", { partner: o.partnerName })}</p>
    </header>
  );
}

/** The wizard's notice lasts while its page shows: once the person moves on, it is gone. */
function useNoticeLifetime(pathname: string) {
  const { notice, clearNotice } = useWizard();
  const shown = useRef(false);
  useEffect(() => {
    if (!notice) {
      shown.current = false;
    } else if (pathname === notice.path) {
      shown.current = true;
    } else if (shown.current) {
      shown.current = false;
      clearNotice();
    }
  }, [pathname, notice, clearNotice]);
}

/**
 * The live status while the wizard is open: an event naming a draft this tab
 * never held means the link was opened again in another tab or window, whose
 * startSetup began a new draft; the tab then restarts (WizardProvider).
 */
function useDraftWatch(setup: Setup | null) {
  const { draftSeen } = useWizard();
  const status = setup?.order.status;
  const live =
    !!setup && status !== "PROVISIONED" && status !== "ON_HOLD" && status !== "CANCELLED";
  const [res] = useSubscription({
    query: OrderStatusChanged,
    variables: { orderId: setup?.order.id ?? "" },
    pause: !live,
  });
  const draftId = res.data?.orderStatusChanged.draftId;
  useEffect(() => {
    if (live) draftSeen(draftId);
  }, [draftId, live, draftSeen]);
}

/** The steps of this setup as the server lists them, "Step N of M", and links to the ones that may be answered again. */
export function StepList({ setup, view }: { setup: Setup; view: SetupStep }) {
  const { t } = useI18n();
  const steps = setup.steps;
  const count = stepCount(view, setup);
  return (
    <nav className="steps" aria-label={t("wizard.steps")}>
      {count && <p className="step-count">{t("wizard.stepOf", count)}</p>}
      <ol>
        {steps.map((s, i) => {
          const done = stepDone(s, setup);
          const current = s === view;
          const canGo = !current && reachable(s, setup);
          const label = t(`step.${s}` as Key);
          return (
            <li
              key={s}
              aria-current={current ? "step" : undefined}
              className={current ? "current" : done ? "done" : "todo"}
            >
              <span className="num" aria-hidden="true">
                {done && !current ? "✓" : i + 1}
              </span>
              {canGo ? (
                <Link to={stepPath[s]}>{label}</Link>
              ) : (
                <span className="label">{label}</span>
              )}
              {done && !current && <span className="sr-only"> ({t("wizard.done")})</span>}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
