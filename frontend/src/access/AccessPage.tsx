import { useEffect, useMemo, useRef, useState } from "react";
import { Provider, useClient, useQuery } from "urql";
import { createApiClient } from "../api/client";
import {
  authReason,
  classify,
  failureKey,
  userErrorKey,
  type Failure,
  type UserError,
} from "../api/errors";
import { accessToken } from "../api/session";
import {
  ApprovePartnerAccess,
  DenyPartnerAccess,
  PartnerAccessQuery,
  RevokePartnerAccess,
  SetLanguage,
} from "../api/workspace";
import type { PartnerAccessFieldsFragment } from "../gql/graphql";
import { useFormat, useI18n } from "../i18n/I18n";
import type { Key } from "../i18n/en";
import { Status, StepHeading } from "../wizard/components";

export type Access = PartnerAccessFieldsFragment;

/** Why a partner-access link does not work, by extensions.reason. */
export function accessProblemKey(
  reason: string,
): "access.expired" | "access.revoked" | "access.invalid" {
  switch (reason) {
    case "EXPIRED":
      return "access.expired";
    case "REVOKED":
    case "REPLACED":
    case "CANCELLED":
      return "access.revoked";
    default:
      return "access.invalid";
  }
}

/** /access?token=…: a customer administrator answers a partner's request; no sign-in, the link's token only. */
export function AccessPage() {
  const client = useMemo(() => createApiClient(accessToken.get), []);
  return (
    <Provider value={client}>
      <AccessView />
    </Provider>
  );
}

function Problem({ reason }: { reason: string }) {
  const { t } = useI18n();
  const k = accessProblemKey(reason);
  return (
    <main id="main" className="page narrow">
      <section className="problem">
        <StepHeading>{t(`${k}.title` as Key)}</StepHeading>
        <p>{t(`${k}.body` as Key)}</p>
      </section>
    </main>
  );
}

type Outcome = "APPROVED" | "DENIED" | "REVOKED" | null;

