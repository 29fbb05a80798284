import {
  createContext,
  useCallback,
  useContext,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from "react";
import { useNavigate } from "react-router";
import type { Client, OperationResult, TypedDocumentNode } from "urql";
import { SetupQuery, StartSetup } from "../api/documents";
import { classify, type Failure, type UserError } from "../api/errors";
import { expiredToken, handoff, setupToken } from "../api/session";
import { homePath, pagePath, type Setup } from "./steps";

/** What a wizard mutation answers: SetupPayload and its relatives. */
export interface Payload {
  setup?: Setup | null;
  handedOffTo?: string | null;
  userErrors: UserError[];
}

export type RunResult =
  { ok: true; setup: Setup | null } | { ok: false; userErrors: UserError[]; failure?: Failure };

export interface RunOptions {
  /** Go to the page of the step the server moved to (default true). */
  navigate?: boolean;
}

/** The variables of a wizard mutation as a step gives them: the provider adds the draft's id. */
export type StepVars<V> = Omit<V, "draftId">;

/** Why the wizard moved the person to where setup stands (the layout shows it). */
export type Notice = "wrongStep" | "draftRestarted";

export interface WizardValue {
  setup: Setup | null;
  /**
   * Loads the session (setup query), or opens it (startSetup) when the link
   * was just opened; the session's draftId becomes the one the tab's calls send.
   */
  load: (opts?: { start?: boolean }) => Promise<Setup | null>;
  /**
   * Runs a wizard mutation, sending the tab's draftId, and handles what any
   * step would: lost links, hold, wrong step, a draft restarted in another
   * tab, hand-off.
   */
  mutate: <D, V extends object>(
    doc: TypedDocumentNode<D, V>,
    vars: StepVars<V>,
    pick: (data: D) => Payload,
    opts?: RunOptions,
  ) => Promise<RunResult>;
  /**
   * The live status told the link's current draft: when it is not this
   * tab's, the link was opened again elsewhere (the tab restarts).
   */
  draftSeen: (draftId: string | null | undefined) => void;
  /**
   * A notice for the page at `path` (the layout shows it there), until the
   * next call succeeds: the restart's. (Not in the location's state: the
   * layout's own redirect to the new step could replace that entry.)
   */
  notice: { kind: Notice; path: string } | null;
  /** Forgets the notice (the person moved on from its page). */
  clearNotice: () => void;
  /** A read (checkSubdomain): data, or why not. */
  query: <D, V extends object>(
    doc: TypedDocumentNode<D, V>,
    vars: V,
  ) => Promise<{ data?: D; failure?: Failure }>;
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
  const [justProvisioned, setJustProvisioned] = useState(false);
  const [notice, setNotice] = useState<WizardValue["notice"]>(null);
  const loading = useRef<Promise<Setup | null> | null>(null);
  const drafts = useRef(new DraftTracker());
  const restarting = useRef<Promise<void> | null>(null);

  const setSetup = useCallback((s: Setup | null) => {
    if (s) drafts.current.adopt(s.draftId);
    setSetupState(s);
  }, []);

  const lost = useCallback(
    (f: Failure) => {
      if (f.kind === "link") {
        // An expired link's page may ask for a new one with it.
        if (f.problem === "expired") expiredToken.set(setupToken.get());
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

  /**
   * The link was opened again in another tab or window, which started a new
   * draft: this tab's answers were not saved. Re-read the session (adopting
   * its draft; never startSetup, which would restart the other tab) and go
   * to where it stands, with a notice.
   */
  const restart = useCallback((): Promise<void> => {
    if (restarting.current) return restarting.current;
    const p = (async () => {
      const s = await load().catch(() => null);
      if (!s) return;
      const to = homePath(s);
      setNotice({ kind: "draftRestarted", path: to });
      navigate(to, { replace: true });
    })();
    restarting.current = p;
    p.finally(() => {
      restarting.current = null;
    });
    return p;
  }, [load, navigate]);

  const mutate = useCallback(
    async <D, V extends object>(
      doc: TypedDocumentNode<D, V>,
      vars: StepVars<V>,
      pick: (data: D) => Payload,
      opts: RunOptions = {},
    ): Promise<RunResult> => {
      let r: OperationResult<D, V>;
      const draftId = drafts.current.current;
      const withDraft = { ...vars, ...(draftId ? { draftId } : {}) } as unknown as V;
      try {
        r = await client.mutation(doc, withDraft).toPromise();
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
        if (codes.has("DRAFT_RESTARTED")) {
          // Nothing was saved: the link was opened again in another tab.
          await restart();
          return { ok: false, userErrors: [] };
        }
        if (codes.has("ON_HOLD")) {
          await load().catch(() => null);
          navigate(pagePath.onHold, { replace: true });
          return { ok: false, userErrors: [] };
        }
        if (codes.has("ALREADY_PROVISIONED") || codes.has("WRONG_STEP")) {
          const s = await load().catch(() => null);
          if (s)
            navigate(homePath(s), {
              replace: true,
              state: { notice: "wrongStep" satisfies Notice },
            });
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
      setNotice(null);
      if (s) setSetup(s);
      if (s && opts.navigate !== false) navigate(homePath(s));
      return { ok: true, setup: s };
    },
    [client, lost, load, navigate, setSetup, restart],
  );

  const clearNotice = useCallback(() => setNotice(null), []);

  const draftSeen = useCallback(
    (draftId: string | null | undefined) => {
      if (drafts.current.isNewer(draftId)) void restart();
    },
    [restart],
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
    () => ({
      setup,
      load,
      mutate,
      draftSeen,
      notice,
      clearNotice,
      query,
      client,
      justProvisioned,
      setJustProvisioned,
    }),
    [setup, load, mutate, draftSeen, notice, clearNotice, query, client, justProvisioned],
  );
  return <WizardContext.Provider value={value}>{children}</WizardContext.Provider>;
}

/**
 * The drafts this tab has known. Draft ids only move forward (each
 * startSetup names a new one), so an id the tab held before is stale news
 * (e.g. a live-status event of its own earlier call arriving late), and
 * only an id never held means the link was opened again elsewhere.
 */
export class DraftTracker {
  current: string | null = null;
  private held = new Set<string>();

  /** The session's draft becomes the tab's. */
  adopt(id: string) {
    this.current = id;
    this.held.add(id);
  }

  /** Whether `id` is a draft this tab never held: the link was restarted elsewhere. */
  isNewer(id: string | null | undefined): boolean {
    return !!id && this.current !== null && id !== this.current && !this.held.has(id);
  }
}
