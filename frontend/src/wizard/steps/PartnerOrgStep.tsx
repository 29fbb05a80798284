import { ConfirmPartnerOrg } from "../../api/documents";
import { useI18n } from "../../i18n/I18n";
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
import { useSetup } from "../useSetup";
import { useWizard } from "../WizardContext";
import { CountryField } from "../pickers";
import { BackLink } from "./BackLink";
import { NotRecognized } from "./ReportDialog";

export function PartnerOrgStep() {
  const setup = useSetup();
  return setup.partnerOrg?.existing ? <ReviewPartnerOrg /> : <CreatePartnerOrg />;
}

function ReviewPartnerOrg() {
  const { t } = useI18n();
  const setup = useSetup();
  const { mutate } = useWizard();
  const { form, general, submit } = useStepForm(emptySchema, {}, []);
  const onSubmit = submit(() =>
    mutate(ConfirmPartnerOrg, { input: {} }, (d) => d.confirmPartnerOrg),
  );
  const org = setup.partnerOrg!;
  return (
    <section>
      <StepHeading>{t("partnerOrg.titleExisting")}</StepHeading>
      <p>{t("partnerOrg.introExisting")}</p>
      <div className="card">
        <OrgView org={org} />
      </div>
      <NotRecognized organization="PARTNER" />
      <form noValidate onSubmit={onSubmit}>
        <ErrorSummary errors={form.formState.errors} general={general} labels={{}} />
        <div className="actions">
          <BackLink view="PARTNER_ORG" />
          <button type="submit" className="primary" disabled={form.formState.isSubmitting}>
            {t("common.next")}
          </button>
        </div>
      </form>
    </section>
  );
}

function CreatePartnerOrg() {
  const { t } = useI18n();
  const setup = useSetup();
  const { mutate } = useWizard();
  const labels = useLabels();
  const org = setup.partnerOrg;
  const { form, general, submit } = useStepForm(
    orgSchema,
    {
      name: org?.name ?? setup.order.partnerName,
      country: org?.country ?? setup.order.customerCountry,
      address: addressDefaults(org?.address),
    },
    ["name", "country", ...addressFieldNames],
  );
  const {
    register,
    formState: { errors, isSubmitting },
  } = form;
  const onSubmit = submit((v) =>
    mutate(
      ConfirmPartnerOrg,
      { input: { name: v.name, country: v.country, address: addressInput(v.address) } },
      (d) => d.confirmPartnerOrg,
    ),
  );
  return (
    <section>
      <StepHeading>{t("partnerOrg.titleNew")}</StepHeading>
      <p>{t("partnerOrg.introNew")}</p>
      <form noValidate onSubmit={onSubmit}>
        <ErrorSummary errors={errors} general={general} labels={labels} />
        <TextField
          id="partner-name"
          label={t("org.name")}
          autoComplete="organization"
          error={errors.name}
          {...register("name")}
        />
        <CountryField
          control={form.control}
          name="country"
          id="partner-country"
          label={t("org.country")}
          hint={t("org.countryHint")}
          error={errors.country}
        />
        <AddressFields
          register={register}
          errors={errors.address}
          legend={t("org.address")}
          idPrefix="partner"
        />
        <div className="actions">
          <BackLink view="PARTNER_ORG" />
          <button type="submit" className="primary" disabled={isSubmitting}>
            {isSubmitting ? t("common.saving") : t("common.next")}
          </button>
        </div>
      </form>
    </section>
  );
}
