import { useState } from "react";
import { Link, useLocation } from "react-router";
import type { LinkProblem } from "../../api/errors";
import { expiredToken, handoff } from "../../api/session";
import { useI18n } from "../../i18n/I18n";
import type { Key } from "../../i18n/en";
import { StepHeading } from "../components";

/** A link that no longer works: why, and who to ask for a new one. */
export function LinkProblemPage({ problem }: { problem: LinkProblem }) {
  const { t } = useI18n();
  return (
    <main id="main" className="page narrow">
      <section className={`problem problem-${problem}`}>
        <StepHeading>{t(`link.${problem}.title` as Key)}</StepHeading>
        <p>{t(`link.${problem}.body` as Key)}</p>
        {problem === "expired" && <RenewLink />}
        <p>
          <Link to="/">{t("link.home")}</Link>
        </p>
      </section>
    </main>
  );
}

const renewMutation = `mutation($token: String!) { renewSetupLink(token: $token) { sentTo userErrors { code message } } }`;

type RenewState =
  { kind: "idle" | "sending" } | { kind: "sent"; to: string } | { kind: "failed"; code: string };

/**
 * "Send me a new link" for the holder of an expired link: the server mails a
 * new one to the same address (once per 10 minutes and order).
 */
function RenewLink() {
  const { t } = useI18n();
  const [state, setState] = useState<RenewState>({ kind: "idle" });
  const [token] = useState(() => expiredToken.get());
  if (!token) return null;
  const send = async () => {
    setState({ kind: "sending" });
    try {
      const res = await fetch("/graphql", {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/graphql-response+json, application/json",
        },
        body: JSON.stringify({ query: renewMutation, variables: { token } }),
      });
      const body = await res.json();
      const payload = body?.data?.renewSetupLink;
      if (payload?.sentTo) {
        expiredToken.set(null);
        setState({ kind: "sent", to: payload.sentTo });
        return;
      }
      setState({
        kind: "failed",
        code: payload?.userErrors?.[0]?.code ?? body?.errors?.[0]?.extensions?.code ?? "INTERNAL",
      });
    } catch {
      setState({ kind: "failed", code: "NETWORK" });
    }
  };
  if (state.kind === "sent") {
    return (
      <p role="status" className="notice">
        {t("link.renew.sent", { to: state.to })}
      </p>
    );
  }
  const known = ["LINK_REPLACED", "ORDER_CANCELLED", "TOO_SOON", "LINK_ACTIVE"];
  return (
    <>
      <p>
        <button
          type="button"
          className="primary"
          onClick={send}
          disabled={state.kind === "sending"}
        >
          {t("link.renew.button")}
        </button>
      </p>
      {state.kind === "failed" && (
        <p role="alert" className="error">
          {t(
            known.includes(state.code) ? (`link.renew.${state.code}` as Key) : "link.renew.failed",
          )}
        </p>
      )}
    </>
  );
}

/** After a hand-off: the new link went to someone else. */
export function HandedOffPage() {
  const { t } = useI18n();
  const loc = useLocation();
  const email = (loc.state as { email?: string } | null)?.email ?? handoff.get();
  return (
    <main id="main" className="page narrow">
      <section>
        <StepHeading>{t("handoff.title")}</StepHeading>
        <p>{email ? t("handoff.body", { email }) : t("handoff.bodyUnknown")}</p>
        <p className="hint">{t("handoff.old")}</p>
      </section>
    </main>
  );
}

export function OnHoldPage() {
  const { t } = useI18n();
  return (
    <main id="main" className="page narrow">
      <section className="problem">
        <StepHeading>{t("onhold.title")}</StepHeading>
        <p>{t("onhold.body")}</p>
      </section>
    </main>
  );
}

export function NotFoundPage() {
  const { t } = useI18n();
  return (
    <main id="main" className="page narrow">
      <StepHeading>{t("notFound.title")}</StepHeading>
      <p>
        <Link to="/">{t("link.home")}</Link>
      </p>
    </main>
  );
}
