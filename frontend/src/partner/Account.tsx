import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { Link, Navigate, useNavigate } from "react-router";
import { Provider, useClient, useQuery } from "urql";
import { z } from "zod";
import { createApiClient } from "../api/client";
import { authReason, classify, type UserError } from "../api/errors";
import { partnerToken, resetToken } from "../api/session";
import {
  ChangePassword,
  PartnerOrganization,
  RequestPasswordReset,
  ResetPassword,
  ResetViewer,
  SetLanguage,
} from "../api/workspace";
import { languages, useI18n, type Lang } from "../i18n/I18n";
import type { Key } from "../i18n/en";
import { ErrorSummary, Status, StepHeading, TextField } from "../wizard/components";
import { useStepForm } from "../wizard/form";
import { breaksRules, PasswordRulesList } from "../wizard/PasswordRules";
import { email, passwordSchema } from "../wizard/schemas";
import type { RunResult } from "../wizard/WizardContext";
import { WorkspaceNav } from "./Workspace";
import "./workspace.css";

const forgotSchema = z.object({ email });

/** The account's field of a userError: ["new"] or ["password"] → password, ["current"] → current. */
function accountField(e: UserError): string | null {
  const last = e.field?.[e.field.length - 1];
  if (last === "new" || last === "password") return "password";
  if (last === "current") return "current";
  if (last === "email") return "email";
  return null;
}

/** userErrors as the step form expects them: at the page's own field names. */
function atFields(userErrors: UserError[]): UserError[] {
  return userErrors.map((e) => {
    const f =
      accountField(e) ??
      (e.code === "WEAK_PASSWORD"
        ? "password"
        : e.code === "INVALID_CREDENTIALS"
          ? "current"
          : null);
    return { ...e, field: f ? [f] : null };
  });
}

/** "Forgot password?": asks for a reset link; the answer never tells whether the account exists. */
export function ForgotPasswordPage() {
  const { t, lang } = useI18n();
  const client = useClient();
  const [sentTo, setSentTo] = useState<string | null>(null);
  const { form, general, submit } = useStepForm(forgotSchema, { email: "" }, ["email"]);
  const {
    register,
    formState: { errors, isSubmitting },
  } = form;
  const onSubmit = submit(async (v): Promise<RunResult> => {
    const r = await client
      .mutation(RequestPasswordReset, { email: v.email, language: lang })
      .toPromise();
    if (r.error || !r.data)
      return {
        ok: false,
        userErrors: [],
        failure: r.error ? classify(r.error) : { kind: "internal" },
      };
    const p = r.data.requestPasswordReset;
    if (p.userErrors.length) return { ok: false, userErrors: atFields(p.userErrors) };
    setSentTo(v.email);
    return { ok: true, setup: null };
  });
  return (
    <main id="main" className="page narrow">
      <StepHeading>{t("forgot.title")}</StepHeading>
      {sentTo ? (
        <>
          <Status className="notice">
            <p>{t("forgot.sent", { email: sentTo })}</p>
          </Status>
          <p className="hint">{t("forgot.sentHint")}</p>
          <p>
            <Link to="/signin">{t("forgot.back")}</Link>
          </p>
        </>
      ) : (
        <>
          <p>{t("forgot.intro")}</p>
          <form noValidate onSubmit={onSubmit}>
            <ErrorSummary errors={errors} general={general} labels={{ email: t("signin.email") }} />
            <TextField
              id="forgot-email"
              label={t("signin.email")}
              type="email"
              autoComplete="username"
              error={errors.email}
              {...register("email")}
            />
            <div className="actions">
              <button type="submit" className="primary" disabled={isSubmitting}>
                {t("forgot.submit")}
              </button>
            </div>
          </form>
          <p>
            <Link to="/signin">{t("forgot.back")}</Link>
          </p>
        </>
      )}
    </main>
  );
}

/** Why a password-reset link does not work, by extensions.reason. */
export function resetProblemKey(reason: string): "reset.expired" | "reset.used" | "reset.invalid" {
  switch (reason) {
    case "EXPIRED":
      return "reset.expired";
    case "REVOKED":
    case "REPLACED":
      return "reset.used";
    default:
      return "reset.invalid";
  }
}

/** /reset-password?token=…: its own client, with the link's token. */
export function ResetPasswordPage() {
  const client = useMemo(() => createApiClient(resetToken.get), []);
  return (
    <Provider value={client}>
      <ResetPassword_ />
    </Provider>
  );
}

function ResetProblem({ reason }: { reason: string }) {
  const { t } = useI18n();
  return (
    <main id="main" className="page narrow">
      <section className="problem">
        <StepHeading>{t(`${resetProblemKey(reason)}.title` as Key)}</StepHeading>
        <p>{t(`${resetProblemKey(reason)}.body` as Key)}</p>
        <p>
          <Link className="button primary" to="/signin/forgot">
            {t("reset.askAgain")}
          </Link>
        </p>
      </section>
    </main>
  );
}

