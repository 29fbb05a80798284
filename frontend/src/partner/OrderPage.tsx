import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link, Navigate, useNavigate, useParams } from "react-router";
import { useClient, useQuery, useSubscription } from "urql";
import { classify, failureKey, userErrorKey, type Failure, type UserError } from "../api/errors";
import { adoptSetupLink, partnerToken } from "../api/session";
import {
  CancelOrder,
  ContinueSetup,
  PartnerOrder,
  PartnerOrderStatus,
  ResendSetupLink,
} from "../api/workspace";
import type { PartnerOrderFieldsFragment } from "../gql/graphql";
import { isKey, useFormat, useI18n } from "../i18n/I18n";
import type { Key } from "../i18n/en";
import { email as emailSchema } from "../wizard/schemas";
import { Dialog, Status, StepHeading } from "../wizard/components";
import { WorkspaceNav } from "./Workspace";
import "./workspace.css";

export type WorkspaceOrder = PartnerOrderFieldsFragment;

/** The message of a userError in the workspace: its own wording first, then the wizard's. */
export function workspaceErrorKey(e: UserError): Key {
  const own = `order.code.${e.code}`;
  if (isKey(own)) return own;
  return userErrorKey(e);
}

const finished = (s: string) => s === "PROVISIONED" || s === "CANCELLED";
/** Orgs confirmed: from then on a resend goes to whoever confirmed them, and the contact stays. */
export const orgsConfirmed = (o: Pick<WorkspaceOrder, "status" | "confirmedByEmail">) =>
  Boolean(o.confirmedByEmail) || o.status === "ORGS_CONFIRMED" || o.status === "PROVISIONED";

/** What the partner may try on the order now (the server decides again). */
export function orderActions(o: WorkspaceOrder) {
  return {
    continueSetup: !finished(o.status) && o.status !== "ON_HOLD" && !o.handedToCustomer,
    resend: !finished(o.status),
    changeContact: !finished(o.status) && !orgsConfirmed(o),
    cancel: !finished(o.status),
  };
}

export function OrderPage() {
  if (!partnerToken.get()) return <Navigate to="/signin" replace />;
  return <OrderView />;
}

function OrderView() {
  const { t } = useI18n();
  const { id = "" } = useParams();
  const [res, reexecute] = useQuery({
    query: PartnerOrder,
    variables: { id },
    requestPolicy: "network-only",
  });
  const order = res.data?.order ?? null;
  const [live] = useSubscription({
    query: PartnerOrderStatus,
    variables: { orderId: id },
    pause: !order,
  });
  const ev = live.data?.orderStatusChanged;
  const [current, setCurrent] = useState<WorkspaceOrder | null>(null);

  useEffect(() => {
    if (order) setCurrent(order);
  }, [order]);

  // A change of status or step pushed live: read the order again for the rest (access, subscription).
  const seen = useRef<string>("");
  useEffect(() => {
    if (!ev || !current) return;
    const key = `${ev.status}/${ev.step}`;
    if (key === seen.current) return;
    seen.current = key;
    if (ev.status !== current.status || ev.step !== current.step)
      reexecute({ requestPolicy: "network-only" });
  }, [ev, current, reexecute]);

  // A malformed id in the address (BAD_USER_INPUT) is an order that does
  // not exist: the page says "not found", not that something failed.
  const failure =
    res.error &&
    !res.error.graphQLErrors.some(
      (e) => e.extensions?.code === "UNAUTHENTICATED" || e.extensions?.code === "BAD_USER_INPUT",
    )
      ? classify(res.error)
      : null;
  const o = current ?? order;
  return (
    <main id="main" className="page workspace">
      <WorkspaceNav />
      <p className="back-link">
        <Link to="/partner">{t("order.back")}</Link>
      </p>
      {res.fetching && !o && (
        <Status>
          <p>{t("partner.loading")}</p>
        </Status>
      )}
      {failure && (
        <div role="alert" className="error-summary">
          <p>{t(failureKey(failure))}</p>
        </div>
      )}
      {res.data && !res.data.order && !o && (
        <section className="problem">
          <StepHeading>{t("order.notFound")}</StepHeading>
          <p>{t("order.notFoundBody")}</p>
        </section>
      )}
      {o && (
        <OrderDetails
          order={o}
          live={ev ? { status: ev.status, step: ev.step, at: ev.at } : null}
          liveState={live.error ? "closed" : ev ? "live" : "connecting"}
          onChanged={(next) => setCurrent(next)}
        />
      )}
    </main>
  );
}

