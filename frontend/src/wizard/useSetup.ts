import { useWizard } from "./WizardContext";
import type { Setup } from "./steps";

/** The loaded session: steps render only inside the layout, after it loaded. */
export function useSetup(): Setup {
  const { setup } = useWizard();
  if (!setup) throw new Error("useSetup before the setup session loaded");
  return setup;
}