function ResetPassword_() {
  const { t } = useI18n();
  const client = useClient();
  const navigate = useNavigate();
  const hasToken = Boolean(resetToken.get());
  const [viewer] = useQuery({
    query: ResetViewer,
    pause: !hasToken,
    requestPolicy: "network-only",
  });
  const [refused, setRefused] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const address = viewer.data?.viewer.email ?? "";
  const { form, general, submit } = useStepForm(passwordSchema, { password: "", confirm: "" }, [
    "password",
  ]);
  const {
    register,
    formState: { errors, isSubmitting },
  } = form;
  const password = form.watch("password") ?? "";
  const onSubmit = submit(async (v): Promise<RunResult | void> => {
    if (breaksRules(v.password, address)) {
      form.setError(
        "password",
        { type: "rules", message: "password.rulesFailed" },
        { shouldFocus: true },
      );
      return;
    }
    const r = await client.mutation(ResetPassword, { password: v.password }).toPromise();
    const reason = authReason(r.error);
    if (reason) {
      setProblem(reason);
      return;
    }
    if (r.error || !r.data)
      return {
        ok: false,
        userErrors: [],
        failure: r.error ? classify(r.error) : { kind: "internal" },
      };
    const p = r.data.resetPassword;
    if (p.token) {
      resetToken.clear();
      partnerToken.set(p.token);
      navigate("/partner", { replace: true, state: { passwordReset: true } });
      return { ok: true, setup: null };
    }
    if (p.userErrors.some((e) => e.code === "WEAK_PASSWORD")) setRefused(v.password);
    return { ok: false, userErrors: atFields(p.userErrors) };
  });

  const viewerReason = authReason(viewer.error);
  if (!hasToken) return <ResetProblem reason="MISSING" />;
  if (problem ?? viewerReason) return <ResetProblem reason={(problem ?? viewerReason)!} />;
  return (
    <main id="main" className="page narrow">
      <StepHeading>{t("reset.title")}</StepHeading>
      <p>{address ? t("reset.introFor", { email: address }) : t("reset.intro")}</p>
      <form noValidate onSubmit={onSubmit}>
        <ErrorSummary
          errors={errors}
          general={general}
          labels={{ password: t("password.password"), confirm: t("password.confirm") }}
        />
        {address && (
          <input
            type="email"
            name="username"
            autoComplete="username"
            value={address}
            readOnly
            hidden
          />
        )}
        <TextField
          id="password"
          label={t("password.password")}
          hint={t("password.hint")}
          type="password"
          autoComplete="new-password"
          error={errors.password}
          {...register("password")}
        />
        <PasswordRulesList password={password} email={address} refused={refused} />
        <TextField
          id="password-confirm"
          label={t("password.confirm")}
          type="password"
          autoComplete="new-password"
          error={errors.confirm}
          {...register("confirm")}
        />
        <div className="actions">
          <button type="submit" className="primary" disabled={isSubmitting}>
            {isSubmitting ? t("common.saving") : t("reset.submit")}
          </button>
        </div>
      </form>
    </main>
  );
}

const changeSchema = z
  .object({
    current: z.string().min(1, { message: "v.required" }),
    password: z
      .string()
      .min(12, { message: "v.passwordShort" })
      .max(128, { message: "v.passwordLong" }),
    confirm: z.string(),
  })
  .refine((v) => v.password === v.confirm, { path: ["confirm"], message: "v.passwordMatch" });

/** /partner/password: the signed-in administrator's new password; the session is replaced by the answer's. */
export function ChangePasswordPage() {
  if (!partnerToken.get()) return <Navigate to="/signin" replace />;
  return <ChangePassword_ />;
}

