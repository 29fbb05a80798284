import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { useNavigate } from "react-router";
import type { Client, OperationResult, TypedDocumentNode } from "urql";
import { SetupQuery, StartSetup } from "../api/documents";
import { classify, type Failure, type UserError } from "../api/errors";
import { handoff, setupToken } from "../api/session";
import { homePath, pagePath, type Setup } from "./steps";

/** What a wizard mutation answers: SetupPayload and its relatives. */
export interface Payload {
  setup?: Setup | null;
  handedOffTo?: string | null;
  userErrors: UserError[];
}

export type RunResult =
  | { ok: true; setup: Setup | null }
  | { ok: false; userErrors: UserError[]; failure?: Failure };

export interface RunOptions {
  /** Go to the page of the step the server moved to (default true). */
  navigate?: boolean;
}

export interface WizardValue {
  setup: Setup | null;
  /** The step list keeps the password step once it was seen. */
  sawPassword: boolean;
  /** Loads the session (setup query), or opens it (startSetup) when the link was just opened. */
  load: (opts?: { start?: boolean }) => Promise<Setup | null>;
  /** Runs a wizard mutation and handles what any step would: lost links, hold, wrong step, hand-off. */
  mutate: <D, V extends object>(
    doc: TypedDocumentNode<D, V>,
    vars: V,
    pick: (data: D) => Payload,
    opts?: RunOptions,
  ) => Promise<RunResult>;
  /** A read (checkSubdomain): data, or why not. */
  query: <D, V extends object>(doc: TypedDocumentNode<D, V>, vars: V) => Promise<{ data?: D; failure?: Failure }>;
  /** The live-status client (subscriptions). */
  client: Client;
  /** Provisioned in this visit (the done page thanks; a reopened link says "complete"). */
  justProvisioned: boolean;
  setJustProvisioned: (v: boolean) => void;
}

const WizardContext = createContext<WizardValue | null>(null);

export function useWizard(): WizardValue {
  const v = useContext(WizardContext);
  if (!v) throw new Error("useWizard outside WizardProvider");
  return v;
}

/** For tests: a wizard whose calls are given. */
export const WizardTestProvider = WizardContext.Provider;

export function WizardProvider({ client, children }: { client: Client; children: ReactNode }) {
  const navigate = useNavigate();
  const [setup, setSetupState] = useState<Setup | null>(null);
  const [sawPassword, setSawPassword] = useState(false);
  const [justProvisioned, setJustProvisioned] = useState(false);
  const loading = useRef<Promise<Setup | null> | null>(null);

  const setSetup = useCallback((s: Setup | null) => {
    if (s?.step === "PASSWORD") setSawPassword(true);
    setSetupState(s);
  }, []);

  const lost = useCallback(
    (f: Failure) => {
      if (f.kind === "link") {
        if (f.problem !== "invalid") setupToken.clear();
        navigate(pagePath[f.problem], { replace: true });
        return true;
      }
      return false;
    },
    [navigate],
  );

  const load = useCallback(
    (opts: { start?: boolean } = {}) => {
      if (loading.current) return loading.current;
      const p = (async (): Promise<Setup | null> => {
        if (!setupToken.get()) {
          navigate(pagePath.invalid, { replace: true });
          return null;
        }
        if (opts.start) {
          const r = await client.mutation(StartSetup, {}).toPromise();
          if (r.error) {
            const f = classify(r.error);
            if (lost(f)) return null;
            throw f;
          }
          const payload = r.data?.startSetup;
          if (payload?.setup && payload.userErrors.length === 0) {
            setSetup(payload.setup);
            return payload.setup;
          }
          // ON_HOLD and the like: the session can still be read.
        }
        const r = await client.query(SetupQuery, {}).toPromise();
        if (r.error) {
          const f = classify(r.error);
          if (lost(f)) return null;
          throw f;
        }
        const s = r.data?.setup ?? null;
        setSetup(s);
        return s;
      })();
      loading.current = p;
      p.finally(() => {
        loading.current = null;
      }).catch(() => {});
      return p;
    },
    [client, lost, navigate, setSetup],
  );

  const mutate = useCallback(
    async <D, V extends object>(
      doc: TypedDocumentNode<D, V>,
      vars: V,
      pick: (data: D) => Payload,
      opts: RunOptions = {},
    ): Promise<RunResult> => {
      let r: OperationResult<D, V>;
      try {
        r = await client.mutation(doc, vars).toPromise();
      } catch {
        return { ok: false, userErrors: [], failure: { kind: "network" } };
      }
      if (r.error || !r.data) {
        const f: Failure = r.error ? classify(r.error) : { kind: "internal" };
        if (lost(f)) return { ok: false, userErrors: [] };
        return { ok: false, userErrors: [], failure: f };
      }
      const payload = pick(r.data);
      if (payload.userErrors.length > 0) {
        const codes = new Set(payload.userErrors.map((e) => e.code));
        if (codes.has("ON_HOLD")) {
          await load().catch(() => null);
          navigate(pagePath.onHold, { replace: true });
          return { ok: false, userErrors: [] };
        }
        if (codes.has("ALREADY_PROVISIONED") || codes.has("WRONG_STEP")) {
          const s = await load().catch(() => null);
          if (s) navigate(homePath(s), { replace: true, state: { notice: "wrongStep" } });
          return { ok: false, userErrors: [] };
        }
        return { ok: false, userErrors: payload.userErrors };
      }
      if (payload.handedOffTo) {
        setupToken.clear();
        handoff.set(payload.handedOffTo);
        setSetup(null);
        navigate(pagePath.handedOff, { replace: true, state: { email: payload.handedOffTo } });
        return { ok: true, setup: null };
      }
      const s = payload.setup ?? null;
      if (s) setSetup(s);
      if (s && opts.navigate !== false) navigate(homePath(s));
      return { ok: true, setup: s };
    },
    [client, lost, load, navigate, setSetup],
  );

  const query = useCallback(
    async <D, V extends object>(doc: TypedDocumentNode<D, V>, vars: V) => {
      try {
        const r = await client.query(doc, vars).toPromise();
        if (r.error) {
          const f = classify(r.error);
          if (lost(f)) return {};
          return { failure: f };
        }
        return { data: r.data };
      } catch {
        return { failure: { kind: "network" } as Failure };
      }
    },
    [client, lost],
  );

  const value = useMemo<WizardValue>(
    () => ({ setup, sawPassword, load, mutate, query, client, justProvisioned, setJustProvisioned }),
    [setup, sawPassword, load, mutate, query, client, justProvisioned],
  );
  return <WizardContext.Provider value={value}>{children}</WizardContext.Provider>;
}
