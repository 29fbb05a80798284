import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link, Navigate, useNavigate } from "react-router";
import { useClient, type CombinedError } from "urql";
import {
  CreateIntegrationKey,
  CreateWebhookEndpoint,
  DeleteWebhookEndpoint,
  Integrations as IntegrationsDoc,
  RedeliverWebhook,
  RevokeIntegrationKey,
  RotateWebhookSecret,
} from "../api/integrations";
import { classify, failureKey, type Failure, type UserError } from "../api/errors";
import { partnerToken } from "../api/session";
import { useFormat, useI18n } from "../i18n/I18n";
import type { Key } from "../i18n/en";
import { Dialog, ErrorSummary, Status, StepHeading, TextField } from "../wizard/components";
import {
  checkEndpointForm,
  checkKeyName,
  deliveryOutcome,
  endpointState,
  eventKey,
  eventTypes,
  eventsInput,
  integrationErrorKey,
  integrationField,
  keyState,
  subscribedEvents,
  type Delivery,
  type Endpoint,
  type IntegrationKey,
} from "./integrationsModel";
import { WorkspaceNav } from "./Workspace";
import "./integrations.css";
import "./workspace.css";

/** How often the lists (and so the deliveries) are read again while the page is shown. */
export const refreshMs = 10_000;

export function IntegrationsPage() {
  if (!partnerToken.get()) return <Navigate to="/signin" replace />;
  return <Integrations />;
}

interface Lists {
  endpoints: Endpoint[];
  keys: IntegrationKey[];
}

/** A secret or token shown this once. */
interface Revealed {
  kind: "endpoint" | "rotated" | "key";
  /** The endpoint's URL or the key's name. */
  about: string;
  value: string;
}

type Confirm =
  | { kind: "delete"; ep: Endpoint }
  | { kind: "rotate"; ep: Endpoint }
  | { kind: "revoke"; key: IntegrationKey };

/** The outcome of a mutation: its userErrors, or the failure of the request. */
type Outcome<P> =
  { ok: true; payload: P } | { ok: false; userErrors: UserError[]; failure?: Failure };

/** Reads both lists; reload() again, newest answer wins. */
function useLists() {
  const client = useClient();
  const [lists, setLists] = useState<Lists | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const seq = useRef(0);
  const reload = useCallback(async () => {
    const n = ++seq.current;
    const r = await client
      .query(IntegrationsDoc, {}, { requestPolicy: "network-only" })
      .toPromise();
    if (n !== seq.current) return;
    if (r.error) {
      setFailure(classify(r.error));
      return;
    }
    if (r.data) {
      setFailure(null);
      setLists({ endpoints: r.data.webhookEndpoints, keys: r.data.integrationKeys });
    }
  }, [client]);
  useEffect(() => {
    void reload();
    const id = setInterval(() => {
      if (typeof document === "undefined" || document.visibilityState !== "hidden") void reload();
    }, refreshMs);
    return () => clearInterval(id);
  }, [reload]);
  return { lists, failure, reload };
}