function ChangePassword_() {
  const { t } = useI18n();
  const client = useClient();
  const [viewer] = useQuery({ query: PartnerOrganization, requestPolicy: "cache-first" });
  const address = viewer.data?.viewer.email ?? "";
  const [refused, setRefused] = useState<string | null>(null);
  const [changed, setChanged] = useState(false);
  const doneRef = useRef<HTMLDivElement>(null);
  const { form, general, submit } = useStepForm(
    changeSchema,
    { current: "", password: "", confirm: "" },
    ["current", "password"],
  );
  const {
    register,
    formState: { errors, isSubmitting },
  } = form;
  const password = form.watch("password") ?? "";
  useEffect(() => {
    if (changed) doneRef.current?.focus();
  }, [changed]);
  const onSubmit = submit(async (v): Promise<RunResult | void> => {
    setChanged(false);
    if (breaksRules(v.password, address)) {
      form.setError(
        "password",
        { type: "rules", message: "password.rulesFailed" },
        { shouldFocus: true },
      );
      return;
    }
    const r = await client
      .mutation(ChangePassword, { current: v.current, new: v.password })
      .toPromise();
    if (authReason(r.error)) return; // the session ended: the sign-in page says so
    if (r.error || !r.data)
      return {
        ok: false,
        userErrors: [],
        failure: r.error ? classify(r.error) : { kind: "internal" },
      };
    const p = r.data.changePassword;
    if (p.token) {
      partnerToken.set(p.token);
      form.reset({ current: "", password: "", confirm: "" });
      setRefused(null);
      setChanged(true);
      return { ok: true, setup: null };
    }
    if (p.userErrors.some((e) => e.code === "WEAK_PASSWORD")) setRefused(v.password);
    // Here a wrong password can only be the current one.
    const errs = atFields(p.userErrors).map((e) =>
      e.code === "INVALID_CREDENTIALS"
        ? { ...e, code: "WRONG_CURRENT_PASSWORD", field: ["current"] }
        : e,
    );
    return { ok: false, userErrors: errs };
  });
  return (
    <main id="main" className="page workspace">
      <WorkspaceNav />
      <div className="narrow-block">
        <StepHeading>{t("changePassword.title")}</StepHeading>
        <p>{t("changePassword.intro")}</p>
        <Status>
          {changed && (
            <div ref={doneRef} tabIndex={-1} className="notice">
              <p className="ok">{t("changePassword.done")}</p>
            </div>
          )}
        </Status>
        <form noValidate onSubmit={onSubmit}>
          <ErrorSummary
            errors={errors}
            general={general}
            labels={{
              current: t("changePassword.current"),
              password: t("password.password"),
              confirm: t("password.confirm"),
            }}
          />
          {address && (
            <input
              type="email"
              name="username"
              autoComplete="username"
              value={address}
              readOnly
              hidden
            />
          )}
          <TextField
            id="current-password"
            label={t("changePassword.current")}
            type="password"
            autoComplete="current-password"
            error={errors.current}
            {...register("current")}
          />
          <TextField
            id="password"
            label={t("password.password")}
            hint={t("password.hint")}
            type="password"
            autoComplete="new-password"
            error={errors.password}
            {...register("password")}
          />
          <PasswordRulesList password={password} email={address} refused={refused} />
          <TextField
            id="password-confirm"
            label={t("password.confirm")}
            type="password"
            autoComplete="new-password"
            error={errors.confirm}
            {...register("confirm")}
          />
          <div className="actions">
            <button type="submit" className="primary" disabled={isSubmitting}>
              {isSubmitting ? t("common.saving") : t("changePassword.submit")}
            </button>
          </div>
        </form>
        <MailLanguage />
      </div>
    </main>
  );
}

/** The language of the emails about the administrator's account (setLanguage). */
function MailLanguage() {
  const { t } = useI18n();
  const client = useClient();
  // The workspace's viewer query (from the cache: no request of its own).
  const [viewer] = useQuery({ query: PartnerOrganization, requestPolicy: "cache-first" });
  const [choice, setChoice] = useState<Lang | null>(null);
  const [saved, setSaved] = useState<Lang | null>(null);
  const [failed, setFailed] = useState(false);
  const [busy, setBusy] = useState(false);
  const current = (choice ?? saved ?? viewer.data?.viewer.language ?? "en") as Lang;
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setSaved(null);
    setFailed(false);
    const r = await client.mutation(SetLanguage, { language: current }).toPromise();
    setBusy(false);
    if (authReason(r.error)) return;
    const l = r.data?.setLanguage.language;
    if (r.error || !l || r.data?.setLanguage.userErrors.length) {
      setFailed(true);
      return;
    }
    setSaved(l as Lang);
  };
  return (
    <section aria-labelledby="mail-language-title" className="mail-language">
      <h2 id="mail-language-title">{t("mailLanguage.title")}</h2>
      <p>{t("mailLanguage.intro")}</p>
      <form noValidate onSubmit={save}>
        <div className="field">
          <label htmlFor="mail-language">{t("mailLanguage.label")}</label>
          <select
            id="mail-language"
            value={current}
            onChange={(e) => {
              setChoice(e.target.value as Lang);
              setSaved(null);
            }}
          >
            {languages.map((l) => (
              <option key={l} value={l} lang={l === "sr" ? "sr-Latn" : "en"}>
                {t(`lang.${l}`)}
              </option>
            ))}
          </select>
        </div>
        <Status>
          {saved && (
            <p className="ok">{t("mailLanguage.saved", { language: t(`lang.${saved}`) })}</p>
          )}
          {failed && <p className="error">{t("errors.internal")}</p>}
        </Status>
        <div className="actions">
          <button type="submit" disabled={busy || viewer.fetching}>
            {t("mailLanguage.save")}
          </button>
        </div>
      </form>
    </section>
  );
}
