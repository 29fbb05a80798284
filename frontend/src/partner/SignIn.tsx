import { useLocation, useNavigate } from "react-router";
import { useClient } from "urql";
import { SignIn as SignInDoc } from "../api/documents";
import { classify } from "../api/errors";
import { partnerToken } from "../api/session";
import { useI18n } from "../i18n/I18n";
import { ErrorSummary, Status, StepHeading, TextField } from "../wizard/components";
import { useStepForm } from "../wizard/form";
import { signInSchema } from "../wizard/schemas";

export function SignInPage() {
  const { t } = useI18n();
  const client = useClient();
  const navigate = useNavigate();
  const loc = useLocation();
  const ended = (loc.state as { ended?: boolean } | null)?.ended;
  const { form, general, submit } = useStepForm(signInSchema, { email: "", password: "" }, ["email", "password"]);
  const {
    register,
    formState: { errors, isSubmitting },
  } = form;
  const onSubmit = submit(async (v) => {
    const r = await client.mutation(SignInDoc, { email: v.email, password: v.password }).toPromise();
    if (r.error || !r.data) {
      return { ok: false, userErrors: [], failure: r.error ? classify(r.error) : { kind: "internal" } };
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
      {ended && (
        <Status className="notice">
          <p>{t("partner.sessionEnded")}</p>
        </Status>
      )}
      <form noValidate onSubmit={onSubmit}>
        <ErrorSummary errors={errors} general={general} labels={{ email: t("signin.email"), password: t("signin.password") }} />
        <TextField id="signin-email" label={t("signin.email")} type="email" autoComplete="username" error={errors.email} {...register("email")} />
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
    </main>
  );
}
