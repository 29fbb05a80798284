import { useState } from "react";
import { useNavigate } from "react-router";
import { CheckSubdomain, SaveCallSettings, SaveEnterpriseSettings } from "../../api/documents";
import { failureKey } from "../../api/errors";
import type { ServiceKind } from "../../gql/graphql";
import { isKey, useFormat, useI18n } from "../../i18n/I18n";
import type { Key } from "../../i18n/en";
import { ErrorSummary, SelectField, Status, StepHeading, TextField } from "../components";
import { defaultLanguage, defaultTimeZone } from "../defaults";
import { TimeZoneField } from "../pickers";
import {
  AddressFields,
  addressDefaults,
  addressFieldNames,
  addressInput,
  useLabels,
  useStepForm,
} from "../form";
import { callLanguages, callSettingsSchema, subdomainSchema } from "../schemas";
import { readyToProvision, stepPath, type Setup } from "../steps";
import { useSetup } from "../useSetup";
import { useWizard } from "../WizardContext";

export function ServicesStep() {
  const { t } = useI18n();
  const setup = useSetup();
  const navigate = useNavigate();
  const [blocked, setBlocked] = useState(false);
  const sub = setup.order.subscription;
  const kinds = new Set(sub?.services.map((s) => s.kind) ?? []);
  const missing = setup.missingSettings;
  // The server's `next` says whether provisioning is allowed now.
  const ready = readyToProvision(setup);
  const next = () => {
    if (!ready) setBlocked(true);
    else navigate(stepPath.PROVISION);
  };
  return (
    <section>
      <StepHeading>{t("services.title")}</StepHeading>
      <p>{t("services.intro")}</p>
      <SubscriptionDetails setup={setup} />
      {kinds.has("CALLING") && <CallSettingsSection setup={setup} />}
      {kinds.has("MEETINGS") && <MeetingSettingsSection setup={setup} />}
      <div
        role="alert"
        aria-live="assertive"
        className={blocked && !ready ? "error-summary" : "error-summary empty"}
      >
        {blocked && !ready && <p>{t("code.MISSING_SETTINGS")}</p>}
      </div>
      <p className="hint" id="services-progress">
        {ready || missing.length === 0
          ? t("services.ready")
          : t("services.needed", { list: missing.map((k) => t(`service.${k}` as Key)).join(", ") })}
      </p>
      <div className="actions">
        <button
          type="button"
          className="primary"
          onClick={next}
          aria-describedby="services-progress"
        >
          {t("common.next")}
        </button>
      </div>
    </section>
  );
}

