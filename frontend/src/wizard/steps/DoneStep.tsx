import { Link } from "react-router";
import { useSubscription } from "urql";
import { OrderStatusChanged } from "../../api/documents";
import { useFormat, useI18n } from "../../i18n/I18n";
import type { Key } from "../../i18n/en";
import { Status, StepHeading } from "../components";
import { useSetup } from "../useSetup";
import { ServiceList } from "./ServicesStep";
import { useWizard } from "../WizardContext";

export function DoneStep() {
  const { t } = useI18n();
  const setup = useSetup();
  const { justProvisioned: just } = useWizard();
  return (
    <section>
      <StepHeading>{just ? t("done.title") : t("done.completeTitle")}</StepHeading>
      <p>{just ? t("done.body") : t("done.completeBody")}</p>
      <LiveStatus orderId={setup.order.id} initial={setup} />
      <div className="card">
        <ServiceList setup={setup} />
      </div>
      {setup.role === "PARTNER" ? (
        <p>
          {t("done.signin")} <Link to="/signin">{t("done.signinLink")}</Link>
        </p>
      ) : (
        <p className="hint">{t("done.customerNext")}</p>
      )}
    </section>
  );
}

/** The order's status, live: orderStatusChanged sends the current state, then every change. */
export function LiveStatus({
  orderId,
  initial,
}: {
  orderId: string;
  initial: {
    order: {
      status: string;
      subscription?: { activatedAt?: string | null; billingStartedAt?: string | null } | null;
    };
  };
}) {
  const { t } = useI18n();
  const f = useFormat();
  const [res] = useSubscription({ query: OrderStatusChanged, variables: { orderId } });
  const ev = res.data?.orderStatusChanged;
  const status = ev?.status ?? initial.order.status;
  const sub = ev?.order.subscription ?? initial.order.subscription;
  const state = res.error ? "closed" : ev ? "live" : "connecting";
  return (
    <section className="card live" aria-labelledby="live-title">
      <h2 id="live-title">
        {t("done.live")}{" "}
        <span className={`pill ${state}`}>
          {state === "live"
            ? t("done.connected")
            : state === "connecting"
              ? t("done.connecting")
              : "—"}
        </span>
      </h2>
      <Status>
        <dl className="facts">
          <dt>{t("done.status")}</dt>
          <dd data-testid="live-status">
            <strong>{t(`orderStatus.${status}` as Key)}</strong>
          </dd>
          {ev && (
            <>
              <dt>{t("done.updated")}</dt>
              <dd>{f.dateTime(ev.at)}</dd>
            </>
          )}
          {sub?.activatedAt && (
            <>
              <dt>{t("done.activated")}</dt>
              <dd>{f.dateTime(sub.activatedAt)}</dd>
            </>
          )}
          {sub?.billingStartedAt && (
            <>
              <dt>{t("done.billing")}</dt>
              <dd>{f.dateTime(sub.billingStartedAt)}</dd>
            </>
          )}
        </dl>
      </Status>
      {res.error && <p className="hint">{t("done.closed")}</p>}
    </section>
  );
}