function OrderDetails({
  order: o,
  live,
  liveState,
  onChanged,
}: {
  order: WorkspaceOrder;
  live: { status: WorkspaceOrder["status"]; step: WorkspaceOrder["step"]; at: string } | null;
  liveState: "live" | "connecting" | "closed";
  onChanged: (o: WorkspaceOrder) => void;
}) {
  const { t } = useI18n();
  const f = useFormat();
  const status = live?.status ?? o.status;
  const step = live?.step ?? o.step;
  const actions = orderActions({ ...o, status });
  const services = o.subscription?.services ?? [];
  return (
    <>
      <StepHeading>{t("order.title", { id: o.externalID })}</StepHeading>
      <p className="lead">
        {t("order.for", { product: o.product.replace("_", "-"), customer: o.customerName })}
      </p>

      <section className="card live" aria-labelledby="progress-title">
        <h2 id="progress-title">
          {t("order.progress")}{" "}
          <span className={`pill ${liveState}`}>
            {liveState === "live"
              ? t("done.connected")
              : liveState === "connecting"
                ? t("done.connecting")
                : "—"}
          </span>
        </h2>
        <Status>
          <dl className="facts">
            <dt>{t("done.status")}</dt>
            <dd data-testid="order-status">
              <strong>{t(`orderStatus.${status}` as Key)}</strong>
            </dd>
            <dt>{t("order.step")}</dt>
            <dd data-testid="order-step">{t(`step.${step}` as Key)}</dd>
            {live && (
              <>
                <dt>{t("done.updated")}</dt>
                <dd>{f.dateTime(live.at)}</dd>
              </>
            )}
          </dl>
        </Status>
        {status === "ON_HOLD" && (
          <p>
            {t("order.onHold")}
            {o.holdReason ? ` ${t("order.holdReason", { reason: o.holdReason })}` : ""}
          </p>
        )}
        {o.handedToCustomer && <p>{t("order.handedToCustomer")}</p>}
        {status === "CANCELLED" && o.cancelledAt && (
          <p>{t("order.cancelledAt", { date: f.dateTime(o.cancelledAt) })}</p>
        )}
        {liveState === "closed" && <p className="hint">{t("done.closed")}</p>}
      </section>

      <section className="card" aria-labelledby="details-title">
        <h2 id="details-title">{t("order.details")}</h2>
        <dl className="facts">
          <dt>{t("partner.col.customer")}</dt>
          <dd>
            {o.customerName} ({f.country(o.customerCountry)})
          </dd>
          <dt>{t("partner.col.product")}</dt>
          <dd>{o.product.replace("_", "-")}</dd>
          <dt>{t("partner.col.start")}</dt>
          <dd>{f.date(o.requestedStartDate)}</dd>
          <dt>{t("order.contact")}</dt>
          <dd>{o.provisioningContactEmail}</dd>
          {o.confirmedByEmail && (
            <>
              <dt>{t("order.confirmedBy")}</dt>
              <dd>{o.confirmedByEmail}</dd>
            </>
          )}
        </dl>
      </section>

      <section className="card" aria-labelledby="services-title">
        <h2 id="services-title">{t("order.services")}</h2>
        {services.length > 0 ? (
          <ul className="service-list">
            {services.map((s) => (
              <li key={s.kind}>
                {t(`service.${s.kind}` as Key)}: <strong>{s.quantity}</strong>
              </li>
            ))}
          </ul>
        ) : (
          <p>—</p>
        )}
        {o.subscription && (
          <dl className="facts">
            <dt>{t("services.status")}</dt>
            <dd>{t(`subStatus.${o.subscription.status}` as Key)}</dd>
            {o.subscription.activatedAt && (
              <>
                <dt>{t("done.activated")}</dt>
                <dd>{f.dateTime(o.subscription.activatedAt)}</dd>
              </>
            )}
            {o.subscription.billingStartedAt && (
              <>
                <dt>{t("done.billing")}</dt>
                <dd>{f.dateTime(o.subscription.billingStartedAt)}</dd>
              </>
            )}
          </dl>
        )}
      </section>

      {o.customerAccess && <CustomerAccess access={o.customerAccess} />}

      <OrderActions order={{ ...o, status }} actions={actions} onChanged={onChanged} />
    </>
  );
}