function Integrations() {
  const { t } = useI18n();
  const f = useFormat();
  const client = useClient();
  const navigate = useNavigate();
  const { lists, failure, reload } = useLists();
  const [revealed, setRevealed] = useState<Revealed | null>(null);
  const [confirm, setConfirm] = useState<Confirm | null>(null);
  const [busy, setBusy] = useState(false);
  const [announce, setAnnounce] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const endpointsHeading = useRef<HTMLHeadingElement>(null);
  const keysHeading = useRef<HTMLHeadingElement>(null);

  const sessionEnded = useCallback(() => {
    partnerToken.clear();
    navigate("/signin", { replace: true, state: { ended: true } });
  }, [navigate]);

  useEffect(() => {
    if (failure?.kind === "link" || failure?.kind === "forbidden") sessionEnded();
  }, [failure, sessionEnded]);

  /** Runs a mutation; a top-level failure ends the session, or is reported (NOT_FOUND: the lists are read again). */
  const run = useCallback(
    async <P extends { userErrors: UserError[] }>(
      exec: () => Promise<{ data?: P; error?: CombinedError }>,
    ): Promise<Outcome<P>> => {
      setProblem(null);
      const r = await exec();
      if (r.error || !r.data) {
        const fail: Failure = r.error ? classify(r.error) : { kind: "internal" };
        if (fail.kind === "link") {
          sessionEnded();
        } else if (fail.kind === "notFound") {
          setProblem(t("integrations.gone"));
          await reload();
        } else {
          setProblem(t(failureKey(fail)));
        }
        return { ok: false, userErrors: [], failure: fail };
      }
      if (r.data.userErrors.length) return { ok: false, userErrors: r.data.userErrors };
      return { ok: true, payload: r.data };
    },
    [reload, sessionEnded, t],
  );

  const createEndpoint = async (url: string, events: string[] | undefined) => {
    const out = await run(async () => {
      const r = await client
        .mutation(CreateWebhookEndpoint, { input: { url, events } })
        .toPromise();
      return { data: r.data?.createWebhookEndpoint, error: r.error };
    });
    if (out.ok && out.payload.endpoint && out.payload.secret) {
      setRevealed({ kind: "endpoint", about: out.payload.endpoint.url, value: out.payload.secret });
      await reload();
    }
    return out;
  };

  const createKey = async (name: string) => {
    const out = await run(async () => {
      const r = await client.mutation(CreateIntegrationKey, { name }).toPromise();
      return { data: r.data?.createIntegrationKey, error: r.error };
    });
    if (out.ok && out.payload.key && out.payload.token) {
      setRevealed({ kind: "key", about: out.payload.key.name, value: out.payload.token });
      await reload();
    }
    return out;
  };

  const redeliver = async (d: Delivery) => {
    setAnnounce("");
    const out = await run(async () => {
      const r = await client.mutation(RedeliverWebhook, { deliveryId: d.id }).toPromise();
      return { data: r.data?.redeliverWebhook, error: r.error };
    });
    if (out.ok) {
      setAnnounce(t("webhooks.redelivered", { event: d.eventType }));
      await reload();
    } else if (out.userErrors.length) {
      setProblem(out.userErrors.map((e) => t(integrationErrorKey(e))).join(" "));
    }
  };

  const confirmAction = async () => {
    if (!confirm) return;
    setBusy(true);
    setAnnounce("");
    try {
      if (confirm.kind === "delete") {
        const ep = confirm.ep;
        const out = await run(async () => {
          const r = await client.mutation(DeleteWebhookEndpoint, { id: ep.id }).toPromise();
          return { data: r.data?.deleteWebhookEndpoint, error: r.error };
        });
        setConfirm(null);
        if (out.ok) {
          if (revealed?.kind !== "key" && revealed?.about === ep.url) setRevealed(null);
          setAnnounce(t("webhooks.deleted", { url: ep.url }));
          await reload();
          // The endpoint's buttons are gone: the section's heading takes the focus.
          endpointsHeading.current?.focus();
        } else if (out.userErrors.length) {
          setProblem(out.userErrors.map((e) => t(integrationErrorKey(e))).join(" "));
        }
      } else if (confirm.kind === "rotate") {
        const ep = confirm.ep;
        const out = await run(async () => {
          const r = await client.mutation(RotateWebhookSecret, { id: ep.id }).toPromise();
          return { data: r.data?.rotateWebhookSecret, error: r.error };
        });
        setConfirm(null);
        if (out.ok && out.payload.secret) {
          setRevealed({
            kind: "rotated",
            about: out.payload.endpoint?.url ?? ep.url,
            value: out.payload.secret,
          });
          await reload();
        } else if (!out.ok && out.userErrors.length) {
          setProblem(out.userErrors.map((e) => t(integrationErrorKey(e))).join(" "));
        }
      } else {
        const key = confirm.key;
        const out = await run(async () => {
          const r = await client.mutation(RevokeIntegrationKey, { id: key.id }).toPromise();
          return { data: r.data?.revokeIntegrationKey, error: r.error };
        });
        setConfirm(null);
        if (out.ok) {
          setAnnounce(t("keys.revoked", { name: key.name }));
          await reload();
          keysHeading.current?.focus();
        } else if (out.userErrors.length) {
          setProblem(out.userErrors.map((e) => t(integrationErrorKey(e))).join(" "));
        }
      }
    } finally {
      setBusy(false);
    }
  };

  const endpointSecret = revealed && revealed.kind !== "key" ? revealed : null;
  const keyToken = revealed && revealed.kind === "key" ? revealed : null;

  return (
    <main id="main" className="page integrations workspace">
      <WorkspaceNav />
      <p className="back-link">
        <Link to="/partner">{t("integrations.back")}</Link>
      </p>
      <div className="title-row">
        <StepHeading>{t("integrations.title")}</StepHeading>
        <button type="button" className="secondary" onClick={() => void reload()}>
          {t("integrations.refresh")}
        </button>
      </div>
      <p>{t("integrations.intro")}</p>
      <Status className="sr-announce">{announce && <p className="ok">{announce}</p>}</Status>
      <div
        role="alert"
        className={
          problem || (failure && failure.kind !== "link") ? "error-summary" : "error-summary empty"
        }
      >
        {problem && <p>{problem}</p>}
        {!problem && failure && failure.kind !== "link" && <p>{t(failureKey(failure))}</p>}
      </div>
      {!lists && !failure && (
        <Status>
          <p>{t("partner.loading")}</p>
        </Status>
      )}

      {lists && (
        <>
          <section aria-labelledby="webhooks-title" className="integrations-section">
            <h2 id="webhooks-title" ref={endpointsHeading} tabIndex={-1}>
              {t("webhooks.title")}
            </h2>
            <p className="hint">{t("webhooks.intro")}</p>
            {endpointSecret && (
              <SecretReveal
                title={t(
                  endpointSecret.kind === "rotated"
                    ? "secret.rotatedTitle"
                    : "secret.endpointTitle",
                  { url: endpointSecret.about },
                )}
                label={t("secret.secretLabel")}
                value={endpointSecret.value}
                onDone={() => {
                  setRevealed(null);
                  endpointsHeading.current?.focus();
                }}
              />
            )}
            <EndpointForm onCreate={createEndpoint} />
            {lists.endpoints.length === 0 ? (
              <p>{t("webhooks.none")}</p>
            ) : (
              lists.endpoints.map((ep) => (
                <EndpointCard
                  key={ep.id}
                  ep={ep}
                  onRotate={() => setConfirm({ kind: "rotate", ep })}
                  onDelete={() => setConfirm({ kind: "delete", ep })}
                  onRedeliver={redeliver}
                />
              ))
            )}
          </section>

          <section aria-labelledby="keys-title" className="integrations-section">
            <h2 id="keys-title" ref={keysHeading} tabIndex={-1}>
              {t("keys.title")}
            </h2>
            <p className="hint">{t("keys.intro")}</p>
            {keyToken && (
              <SecretReveal
                title={t("secret.keyTitle", { name: keyToken.about })}
                label={t("secret.tokenLabel")}
                value={keyToken.value}
                onDone={() => {
                  setRevealed(null);
                  keysHeading.current?.focus();
                }}
              />
            )}
            <KeyForm onCreate={createKey} />
            {lists.keys.length === 0 ? (
              <p>{t("keys.none")}</p>
            ) : (
              <div className="table-wrap" role="region" aria-label={t("keys.list")} tabIndex={0}>
                <table className="stack" role="table">
                  <thead role="rowgroup">
                    <tr role="row">
                      <th scope="col" role="columnheader">
                        {t("keys.col.name")}
                      </th>
                      <th scope="col" role="columnheader">
                        {t("keys.col.created")}
                      </th>
                      <th scope="col" role="columnheader">
                        {t("keys.col.lastUsed")}
                      </th>
                      <th scope="col" role="columnheader">
                        {t("keys.col.expires")}
                      </th>
                      <th scope="col" role="columnheader">
                        {t("keys.col.state")}
                      </th>
                      <th scope="col" role="columnheader">
                        {t("keys.col.action")}
                      </th>
                    </tr>
                  </thead>
                  <tbody role="rowgroup">
                    {lists.keys.map((k) => {
                      const s = keyState(k);
                      return (
                        <tr
                          key={k.id}
                          role="row"
                          className={s.kind === "active" ? undefined : "inactive"}
                        >
                          <th scope="row" role="rowheader">
                            {k.name}
                          </th>
                          <td role="cell" data-label={t("keys.col.created")}>
                            <div>
                              {f.dateTime(k.createdAt)}
                              <br />
                              <span className="hint">
                                {t("keys.createdBy", { who: k.createdBy })}
                              </span>
                            </div>
                          </td>
                          <td role="cell" data-label={t("keys.col.lastUsed")}>
                            {k.lastUsedAt ? f.dateTime(k.lastUsedAt) : t("keys.never")}
                          </td>
                          <td role="cell" data-label={t("keys.col.expires")}>
                            {f.date(k.expiresAt)}
                          </td>
                          <td role="cell" data-label={t("keys.col.state")}>
                            {s.kind === "active" ? (
                              <span className="badge ok">{t("keys.active")}</span>
                            ) : (
                              <span className="badge off">
                                {t(s.kind === "revoked" ? "keys.revokedAt" : "keys.expiredAt", {
                                  time: f.dateTime(s.at),
                                })}
                              </span>
                            )}
                          </td>
                          <td role="cell" className="cell-action">
                            {s.kind === "active" && (
                              <button
                                type="button"
                                className="link-button"
                                aria-label={t("keys.revokeLabel", { name: k.name })}
                                onClick={() => setConfirm({ kind: "revoke", key: k })}
                              >
                                {t("keys.revoke")}
                              </button>
                            )}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}

      {confirm && (
        <Dialog
          title={t(
            confirm.kind === "delete"
              ? "webhooks.deleteTitle"
              : confirm.kind === "rotate"
                ? "webhooks.rotateTitle"
                : "keys.revokeTitle",
          )}
          onClose={() => !busy && setConfirm(null)}
          actions={
            <>
              <button
                type="button"
                className="secondary"
                onClick={() => setConfirm(null)}
                disabled={busy}
              >
                {t("common.cancel")}
              </button>
              <button
                type="button"
                className={confirm.kind === "rotate" ? "primary" : "danger"}
                onClick={() => void confirmAction()}
                disabled={busy}
              >
                {t(
                  confirm.kind === "delete"
                    ? "webhooks.delete"
                    : confirm.kind === "rotate"
                      ? "webhooks.rotate"
                      : "keys.revoke",
                )}
              </button>
            </>
          }
        >
          <p>
            {confirm.kind === "delete"
              ? t("webhooks.deleteBody", { url: confirm.ep.url })
              : confirm.kind === "rotate"
                ? t("webhooks.rotateBody", { url: confirm.ep.url })
                : t("keys.revokeBody", { name: confirm.key.name })}
          </p>
        </Dialog>
      )}
    </main>
  );
}

/** A secret shown once: read-only, copyable, with the warning; its heading takes the focus. */
export function SecretReveal({
  title,
  label,
  value,
  onDone,
}: {
  title: string;
  label: string;
  value: string;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const id = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const [copy, setCopy] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    heading.current?.focus();
  }, [value]);
  useEffect(() => setCopy("idle"), [value]);
  const onCopy = async () => {
    try {
      if (!navigator.clipboard) throw new Error("no clipboard");
      await navigator.clipboard.writeText(value);
      setCopy("copied");
    } catch {
      input.current?.select();
      setCopy("failed");
    }
  };
  return (
    <div className="card secret" data-testid="secret">
      <h3 ref={heading} tabIndex={-1} id={`${id}-title`}>
        {title}
      </h3>
      <p className="notice warning" id={`${id}-once`}>
        {t("secret.once")}
      </p>
      <div className="field">
        <label htmlFor={`${id}-value`}>{label}</label>
        <div className="secret-row">
          <input
            ref={input}
            id={`${id}-value`}
            className="secret-value"
            readOnly
            value={value}
            spellCheck={false}
            autoComplete="off"
            aria-describedby={`${id}-once`}
            onFocus={(e) => e.currentTarget.select()}
          />
          <button type="button" className="secondary" onClick={() => void onCopy()}>
            {t("secret.copy")}
          </button>
        </div>
      </div>
      <Status>
        {copy === "copied" && <p className="ok">{t("secret.copied")}</p>}
        {copy === "failed" && <p>{t("secret.copyFailed")}</p>}
      </Status>
      <div className="actions plain">
        <button type="button" className="primary" onClick={onDone}>
          {t("secret.done")}
        </button>
      </div>
    </div>
  );
}

type FieldErrors = Partial<Record<string, { type: string; message: string }>>;

/** Puts userErrors at this form's fields (known) and returns the messages of the rest. */
function placeErrors(userErrors: UserError[], known: readonly string[], t: (k: Key) => string) {
  const fields: FieldErrors = {};
  const general: string[] = [];
  for (const e of userErrors) {
    const field = integrationField(e);
    if (field && known.includes(field) && !fields[field])
      fields[field] = { type: "server", message: integrationErrorKey(e) };
    else general.push(t(integrationErrorKey(e)));
  }
  return { fields, general };
}

export function EndpointForm({
  onCreate,
}: {
  onCreate: (url: string, events: string[] | undefined) => Promise<Outcome<unknown>>;
}) {
  const { t } = useI18n();
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>([...eventTypes]);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [submitting, setSubmitting] = useState(false);
  const urlRef = useRef<HTMLInputElement>(null);
  const eventsRef = useRef<HTMLFieldSetElement>(null);

  const focusFirst = (errs: FieldErrors) => {
    if (errs.url) urlRef.current?.focus();
    else if (errs.events) eventsRef.current?.querySelector<HTMLInputElement>("input")?.focus();
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const local = checkEndpointForm({ url, events });
    const errs: FieldErrors = {};
    for (const [k, v] of Object.entries(local)) errs[k] = { type: "client", message: v };
    setGeneral([]);
    setErrors(errs);
    if (Object.keys(errs).length) {
      focusFirst(errs);
      return;
    }
    setSubmitting(true);
    try {
      const out = await onCreate(url.trim(), eventsInput(events));
      if (out.ok) {
        setUrl("");
        setEvents([...eventTypes]);
        return;
      }
      const placed = placeErrors(out.userErrors, ["url", "events"], t);
      setErrors(placed.fields);
      setGeneral(placed.general);
      focusFirst(placed.fields);
    } finally {
      setSubmitting(false);
    }
  };

  const toggle = (type: string, on: boolean) =>
    setEvents((cur) => (on ? [...cur, type] : cur.filter((x) => x !== type)));
  const eventsError = errors.events;
  return (
    <form
      noValidate
      onSubmit={(e) => void submit(e)}
      className="card"
      aria-labelledby="endpoint-form-title"
    >
      <h3 id="endpoint-form-title">{t("webhooks.add")}</h3>
      <ErrorSummary
        errors={errors as never}
        general={general}
        labels={{ url: t("webhooks.url"), events: t("webhooks.events") }}
      />
      <TextField
        ref={urlRef}
        id="endpoint-url"
        label={t("webhooks.url")}
        hint={t("webhooks.urlHint")}
        type="url"
        inputMode="url"
        autoComplete="url"
        spellCheck={false}
        value={url}
        error={errors.url as never}
        onChange={(e) => setUrl(e.target.value)}
      />
      <fieldset
        ref={eventsRef}
        className={`events${eventsError ? " field-invalid" : ""}`}
        aria-describedby={["endpoint-events-hint", eventsError ? "endpoint-events-error" : ""]
          .filter(Boolean)
          .join(" ")}
      >
        <legend>{t("webhooks.events")}</legend>
        <p id="endpoint-events-hint" className="hint">
          {t("webhooks.eventsHint")}
        </p>
        <div className="event-choices">
          {eventTypes.map((type) => (
            <label key={type} className="event-choice">
              <input
                type="checkbox"
                checked={events.includes(type)}
                onChange={(e) => toggle(type, e.target.checked)}
              />
              <span>
                {t(eventKey(type)!)} <code>{type}</code>
              </span>
            </label>
          ))}
        </div>
        {eventsError && (
          <p id="endpoint-events-error" className="field-error">
            {t(eventsError.message as Key)}
          </p>
        )}
      </fieldset>
      <div className="actions">
        <button type="submit" className="primary" disabled={submitting}>
          {submitting ? t("common.saving") : t("webhooks.submit")}
        </button>
      </div>
    </form>
  );
}

export function KeyForm({ onCreate }: { onCreate: (name: string) => Promise<Outcome<unknown>> }) {
  const { t } = useI18n();
  const [name, setName] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [submitting, setSubmitting] = useState(false);
  const nameRef = useRef<HTMLInputElement>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setGeneral([]);
    const local = checkKeyName(name);
    if (local) {
      setErrors({ name: { type: "client", message: local } });
      nameRef.current?.focus();
      return;
    }
    setErrors({});
    setSubmitting(true);
    try {
      const out = await onCreate(name.trim());
      if (out.ok) {
        setName("");
        return;
      }
      const placed = placeErrors(out.userErrors, ["name"], t);
      setErrors(placed.fields);
      setGeneral(placed.general);
      if (placed.fields.name) nameRef.current?.focus();
    } finally {
      setSubmitting(false);
    }
  };
  return (
    <form
      noValidate
      onSubmit={(e) => void submit(e)}
      className="card"
      aria-labelledby="key-form-title"
    >
      <h3 id="key-form-title">{t("keys.add")}</h3>
      <ErrorSummary errors={errors as never} general={general} labels={{ name: t("keys.name") }} />
      <TextField
        ref={nameRef}
        id="key-name"
        label={t("keys.name")}
        hint={t("keys.nameHint")}
        maxLength={100}
        autoComplete="off"
        value={name}
        error={errors.name as never}
        onChange={(e) => setName(e.target.value)}
      />
      <div className="actions">
        <button type="submit" className="primary" disabled={submitting}>
          {submitting ? t("common.saving") : t("keys.submit")}
        </button>
      </div>
    </form>
  );
}

export function EndpointCard({
  ep,
  onRotate,
  onDelete,
  onRedeliver,
}: {
  ep: Endpoint;
  onRotate: () => void;
  onDelete: () => void;
  onRedeliver: (d: Delivery) => Promise<void>;
}) {
  const { t } = useI18n();
  const f = useFormat();
  const state = endpointState(ep);
  const events = subscribedEvents(ep.events);
  const titleId = `endpoint-${ep.id}`;
  return (
    <article className="card endpoint" aria-labelledby={titleId} data-testid="endpoint">
      <h3 id={titleId} className="endpoint-url">
        {ep.url}
      </h3>
      <dl className="facts">
        <dt>{t("webhooks.state")}</dt>
        <dd>
          {state.kind === "active" && <span className="badge ok">{t("webhooks.active")}</span>}
          {state.kind === "failing" && (
            <span className="badge warn">
              {t("webhooks.failing", { time: f.dateTime(state.since) })}
            </span>
          )}
          {state.kind === "disabled" && (
            <>
              <span className="badge off">
                {t("webhooks.disabled", { time: f.dateTime(state.since) })}
              </span>
              <br />
              <span className="hint">{t("webhooks.disabledHint")}</span>
            </>
          )}
        </dd>
        <dt>{t("webhooks.receives")}</dt>
        <dd>
          {events === null ? (
            t("webhooks.allEvents")
          ) : (
            <ul className="event-list">
              {events.map((e) => {
                const k = eventKey(e);
                return <li key={e}>{k ? t(k) : <code>{e}</code>}</li>;
              })}
            </ul>
          )}
        </dd>
        <dt>{t("webhooks.added")}</dt>
        <dd>{f.dateTime(ep.createdAt)}</dd>
      </dl>
      <div className="actions plain">
        <button type="button" className="secondary" onClick={onRotate} aria-describedby={titleId}>
          {t("webhooks.rotate")}
        </button>
        <button
          type="button"
          className="secondary danger-outline"
          onClick={onDelete}
          aria-describedby={titleId}
        >
          {t("webhooks.delete")}
        </button>
      </div>
      <h4 id={`${titleId}-deliveries`}>{t("webhooks.deliveries")}</h4>
      {ep.deliveries.length === 0 ? (
        <p className="hint">{t("webhooks.noDeliveries")}</p>
      ) : (
        <div
          className="table-wrap"
          role="region"
          aria-label={t("webhooks.deliveriesOf", { url: ep.url })}
          tabIndex={0}
        >
          <table className="stack" role="table">
            <thead role="rowgroup">
              <tr role="row">
                <th scope="col" role="columnheader">
                  {t("webhooks.col.event")}
                </th>
                <th scope="col" role="columnheader">
                  {t("webhooks.col.attempt")}
                </th>
                <th scope="col" role="columnheader">
                  {t("webhooks.col.result")}
                </th>
                <th scope="col" role="columnheader">
                  {t("webhooks.col.time")}
                </th>
                <th scope="col" role="columnheader">
                  {t("webhooks.col.action")}
                </th>
              </tr>
            </thead>
            <tbody role="rowgroup">
              {ep.deliveries.map((d) => (
                <DeliveryRow
                  key={d.id}
                  d={d}
                  disabled={state.kind === "disabled"}
                  onRedeliver={onRedeliver}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </article>
  );
}

function DeliveryRow({
  d,
  disabled,
  onRedeliver,
}: {
  d: Delivery;
  disabled: boolean;
  onRedeliver: (d: Delivery) => Promise<void>;
}) {
  const { t } = useI18n();
  const f = useFormat();
  const [sending, setSending] = useState(false);
  const outcome = deliveryOutcome(d);
  const k = eventKey(d.eventType);
  const time = f.dateTime(d.at);
  return (
    <tr data-testid="delivery" role="row">
      <th scope="row" role="rowheader">
        {k ? t(k) : null} <code>{d.eventType}</code>
      </th>
      <td role="cell" data-label={t("webhooks.col.attempt")}>
        {d.attempt}
      </td>
      <td role="cell" data-label={t("webhooks.col.result")}>
        <div>
          <span className={outcome.ok ? "ok" : "failed"}>
            {t(outcome.ok ? "webhooks.succeeded" : "webhooks.failed")}
          </span>
          {outcome.code !== null && <> · {t("webhooks.httpCode", { code: outcome.code })}</>}
          {!outcome.ok && d.error && (
            <>
              <br />
              <span className="hint delivery-error">{d.error}</span>
            </>
          )}
        </div>
      </td>
      <td role="cell" data-label={t("webhooks.col.time")}>
        <time dateTime={d.at}>{time}</time>
      </td>
      <td role="cell" className="cell-action">
        {!disabled && (
          <button
            type="button"
            className="secondary small"
            disabled={sending}
            aria-label={t("webhooks.redeliverLabel", { event: d.eventType, time })}
            onClick={async () => {
              setSending(true);
              try {
                await onRedeliver(d);
              } finally {
                setSending(false);
              }
            }}
          >
            {t("webhooks.redeliver")}
          </button>
        )}
      </td>
    </tr>
  );
}