function AccessView() {
  const { t, lang, choices } = useI18n();
  const f = useFormat();
  const client = useClient();
  // The language switch also sets the administrator's language for the
  // emails about their organization's access (setLanguage).
  useEffect(() => {
    if (choices > 0 && accessToken.get())
      void client.mutation(SetLanguage, { language: lang }).toPromise();
  }, [choices, lang, client]);
  const hasToken = Boolean(accessToken.get());
  const [res, reexecute] = useQuery({
    query: PartnerAccessQuery,
    pause: !hasToken,
    requestPolicy: "network-only",
  });
  const [access, setAccess] = useState<Access | null>(null);
  const [busy, setBusy] = useState<null | "approve" | "deny" | "withdraw">(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [reason, setReason] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const resultRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (res.data) setAccess(res.data.partnerAccess);
  }, [res.data]);
  useEffect(() => {
    if (outcome) resultRef.current?.focus();
  }, [outcome]);

  const act = async (kind: "approve" | "deny" | "withdraw") => {
    setBusy(kind);
    setProblems([]);
    setOutcome(null);
    const r =
      kind === "approve"
        ? await client.mutation(ApprovePartnerAccess, {}).toPromise()
        : kind === "deny"
          ? await client.mutation(DenyPartnerAccess, {}).toPromise()
          : await client.mutation(RevokePartnerAccess, {}).toPromise();
    setBusy(null);
    const why = authReason(r.error);
    if (why) {
      setReason(why);
      return;
    }
    const data = r.data as
      | {
          approvePartnerAccess?: Payload;
          denyPartnerAccess?: Payload;
          revokePartnerAccess?: Payload;
        }
      | undefined;
    const p = data?.approvePartnerAccess ?? data?.denyPartnerAccess ?? data?.revokePartnerAccess;
    if (!p) {
      const failure: Failure = r.error ? classify(r.error) : { kind: "internal" };
      setProblems([t(failureKey(failure))]);
      return;
    }
    if (p.userErrors.length) {
      setProblems(p.userErrors.map((e: UserError) => t(userErrorKey(e))));
      // Answered elsewhere meanwhile: show where it stands now.
      reexecute({ requestPolicy: "network-only" });
      return;
    }
    if (p.partnerAccess) setAccess(p.partnerAccess);
    setOutcome(kind === "approve" ? "APPROVED" : kind === "deny" ? "DENIED" : "REVOKED");
  };

  const loadReason = authReason(res.error);
  if (!hasToken) return <Problem reason="MISSING" />;
  if (reason ?? loadReason) return <Problem reason={(reason ?? loadReason)!} />;
  const a = access;
  // A request still pending whose order was cancelled can no longer be
  // answered: the page says so instead of waiting for an answer.
  const stateKey = a && a.orderCancelled && a.state === "PENDING" ? "CANCELLED" : a?.state;
  return (
    <main id="main" className="page narrow">
      {!a && res.fetching && (
        <Status>
          <p>{t("partner.loading")}</p>
        </Status>
      )}
      {!a && res.error && (
        <div role="alert" className="error-summary">
          <p>{t(failureKey(classify(res.error)))}</p>
        </div>
      )}
      {a && (
        <>
          <StepHeading>{t("access.title", { partner: a.partnerName })}</StepHeading>
          <p className="lead">
            {t("access.intro", {
              partner: a.partnerName,
              customer: a.customerName,
              order: a.orderExternalId,
            })}
          </p>

          <div ref={resultRef} tabIndex={-1} className="access-state">
            <Status className={`notice access-${a.state.toLowerCase()}`}>
              <p data-testid="access-state">
                <strong>{t(`access.state.${stateKey}` as Key)}</strong>
              </p>
              <p>
                {t(`access.state.${stateKey}.body` as Key, {
                  order: a.orderExternalId,
                  partner: a.partnerName,
                  date: f.dateTime(a.revokedAt ?? a.decidedAt ?? a.expiresAt),
                  until: f.dateTime(a.expiresAt),
                })}
              </p>
            </Status>
          </div>
          <div role="alert" className={problems.length ? "error-summary" : "error-summary empty"}>
            {problems.map((m, i) => (
              <p key={i}>{m}</p>
            ))}
          </div>

          <section className="card" aria-labelledby="request-title">
            <h2 id="request-title">{t("access.request")}</h2>
            <dl className="facts">
              <dt>{t("access.partner")}</dt>
              <dd>{a.partnerName}</dd>
              <dt>{t("access.customer")}</dt>
              <dd>{a.customerName}</dd>
              <dt>{t("access.order")}</dt>
              <dd>
                {a.orderExternalId} ({a.product.replace("_", "-")})
              </dd>
              <dt>{t("access.admin")}</dt>
              <dd>{a.adminEmail}</dd>
              <dt>{t("access.requested")}</dt>
              <dd>{f.dateTime(a.requestedAt)}</dd>
            </dl>
          </section>

          <section className="card" aria-labelledby="meaning-title">
            <h2 id="meaning-title">{t("access.meaning")}</h2>
            <ul>
              <li>{t("access.meaning.sees", { partner: a.partnerName })}</li>
              <li>{t("access.meaning.manages", { partner: a.partnerName })}</li>
              <li>{t("access.meaning.without")}</li>
              <li>{t("access.meaning.order", { order: a.orderExternalId })}</li>
              <li>{t("access.meaning.withdraw")}</li>
            </ul>
          </section>

          {a.allowedAction === "DECIDE" && (
            <div className="actions">
              <button
                type="button"
                className="primary"
                disabled={busy !== null}
                onClick={() => void act("approve")}
              >
                {busy === "approve" ? t("common.saving") : t("access.approve")}
              </button>
              <button
                type="button"
                className="secondary"
                disabled={busy !== null}
                onClick={() => void act("deny")}
              >
                {busy === "deny" ? t("common.saving") : t("access.deny")}
              </button>
            </div>
          )}
          {a.allowedAction === "WITHDRAW" && (
            <div className="actions">
              <button
                type="button"
                className="danger"
                disabled={busy !== null}
                onClick={() => void act("withdraw")}
              >
                {busy === "withdraw" ? t("common.saving") : t("access.withdraw")}
              </button>
            </div>
          )}
        </>
      )}
    </main>
  );
}

type Payload = { partnerAccess?: Access | null; userErrors: UserError[] };
