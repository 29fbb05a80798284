import { ConfirmCustomerOrg } from "../../api/documents";
import { useFormat, useI18n } from "../../i18n/I18n";
import { ErrorSummary, OrgView, StepHeading, TextField } from "../components";
import {
  AddressFields,
  addressDefaults,
  addressFieldNames,
  addressInput,
  useLabels,
  useStepForm,
} from "../form";
import { emptySchema, orgSchema } from "../schemas";
import type { Setup } from "../steps";
import { useSetup } from "../useSetup";
import { useWizard } from "../WizardContext";
import { CountryField } from "../pickers";
import { BackLink } from "./BackLink";
import { NotRecognized } from "./ReportDialog";

export function CustomerOrgStep() {
  const setup = useSetup();
  return setup.customerOrg?.existing ? <CheckCustomerOrg /> : <ConfirmNewCustomerOrg />;
}

function CheckCustomerOrg() {
  const { t } = useI18n();
  const setup = useSetup();
  const { mutate } = useWizard();
  const { form, general, submit } = useStepForm(emptySchema, {}, []);
  const onSubmit = submit(() =>
    mutate(ConfirmCustomerOrg, { input: {} }, (d) => d.confirmCustomerOrg),
  );
  return (
    <section>
      <StepHeading>{t("customerOrg.titleExisting")}</StepHeading>
      <p>{t("customerOrg.introExisting", { email: setup.customerAdminEmail ?? "" })}</p>
      <div className="card">
        <OrgView org={setup.customerOrg!} />
      </div>
      <NotRecognized organization="CUSTOMER" />
      <form noValidate onSubmit={onSubmit}>
        <ErrorSummary errors={form.formState.errors} general={general} labels={{}} />
        <div className="actions">
          <BackLink view="CUSTOMER_ORG" />
          <button type="submit" className="primary" disabled={form.formState.isSubmitting}>
            {t("common.next")}
          </button>
        </div>
      </form>
    </section>
  );
}

function ConfirmNewCustomerOrg() {
  const { t } = useI18n();
  const setup = useSetup();
  const { mutate } = useWizard();
  const labels = useLabels();
  const org = setup.customerOrg;
  const { form, general, submit } = useStepForm(
    orgSchema,
    {
      name: org?.name ?? setup.order.customerName,
      country: org?.country ?? setup.order.customerCountry,
      address: addressDefaults(org?.address ?? setup.order.customerAddress),
    },
    ["name", "country", ...addressFieldNames],
  );
  const {
    register,
    formState: { errors, isSubmitting },
  } = form;
  const onSubmit = submit((v) =>
    mutate(
      ConfirmCustomerOrg,
      { input: { name: v.name, country: v.country, address: addressInput(v.address) } },
      (d) => d.confirmCustomerOrg,
    ),
  );
  return (
    <section>
      <StepHeading>{t("customerOrg.titleNew")}</StepHeading>
      <p>{t("customerOrg.introNew")}</p>
      <Candidates setup={setup} />
      <form noValidate onSubmit={onSubmit}>
        <ErrorSummary errors={errors} general={general} labels={labels} />
        <TextField
          id="customer-name"
          label={t("org.name")}
          autoComplete="organization"
          error={errors.name}
          {...register("name")}
        />
        <CountryField
          control={form.control}
          name="country"
          id="customer-country"
          label={t("org.country")}
          hint={t("org.countryHint")}
          error={errors.country}
        />
        <AddressFields
          register={register}
          errors={errors.address}
          legend={t("org.address")}
          idPrefix="customer"
        />
        <div className="actions">
          <BackLink view="CUSTOMER_ORG" />
          <button type="submit" className="primary" disabled={isSubmitting}>
            {isSubmitting ? t("common.saving") : t("common.next")}
          </button>
        </div>
      </form>
    </section>
  );
}

/** Organizations that might be the customer's: name, email domain and date only. */
export function Candidates({ setup }: { setup: Setup }) {
  const { t } = useI18n();
  const f = useFormat();
  if (setup.customerOrgCandidates.length === 0) return null;
  return (
    <aside className="notice" aria-labelledby="candidates-title">
      <h2 id="candidates-title">{t("candidates.title")}</h2>
      <p>{t("candidates.intro")}</p>
      <div className="table-wrap" role="region" aria-labelledby="candidates-title" tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t("candidates.name")}</th>
              <th scope="col">{t("candidates.domain")}</th>
              <th scope="col">{t("candidates.created")}</th>
            </tr>
          </thead>
          <tbody>
            {setup.customerOrgCandidates.map((c, i) => (
              <tr key={i}>
                <td>{c.name}</td>
                <td>{c.emailDomain}</td>
                <td>{f.date(c.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </aside>
  );
}
