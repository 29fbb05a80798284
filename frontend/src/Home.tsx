import { Link } from "react-router";
import { useI18n } from "./i18n/I18n";
import { StepHeading } from "./wizard/components";

export function Home() {
  const { t } = useI18n();
  return (
    <main id="main" className="page narrow">
      <StepHeading>{t("home.title")}</StepHeading>
      <p>{t("home.intro")}</p>
      <p>{t("home.partner")}</p>
      <p>
        <Link className="button secondary" to="/signin">
          {t("home.signin")}
        </Link>
      </p>
    </main>
  );
}
