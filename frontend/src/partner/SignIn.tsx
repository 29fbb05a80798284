import { Link, useLocation, useNavigate } from "react-router";
import { useClient } from "urql";
import { SignIn as SignInDoc } from "../api/documents";
import { classify } from "../api/errors";
import { partnerToken } from "../api/session";
import { useI18n } from "../i18n/I18n";
import type { Key } from "../i18n/en";
import { ErrorSummary, Status, StepHeading, TextField } from "../wizard/components";
import { useStepForm } from "../wizard/form";
import type { SessionEnd } from "./Workspace";
import { signInSchema } from "../wizard/schemas";

export function SignInPage() {
  const { t } = useI18n();
  const client = useClient();
  const navigate = useNavigate();
  const loc = useLocation();
  const state = (loc.state as SessionEnd | null) ?? {};
  const notice = sessionNoticeKey(state);
  const { form, general, submit } = useStepForm(signInSchema, { email: "", password: "" }, [
    "email",
    "password",
  ]);
  const {
    register,
    formState: { errors, isSubmitting },
  } = form;
  const onSubmit = submit(async (v) => {
    // A session of before (ended or not) must not go with the sign-in.
    partnerToken.clear();
    const r = await client
      .mutation(SignInDoc, { email: v.email, password: v.password })
      .toPromise();
    if (r.error || !r.data) {
      return {
        ok: false,
        userErrors: [],
        failure: r.error ? classify(r.error) : { kind: "internal" },
      };
    }
    const p = r.data.signIn;
    if (p.token) {
      partnerToken.set(p.token);
      navigate("/partner");
      return { ok: true, setup: null };
    }
    return { ok: false, userErrors: p.userErrors };
  });
  return (
    <main id="main" className="page narrow">
      <StepHeading>{t("signin.title")}</StepHeading>
      <p>{t("signin.intro")}</p>
      {notice && (
        <Status className="notice">
          <p>{t(notice)}</p>
        </Status>
      )}
      <form noValidate onSubmit={onSubmit}>
        <ErrorSummary
          errors={errors}
          general={general}
          labels={{ email: t("signin.email"), password: t("signin.password") }}
        />
        <TextField
          id="signin-email"
          label={t("signin.email")}
          type="email"
          autoComplete="username"
          error={errors.email}
          {...register("email")}
        />
        <TextField
          id="signin-password"
          label={t("signin.password")}
          type="password"
          autoComplete="current-password"
          error={errors.password}
          {...register("password")}
        />
        <div className="actions">
          <button type="submit" className="primary" disabled={isSubmitting}>
            {t("signin.submit")}
          </button>
        </div>
      </form>
      <p>
        <Link to="/signin/forgot">{t("signin.forgot")}</Link>
      </p>
    </main>
  );
}

/** The sign-in page's notice after a session: signed out here, or ended by the server (by reason). */
export function sessionNoticeKey(s: SessionEnd): Key | null {
  if (s.signedOut) return "signin.signedOut";
  if (s.ended === "REVOKED") return "partner.sessionRevoked";
  if (s.ended === "EXPIRED") return "partner.sessionExpired";
  if (s.ended) return "partner.sessionEnded";
  return null;
}