export function ServiceList({ setup }: { setup: Setup }) {
  const { t } = useI18n();
  const services = setup.order.subscription?.services ?? [];
  return (
    <table className="services">
      <thead>
        <tr>
          <th scope="col">{t("services.service")}</th>
          <th scope="col">{t("services.quantity")}</th>
        </tr>
      </thead>
      <tbody>
        {services.map((s) => (
          <tr key={s.kind}>
            <td>{t(`service.${s.kind}` as Key)}</td>
            <td>{s.quantity}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SubscriptionDetails({ setup }: { setup: Setup }) {
  const { t } = useI18n();
  const sub = setup.order.subscription;
  return (
    <section className="card" aria-labelledby="sub-title">
      <h2 id="sub-title">{t("services.subscription")}</h2>
      <ServiceList setup={setup} />
      {sub && (
        <p>
          {t("services.status")}: <strong>{t(`subStatus.${sub.status}` as Key)}</strong>
        </p>
      )}
    </section>
  );
}

function SavedMark({ kind, setup }: { kind: ServiceKind; setup: Setup }) {
  if (setup.missingSettings.includes(kind)) return null;
  return <span className="badge ok">✓</span>;
}

function CallSettingsSection({ setup }: { setup: Setup }) {
  const { t } = useI18n();
  const f = useFormat();
  const { mutate } = useWizard();
  const [saved, setSaved] = useState(false);
  const cs = setup.order.subscription?.callSettings;
  const country = cs?.country ?? setup.customerOrg?.country ?? setup.order.customerCountry;
  const labels = useLabels({
    timeZone: t("call.timeZone"),
    announcementLanguage: t("call.announcementLanguage"),
    emailLanguage: t("call.emailLanguage"),
    locationName: t("call.locationName"),
  });
  const { form, general, submit } = useStepForm(
    callSettingsSchema,
    {
      timeZone: cs?.timeZone ?? defaultTimeZone(country),
      announcementLanguage: cs?.announcementLanguage ?? defaultLanguage(country),
      emailLanguage: cs?.emailLanguage ?? defaultLanguage(country),
      locationName: cs?.locationName ?? t("call.locationDefault"),
      address: addressDefaults(
        cs?.address ?? setup.customerOrg?.address ?? setup.order.customerAddress,
      ),
    },
    ["timeZone", "announcementLanguage", "emailLanguage", "locationName", ...addressFieldNames],
  );
  const {
    register,
    formState: { errors, isSubmitting },
  } = form;
  const onSubmit = submit(async (v) => {
    setSaved(false);
    const r = await mutate(
      SaveCallSettings,
      {
        input: {
          timeZone: v.timeZone,
          announcementLanguage: v.announcementLanguage,
          emailLanguage: v.emailLanguage,
          locationName: v.locationName,
          address: addressInput(v.address),
        },
      },
      (d) => d.saveCallSettings,
      { navigate: false },
    );
    if (r.ok) setSaved(true);
    return r;
  });
  const languages = [...callLanguages].sort((a, b) => f.language(a).localeCompare(f.language(b)));
  return (
    <section className="card" aria-labelledby="call-title">
      <h2 id="call-title">
        {t("call.title")} <SavedMark kind="CALLING" setup={setup} />
      </h2>
      <p className="hint">{t("call.intro")}</p>
      <form noValidate onSubmit={onSubmit}>
        <ErrorSummary errors={errors} general={general} labels={labels} />
        <dl className="facts">
          <dt>{t("call.country")}</dt>
          <dd>{f.country(country)}</dd>
        </dl>
        <TimeZoneField
          control={form.control}
          name="timeZone"
          id="call-tz"
          label={t("call.timeZone")}
          hint={t("call.timeZoneHint")}
          error={errors.timeZone}
        />
        <div className="row">
          <SelectField
            id="call-announcement"
            label={t("call.announcementLanguage")}
            error={errors.announcementLanguage}
            {...register("announcementLanguage")}
          >
            {languages.map((l) => (
              <option key={l} value={l}>
                {f.language(l)}
              </option>
            ))}
          </SelectField>
          <SelectField
            id="call-email-lang"
            label={t("call.emailLanguage")}
            error={errors.emailLanguage}
            {...register("emailLanguage")}
          >
            {languages.map((l) => (
              <option key={l} value={l}>
                {f.language(l)}
              </option>
            ))}
          </SelectField>
        </div>
        <TextField
          id="call-location"
          label={t("call.locationName")}
          error={errors.locationName}
          {...register("locationName")}
        />
        <AddressFields
          register={register}
          errors={errors.address}
          legend={t("call.address")}
          idPrefix="call"
        />
        <Status>{saved && <p className="ok">{t("call.saved")}</p>}</Status>
        <div className="actions">
          <button type="submit" className="secondary" disabled={isSubmitting}>
            {isSubmitting ? t("common.saving") : t("call.save")}
          </button>
        </div>
      </form>
    </section>
  );
}

/**
 * The meetings site: the customer organization's site from before this
 * order (nothing to choose), the subdomain this order saved (which may be
 * changed until provisioning), or the form to choose one.
 */
function MeetingSettingsSection({ setup }: { setup: Setup }) {
  const { t } = useI18n();
  return (
    <section className="card" aria-labelledby="meet-title">
      <h2 id="meet-title">
        {t("meet.title")} <SavedMark kind="MEETINGS" setup={setup} />
      </h2>
      <h3>{t("meet.enterprise")}</h3>
      {setup.existingSite ? (
        <>
          <p className="ok" data-testid="existing-site">
            {t("meet.existingSite", { name: setup.existingSite })}
          </p>
          <p className="hint">{t("meet.existingSiteHint")}</p>
        </>
      ) : (
        <SubdomainSettings setup={setup} />
      )}
    </section>
  );
}

/** The subdomain this order saved, if any. */
export function savedSubdomain(setup: Setup): string | null {
  if (setup.existingSite) return null;
  return setup.customerOrg?.subdomain ?? setup.order.subscription?.siteSubdomain ?? null;
}

function SubdomainSettings({ setup }: { setup: Setup }) {
  const { t } = useI18n();
  const { mutate, query } = useWizard();
  const savedName = savedSubdomain(setup);
  const [editing, setEditing] = useState(false);
  const [checked, setChecked] = useState<{
    name: string;
    available: boolean;
    suggestions: string[];
  } | null>(null);
  const [checking, setChecking] = useState(false);
  const [justSaved, setJustSaved] = useState(false);
  const { form, general, setGeneral, submit } = useStepForm(
    subdomainSchema,
    { subdomain: savedName ?? "" },
    ["subdomain"],
  );
  const {
    register,
    formState: { errors, isSubmitting },
  } = form;
  const current = (form.watch("subdomain") ?? "").trim().toLowerCase();
  const isSaved = savedName !== null && current === savedName;
  const availableNow = checked && checked.available && checked.name === current;

  const check = async () => {
    setGeneral([]);
    setChecked(null);
    if (!(await form.trigger("subdomain"))) return;
    const name = current;
    // The name saved already is this order's: nothing to ask.
    if (name === savedName) {
      setChecked({ name, available: true, suggestions: [] });
      return;
    }
    setChecking(true);
    const r = await query(CheckSubdomain, { subdomain: name });
    setChecking(false);
    if (r.failure) {
      setGeneral([t(failureKey(r.failure))]);
      return;
    }
    const a = r.data?.checkSubdomain;
    if (!a) return;
    setChecked({ name, available: a.available, suggestions: a.suggestions ?? [] });
    if (!a.available) {
      const reason = `code.${a.reason ?? "SUBDOMAIN_TAKEN"}`;
      const key: Key = isKey(reason) ? reason : "code.SUBDOMAIN_TAKEN";
      form.setError("subdomain", { type: "server", message: key }, { shouldFocus: true });
    }
  };

  const onSubmit = submit(async (v) => {
    if (savedName !== null && v.subdomain === savedName) {
      // Unchanged: keep the saved name, without a check or a call.
      setEditing(false);
      setChecked(null);
      return;
    }
    if (!availableNow || checked?.name !== v.subdomain) {
      form.setError(
        "subdomain",
        { type: "check", message: "meet.checkFirst" },
        { shouldFocus: true },
      );
      return;
    }
    const r = await mutate(
      SaveEnterpriseSettings,
      { subdomain: v.subdomain },
      (d) => d.saveEnterpriseSettings,
      {
        navigate: false,
      },
    );
    if (r.ok) {
      setJustSaved(true);
      setEditing(false);
      setChecked(null);
    } else setChecked(null);
    return r;
  });

  // A suggestion was available a moment ago: it fills the field as checked.
  const pickSuggestion = (name: string) => {
    form.setValue("subdomain", name, { shouldValidate: true });
    form.clearErrors("subdomain");
    setChecked({ name, available: true, suggestions: [] });
  };
  const siteAddress = (name: string) => `${name}.${setup.siteDomain}`;

  const startEditing = () => {
    setJustSaved(false);
    form.reset({ subdomain: savedName ?? "" });
    setEditing(true);
  };
  const cancelEditing = () => {
    form.reset({ subdomain: savedName ?? "" });
    setGeneral([]);
    setChecked(null);
    setEditing(false);
  };

  if (savedName && !editing) {
    return (
      <>
        <Status>
          <p className="ok">{t("meet.saved", { name: savedName })}</p>
        </Status>
        <dl className="facts">
          <dt>{t("meet.address")}</dt>
          <dd data-testid="saved-site">{siteAddress(savedName)}</dd>
        </dl>
        <div className="actions plain">
          <button type="button" className="secondary" onClick={startEditing}>
            {t("meet.change")}
          </button>
        </div>
        {justSaved && <span className="sr-only">{t("meet.saved", { name: savedName })}</span>}
      </>
    );
  }

  return (
    <>
      <p className="hint">{t("meet.intro")}</p>
      <form noValidate onSubmit={onSubmit}>
        <ErrorSummary
          errors={errors}
          general={general}
          labels={{ subdomain: t("meet.subdomain") }}
        />
        <TextField
          id="subdomain"
          label={t("meet.subdomain")}
          hint={t("meet.hint")}
          autoCapitalize="none"
          autoCorrect="off"
          spellCheck={false}
          autoFocus={editing}
          error={errors.subdomain}
          {...register("subdomain", { onChange: () => setChecked(null) })}
        />
        <p className="site-address" id="subdomain-address">
          {t("meet.address")}:{" "}
          <strong data-testid="site-address">{siteAddress(current || "…")}</strong>
        </p>
        {checked &&
          !checked.available &&
          checked.name === current &&
          checked.suggestions.length > 0 && (
            <div className="suggestions">
              <p id="subdomain-suggestions">{t("meet.suggestions")}</p>
              <ul aria-labelledby="subdomain-suggestions">
                {checked.suggestions.map((s) => (
                  <li key={s}>
                    <button
                      type="button"
                      className="link-button"
                      onClick={() => pickSuggestion(s)}
                      aria-label={t("meet.useSuggestion", { name: s })}
                    >
                      {s}
                    </button>
                  </li>
                ))}
              </ul>
            </div>
          )}
        <Status>
          {checking && <p>{t("meet.checking")}</p>}
          {!checking && availableNow && (
            <p className="ok">
              {isSaved
                ? t("meet.sameAsSaved", { name: current })
                : t("meet.available", { name: current })}
            </p>
          )}
        </Status>
        <div className="actions plain">
          <button type="button" className="secondary" onClick={check} disabled={checking}>
            {t("meet.check")}
          </button>
          <button type="submit" className="secondary" disabled={isSubmitting}>
            {isSubmitting ? t("common.saving") : t("meet.save")}
          </button>
          {savedName && (
            <button type="button" className="secondary" onClick={cancelEditing}>
              {t("common.cancel")}
            </button>
          )}
        </div>
      </form>
    </>
  );
}
