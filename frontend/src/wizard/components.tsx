import { useEffect, useId, useRef, type ComponentProps, type ReactNode } from "react";
import type { FieldError, FieldErrors, FieldValues, Path, UseFormReturn } from "react-hook-form";
import { failureKey, fieldName, userErrorKey, type Failure, type UserError } from "../api/errors";
import { isKey, useFormat, useI18n } from "../i18n/I18n";
import type { Key } from "../i18n/en";

/** Translates a message that is a dictionary key (forms store keys). */
export function useMessage() {
  const { t } = useI18n();
  return (m: string | undefined) => (m === undefined ? "" : isKey(m) ? t(m) : m);
}

/**
 * The page's heading: it takes the focus when the step opens, so a screen
 * reader starts reading the new step and keyboard users start there.
 */
export function StepHeading({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  useEffect(() => {
    if (typeof children === "string") document.title = `${children} · Onramp`;
  }, [children]);
  return (
    <h1 ref={ref} tabIndex={-1} className="step-heading">
      {children}
    </h1>
  );
}

interface FieldProps extends ComponentProps<"input"> {
  label: string;
  hint?: string;
  error?: FieldError;
  optional?: boolean;
}

/** A labelled input with its hint and error, tied by aria-describedby. */
export function TextField({ label, hint, error, optional, id, ...rest }: FieldProps) {
  const { t } = useI18n();
  const message = useMessage();
  const auto = useId();
  const inputId = id ?? auto;
  const hintId = hint ? `${inputId}-hint` : undefined;
  const errorId = error ? `${inputId}-error` : undefined;
  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <label htmlFor={inputId}>
        {label}
        {optional && <span className="optional"> ({t("common.optional")})</span>}
      </label>
      {hint && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
      <input
        id={inputId}
        aria-invalid={error ? true : undefined}
        aria-describedby={[errorId, hintId].filter(Boolean).join(" ") || undefined}
        aria-required={optional ? undefined : true}
        {...rest}
      />
      {error && (
        <p id={errorId} className="field-error">
          {message(error.message)}
        </p>
      )}
    </div>
  );
}

interface SelectProps extends ComponentProps<"select"> {
  label: string;
  hint?: string;
  error?: FieldError;
  children: ReactNode;
}

export function SelectField({ label, hint, error, children, id, ...rest }: SelectProps) {
  const message = useMessage();
  const auto = useId();
  const selectId = id ?? auto;
  const hintId = hint ? `${selectId}-hint` : undefined;
  const errorId = error ? `${selectId}-error` : undefined;
  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <label htmlFor={selectId}>{label}</label>
      {hint && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
      <select
        id={selectId}
        aria-invalid={error ? true : undefined}
        aria-describedby={[errorId, hintId].filter(Boolean).join(" ") || undefined}
        {...rest}
      >
        {children}
      </select>
      {error && (
        <p id={errorId} className="field-error">
          {message(error.message)}
        </p>
      )}
    </div>
  );
}

/** Every error message of a react-hook-form errors tree, with its field name. */
export function flattenErrors(
  errors: FieldErrors,
  prefix = "",
): { name: string; message: string }[] {
  const out: { name: string; message: string }[] = [];
  for (const [k, v] of Object.entries(errors)) {
    if (!v || k === "root") continue;
    const name = prefix ? `${prefix}.${k}` : k;
    if (typeof (v as FieldError).message === "string" && (v as FieldError).type !== undefined) {
      out.push({ name, message: (v as FieldError).message as string });
    } else if (typeof v === "object") {
      out.push(...flattenErrors(v as FieldErrors, name));
    }
  }
  return out;
}

/**
 * The form's problems, announced (aria-live) when they appear: the field
 * errors by label, and the errors of no field (a taken organization, a lost
 * connection).
 */
export function ErrorSummary({
  errors,
  general,
  labels,
}: {
  errors: FieldErrors;
  general: string[];
  labels: Record<string, string>;
}) {
  const { t } = useI18n();
  const message = useMessage();
  const items = flattenErrors(errors);
  const has = items.length > 0 || general.length > 0;
  return (
    <div
      className={has ? "error-summary" : "error-summary empty"}
      role="alert"
      aria-live="assertive"
      aria-atomic="true"
    >
      {has && (
        <>
          <p className="error-summary-title">{t("errors.summary")}</p>
          <ul>
            {general.map((g, i) => (
              <li key={`g${i}`}>{g}</li>
            ))}
            {items.map((e) => (
              <li key={e.name}>
                {labels[e.name] ? `${labels[e.name]}: ` : ""}
                {message(e.message)}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

/**
 * Puts a mutation's userErrors at their fields (setError, the first one
 * focused) and returns the messages of the rest, translated.
 */
export function applyServerErrors<F extends FieldValues, O>(
  form: UseFormReturn<F, unknown, O>,
  userErrors: UserError[],
  known: readonly string[],
  t: (k: Key) => string,
  failure?: Failure,
): string[] {
  const general: string[] = [];
  let first = true;
  for (const e of userErrors) {
    const name = fieldName(e);
    const key = userErrorKey(e);
    if (name && known.includes(name)) {
      form.setError(name as Path<F>, { type: "server", message: key }, { shouldFocus: first });
      first = false;
    } else {
      general.push(t(key));
    }
  }
  if (failure) general.push(t(failureKey(failure)));
  return general;
}

export function AddressView({
  address,
}: {
  address: {
    line1: string;
    line2?: string | null;
    city: string;
    postalCode: string;
    region?: string | null;
  };
}) {
  return (
    <address>
      {address.line1}
      {address.line2 ? (
        <>
          <br />
          {address.line2}
        </>
      ) : null}
      <br />
      {address.postalCode} {address.city}
      {address.region ? `, ${address.region}` : ""}
    </address>
  );
}

export interface OrgLike {
  name: string;
  country: string;
  address?: {
    line1: string;
    line2?: string | null;
    city: string;
    postalCode: string;
    region?: string | null;
  } | null;
}

/** An organization as a definition list. */
export function OrgView({ org }: { org: OrgLike }) {
  const { t } = useI18n();
  const f = useFormat();
  return (
    <dl className="facts">
      <dt>{t("org.name")}</dt>
      <dd>{org.name}</dd>
      <dt>{t("org.country")}</dt>
      <dd>{f.country(org.country)}</dd>
      {org.address && (
        <>
          <dt>{t("org.address")}</dt>
          <dd>
            <AddressView address={org.address} />
          </dd>
        </>
      )}
    </dl>
  );
}

/** A modal dialog: labelled, focus inside while open, Escape closes. */
export function Dialog({
  title,
  children,
  onClose,
  actions,
}: {
  title: string;
  children: ReactNode;
  onClose: () => void;
  actions: ReactNode;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const bodyId = useId();
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const first = ref.current?.querySelector<HTMLElement>("button, input, textarea, select");
    first?.focus();
    return () => opener?.focus?.();
  }, []);
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      onClose();
    }
    if (e.key === "Tab" && ref.current) {
      const items = Array.from(
        ref.current.querySelectorAll<HTMLElement>("button, input, textarea, select, a[href]"),
      ).filter((el) => !el.hasAttribute("disabled"));
      if (items.length === 0) return;
      const firstEl = items[0];
      const lastEl = items[items.length - 1];
      if (e.shiftKey && document.activeElement === firstEl) {
        e.preventDefault();
        lastEl.focus();
      } else if (!e.shiftKey && document.activeElement === lastEl) {
        e.preventDefault();
        firstEl.focus();
      }
    }
  };
  return (
    <div className="dialog-backdrop">
      <div
        ref={ref}
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={bodyId}
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId}>{title}</h2>
        <div id={bodyId}>{children}</div>
        <div className="actions">{actions}</div>
      </div>
    </div>
  );
}

/** Polite announcements (saved, available, live status). */
export function Status({ children, className }: { children: ReactNode; className?: string }) {
  return (
    <div role="status" aria-live="polite" className={className}>
      {children}
    </div>
  );
}
