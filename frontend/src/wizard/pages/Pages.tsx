import { Link, useLocation } from "react-router";
import type { LinkProblem } from "../../api/errors";
import { handoff } from "../../api/session";
import { useI18n } from "../../i18n/I18n";
import type { Key } from "../../i18n/en";
import { StepHeading } from "../components";

/** A link that no longer works: why, and who to ask for a new one. */
export function LinkProblemPage({ problem }: { problem: LinkProblem }) {
  const { t } = useI18n();
  return (
    <main id="main" className="page narrow">
      <section className={`problem problem-${problem}`}>
        <StepHeading>{t(`link.${problem}.title` as Key)}</StepHeading>
        <p>{t(`link.${problem}.body` as Key)}</p>
        <p>
          <Link to="/">{t("link.home")}</Link>
        </p>
      </section>
    </main>
  );
}

/** After a hand-off: the new link went to someone else. */
export function HandedOffPage() {
  const { t } = useI18n();
  const loc = useLocation();
  const email = (loc.state as { email?: string } | null)?.email ?? handoff.get();
  return (
    <main id="main" className="page narrow">
      <section>
        <StepHeading>{t("handoff.title")}</StepHeading>
        <p>{email ? t("handoff.body", { email }) : t("handoff.bodyUnknown")}</p>
        <p className="hint">{t("handoff.old")}</p>
      </section>
    </main>
  );
}

export function OnHoldPage() {
  const { t } = useI18n();
  return (
    <main id="main" className="page narrow">
      <section className="problem">
        <StepHeading>{t("onhold.title")}</StepHeading>
        <p>{t("onhold.body")}</p>
      </section>
    </main>
  );
}

export function NotFoundPage() {
  const { t } = useI18n();
  return (
    <main id="main" className="page narrow">
      <StepHeading>{t("notFound.title")}</StepHeading>
      <p>
        <Link to="/">{t("link.home")}</Link>
      </p>
    </main>
  );
}
