import { Link } from "react-router";
import type { SetupStep } from "../../gql/graphql";
import { useI18n } from "../../i18n/I18n";
import { previousStep, stepPath } from "../steps";
import { useSetup } from "../useSetup";

/** "Back" to the previous step the person may answer again. */
export function BackLink({ view }: { view: SetupStep }) {
  const { t } = useI18n();
  const setup = useSetup();
  const prev = previousStep(view, setup);
  if (!prev) return null;
  return (
    <Link className="button secondary" to={stepPath[prev]}>
      {t("common.back")}
    </Link>
  );
}
