import { useCallback, useMemo, useRef, useState } from "react";
import { NavLink, Outlet, useNavigate } from "react-router";
import { Provider, useClient } from "urql";
import { createApiClient, createWs } from "../api/client";
import { partnerToken } from "../api/session";
import { SignOut } from "../api/workspace";
import { useI18n } from "../i18n/I18n";

/** Why the sign-in page is shown after a session: its notice. */
export type SessionEnd = { ended?: true | string; signedOut?: boolean; passwordReset?: boolean };

/**
 * The partner session's API client (with the live-status websocket). Any
 * answer that refuses the session (UNAUTHENTICATED: signed out elsewhere,
 * the password changed or was reset, expired) drops the token and shows the
 * sign-in page saying so.
 */
export function PartnerRoot() {
  const navigate = useNavigate();
  const nav = useRef(navigate);
  nav.current = navigate;
  const client = useMemo(
    () =>
      createApiClient(partnerToken.get, {
        cache: true,
        ws: createWs(partnerToken.get),
        onUnauthenticated: (reason) => {
          if (!partnerToken.get()) return;
          partnerToken.clear();
          nav.current("/signin", { replace: true, state: { ended: reason } satisfies SessionEnd });
        },
      }),
    [],
  );
  return (
    <Provider value={client}>
      <Outlet />
    </Provider>
  );
}

/** Ends the session on the server (signOut), then here. */
export function useSignOut() {
  const client = useClient();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const signOut = useCallback(async () => {
    setBusy(true);
    try {
      await client.mutation(SignOut, {}).toPromise();
    } finally {
      // Whatever the server said, this tab forgets the session.
      partnerToken.clear();
      setBusy(false);
      navigate("/signin", { replace: true, state: { signedOut: true } satisfies SessionEnd });
    }
  }, [client, navigate]);
  return { signOut, busy };
}

/** The workspace's navigation: orders, integrations, password, sign out. */
export function WorkspaceNav() {
  const { t } = useI18n();
  const { signOut, busy } = useSignOut();
  return (
    <nav className="workspace-nav" aria-label={t("workspace.nav")}>
      <ul>
        <li>
          <NavLink to="/partner" end>
            {t("workspace.orders")}
          </NavLink>
        </li>
        <li>
          <NavLink to="/partner/integrations">{t("workspace.integrations")}</NavLink>
        </li>
        <li>
          <NavLink to="/partner/password">{t("workspace.password")}</NavLink>
        </li>
        <li>
          <button
            type="button"
            className="link-button"
            onClick={() => void signOut()}
            disabled={busy}
          >
            {t("partner.signout")}
          </button>
        </li>
      </ul>
    </nav>
  );
}
