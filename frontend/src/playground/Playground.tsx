import { useEffect, useId, useMemo, useRef, useState } from "react";
import { GraphiQL } from "graphiql";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { createClient } from "graphql-ws";
import { shouldRetry, wsUrl } from "../api/client";
import { useI18n } from "../i18n/I18n";
import { LanguageSwitcher } from "../Shell";

const storageKey = "onramp.operator.token";

function storedToken(): string {
  try {
    return sessionStorage.getItem(storageKey) ?? "";
  } catch {
    return "";
  }
}

/**
 * GraphiQL marks each editor tab's <li> as the tab, with the tab's buttons
 * inside it (axe: nested-interactive). The button that selects the tab is
 * made the tab instead, and the <li> only lays it out.
 */
function repairTabs(root: HTMLElement) {
  root.querySelectorAll<HTMLElement>("li.graphiql-tab").forEach((li) => {
    const button = li.querySelector<HTMLElement>(".graphiql-tab-button");
    if (li.getAttribute("role") !== "presentation") li.setAttribute("role", "presentation");
    const selected = li.getAttribute("aria-selected");
    if (selected !== null) {
      li.removeAttribute("aria-selected");
      button?.setAttribute("aria-selected", selected);
    }
    if (button && button.getAttribute("role") !== "tab") button.setAttribute("role", "tab");
  });
}

/** GraphiQL with the operator's token as the Authorization header (HTTP and websocket). */
export function Playground() {
  const { t } = useI18n();
  const inputId = useId();
  const hintId = useId();
  const [draft, setDraft] = useState(storedToken);
  const [token, setToken] = useState(storedToken);
  const ide = useRef<HTMLElement>(null);
  useEffect(() => {
    const root = ide.current;
    if (!root) return;
    repairTabs(root);
    const watch = new MutationObserver(() => repairTabs(root));
    watch.observe(root, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["role", "aria-selected"],
    });
    return () => watch.disconnect();
  }, []);

  const apply = (value: string) => {
    const v = value.trim();
    try {
      if (v) sessionStorage.setItem(storageKey, v);
      else sessionStorage.removeItem(storageKey);
    } catch {
      /* the token lasts for the page */
    }
    setToken(v);
  };

  const fetcher = useMemo(() => {
    const auth: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
    return createGraphiQLFetcher({
      url: new URL("/graphql", window.location.href).toString(),
      headers: auth,
      wsClient: createClient({ url: wsUrl(), lazy: true, shouldRetry, connectionParams: auth }),
    });
  }, [token]);

  return (
    <div className="pg">
      <header className="pg-head">
        <form
          className="pg-bar"
          onSubmit={(e) => {
            e.preventDefault();
            apply(draft);
          }}
        >
          <h1 className="pg-title">{t("playground.title")}</h1>
          <label htmlFor={inputId}>{t("playground.token")}</label>
          <input
            id={inputId}
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={draft}
            aria-describedby={hintId}
            onChange={(e) => setDraft(e.target.value)}
          />
          <button type="submit">{t("playground.apply")}</button>
          <button
            type="button"
            onClick={() => {
              setDraft("");
              apply("");
            }}
          >
            {t("playground.clear")}
          </button>
          <span id={hintId} className="pg-hint" role="status">
            {token ? t("playground.using") : t("playground.none")} {t("playground.hint")}
          </span>
          <LanguageSwitcher />
        </form>
      </header>
      <main className="pg-ide" ref={ide}>
        <GraphiQL fetcher={fetcher} />
      </main>
    </div>
  );
}