function CustomerAccess({ access: a }: { access: NonNullable<WorkspaceOrder["customerAccess"]> }) {
  const { t } = useI18n();
  const f = useFormat();
  return (
    <section className="card" aria-labelledby="access-title">
      <h2 id="access-title">{t("order.access")}</h2>
      <p data-testid="access-state" className={a.state === "APPROVED" ? "ok" : undefined}>
        <strong>{t(`order.access.${a.state}` as Key)}</strong>
      </p>
      <p>
        {t(`order.access.${a.state}.body` as Key, {
          email: a.adminEmail,
          customer: a.customerName,
          date: f.date(a.decidedAt ?? a.revokedAt ?? a.expiresAt),
          until: f.date(a.expiresAt),
        })}
      </p>
    </section>
  );
}

type Done = { kind: "resent"; email: string } | { kind: "cancelled" } | null;

function OrderActions({
  order: o,
  actions,
  onChanged,
}: {
  order: WorkspaceOrder;
  actions: ReturnType<typeof orderActions>;
  onChanged: (o: WorkspaceOrder) => void;
}) {
  const { t } = useI18n();
  const client = useClient();
  const navigate = useNavigate();
  const ids = { email: useId(), emailHint: useId(), emailError: useId(), reason: useId() };
  const [problems, setProblems] = useState<string[]>([]);
  const [done, setDone] = useState<Done>(null);
  const [busy, setBusy] = useState<null | "continue" | "resend" | "cancel">(null);
  const [email, setEmail] = useState("");
  const [emailError, setEmailError] = useState<Key | null>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [reason, setReason] = useState("");
  const summary = useRef<HTMLDivElement>(null);

  const fail = (userErrors: UserError[], failure?: Failure) => {
    const msgs = userErrors.map((e) => t(workspaceErrorKey(e)));
    if (failure) msgs.push(t(failureKey(failure)));
    setProblems(msgs);
    setTimeout(() => summary.current?.focus(), 0);
  };

  const continueSetup = async () => {
    setBusy("continue");
    setProblems([]);
    setDone(null);
    const r = await client.mutation(ContinueSetup, { orderId: o.id }).toPromise();
    setBusy(null);
    const p = r.data?.continueSetup;
    if (p?.token) {
      adoptSetupLink(p.token);
      navigate("/setup");
      return;
    }
    if (r.error && r.error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED"))
      return;
    fail(p?.userErrors ?? [], r.error ? classify(r.error) : p ? undefined : { kind: "internal" });
  };

  const resend = async (e: FormEvent) => {
    e.preventDefault();
    setProblems([]);
    setDone(null);
    setEmailError(null);
    let to: string | null = null;
    if (actions.changeContact && email.trim()) {
      const v = emailSchema.safeParse(email);
      if (!v.success) {
        setEmailError((v.error.issues[0]?.message as Key) ?? "v.email");
        document.getElementById(ids.email)?.focus();
        return;
      }
      to = v.data;
    }
    setBusy("resend");
    const r = await client.mutation(ResendSetupLink, { orderId: o.id, email: to }).toPromise();
    setBusy(null);
    const p = r.data?.resendSetupLink;
    if (p && p.userErrors.length === 0) {
      if (p.order) onChanged(p.order);
      setEmail("");
      setDone({
        kind: "resent",
        email:
          to ??
          (orgsConfirmed(o)
            ? (o.confirmedByEmail ?? o.provisioningContactEmail)
            : o.provisioningContactEmail),
      });
      return;
    }
    if (r.error && r.error.graphQLErrors.some((x) => x.extensions?.code === "UNAUTHENTICATED"))
      return;
    const atEmail = p?.userErrors.find(
      (x) => x.field?.[x.field.length - 1] === "email" && x.code === "INVALID",
    );
    if (atEmail) {
      setEmailError("v.email");
      document.getElementById(ids.email)?.focus();
    }
    fail(
      (p?.userErrors ?? []).filter((x) => x !== atEmail),
      r.error ? classify(r.error) : p ? undefined : { kind: "internal" },
    );
  };

  const cancel = async () => {
    setBusy("cancel");
    setProblems([]);
    setDone(null);
    const r = await client
      .mutation(CancelOrder, { orderId: o.id, reason: reason.trim() || null })
      .toPromise();
    setBusy(null);
    setConfirmCancel(false);
    const p = r.data?.cancelOrder;
    if (p && p.userErrors.length === 0) {
      if (p.order) onChanged(p.order);
      setDone({ kind: "cancelled" });
      return;
    }
    if (r.error && r.error.graphQLErrors.some((x) => x.extensions?.code === "UNAUTHENTICATED"))
      return;
    fail(p?.userErrors ?? [], r.error ? classify(r.error) : p ? undefined : { kind: "internal" });
  };

  return (
    <section className="card" aria-labelledby="actions-title">
      <h2 id="actions-title">{t("order.actions")}</h2>
      <div
        ref={summary}
        tabIndex={-1}
        role="alert"
        className={problems.length ? "error-summary" : "error-summary empty"}
      >
        {problems.length > 0 && (
          <ul>
            {problems.map((m, i) => (
              <li key={i}>{m}</li>
            ))}
          </ul>
        )}
      </div>
      <Status>
        {done?.kind === "resent" && (
          <p className="ok">{t("order.resent", { email: done.email })}</p>
        )}
        {done?.kind === "cancelled" && <p className="ok">{t("order.cancelled")}</p>}
      </Status>

      {!actions.continueSetup && !actions.resend && !actions.cancel && (
        <p>{t("order.noActions")}</p>
      )}
      {actions.continueSetup && (
        <div className="action">
          <h3>{t("order.continueTitle")}</h3>
          <p className="hint">{t("order.continueHint")}</p>
          <button
            type="button"
            className="primary"
            onClick={() => void continueSetup()}
            disabled={busy !== null}
          >
            {busy === "continue" ? t("order.opening") : t("order.continue")}
          </button>
        </div>
      )}

      {actions.resend && (
        <form className="action" noValidate onSubmit={(e) => void resend(e)}>
          <h3>{t("order.resendTitle")}</h3>
          {actions.changeContact ? (
            <div className={`field${emailError ? " field-invalid" : ""}`}>
              <label htmlFor={ids.email}>
                {t("order.newContact")} <span className="optional">({t("common.optional")})</span>
              </label>
              <p id={ids.emailHint} className="hint">
                {t("order.newContactHint", { email: o.provisioningContactEmail })}
              </p>
              <input
                id={ids.email}
                type="email"
                autoComplete="off"
                value={email}
                aria-invalid={emailError ? true : undefined}
                aria-describedby={[emailError ? ids.emailError : null, ids.emailHint]
                  .filter(Boolean)
                  .join(" ")}
                onChange={(e) => setEmail(e.target.value)}
              />
              {emailError && (
                <p id={ids.emailError} className="field-error">
                  {t(emailError)}
                </p>
              )}
            </div>
          ) : (
            <p className="hint">
              {t("order.resendConfirmed", {
                email: o.confirmedByEmail ?? o.provisioningContactEmail,
              })}
            </p>
          )}
          <button type="submit" className="secondary" disabled={busy !== null}>
            {busy === "resend" ? t("order.sending") : t("order.resend")}
          </button>
        </form>
      )}

      {actions.cancel && (
        <div className="action">
          <h3>{t("order.cancelTitle")}</h3>
          <p className="hint">{t("order.cancelHint")}</p>
          <button
            type="button"
            className="danger"
            onClick={() => setConfirmCancel(true)}
            disabled={busy !== null}
          >
            {t("order.cancel")}
          </button>
        </div>
      )}

      {confirmCancel && (
        <Dialog
          title={t("order.cancelDialog", { id: o.externalID })}
          onClose={() => setConfirmCancel(false)}
          actions={
            <>
              <button
                type="button"
                className="danger"
                onClick={() => void cancel()}
                disabled={busy !== null}
              >
                {busy === "cancel" ? t("order.cancelling") : t("order.cancelConfirm")}
              </button>
              <button type="button" className="secondary" onClick={() => setConfirmCancel(false)}>
                {t("order.keep")}
              </button>
            </>
          }
        >
          <p>{t("order.cancelDialogBody")}</p>
          <div className="field">
            <label htmlFor={ids.reason}>
              {t("order.cancelReason")} <span className="optional">({t("common.optional")})</span>
            </label>
            <textarea
              id={ids.reason}
              rows={3}
              maxLength={500}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
            />
          </div>
        </Dialog>
      )}
    </section>
  );
}
