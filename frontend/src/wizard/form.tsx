import { useState } from "react";
import {
  useForm,
  type DefaultValues,
  type FieldErrors,
  type FieldValues,
  type UseFormRegister,
} from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import type { z } from "zod";
import { useI18n } from "../i18n/I18n";
import { applyServerErrors, TextField } from "./components";
import type { RunResult } from "./WizardContext";

/**
 * A step's form: zod validation on submit, then the mutation; its
 * userErrors go to their fields (and the summary), the others to the
 * summary.
 */
export function useStepForm<TIn extends FieldValues, TOut>(
  schema: z.ZodType<TOut, TIn>,
  defaultValues: DefaultValues<TIn>,
  known: readonly string[],
) {
  const { t } = useI18n();
  const form = useForm<TIn, unknown, TOut>({
    resolver: zodResolver(schema as never) as never,
    defaultValues,
    mode: "onSubmit",
    reValidateMode: "onChange",
  });
  const [general, setGeneral] = useState<string[]>([]);
  const submit = (fn: (values: TOut) => Promise<RunResult | void>) =>
    form.handleSubmit(async (values) => {
      setGeneral([]);
      const r = await fn(values);
      if (r && !r.ok) setGeneral(applyServerErrors(form, r.userErrors, known, t, r.failure));
    });
  return { form, general, setGeneral, submit };
}

export type Address = {
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  region?: string | null;
};

/** Address values for a form from an API address. */
export function addressDefaults(a?: Address | null) {
  return {
    line1: a?.line1 ?? "",
    line2: a?.line2 ?? "",
    city: a?.city ?? "",
    postalCode: a?.postalCode ?? "",
    region: a?.region ?? "",
  };
}

/** An address for the API: empty optional lines are left out. */
export function addressInput(a: {
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  region?: string;
}) {
  return {
    line1: a.line1,
    line2: a.line2 ? a.line2 : null,
    city: a.city,
    postalCode: a.postalCode,
    region: a.region ? a.region : null,
  };
}

export const addressFieldNames = [
  "address.line1",
  "address.line2",
  "address.city",
  "address.postalCode",
  "address.region",
] as const;

/** The labels of form fields, for the error summary. */
export function useLabels(extra: Record<string, string> = {}): Record<string, string> {
  const { t } = useI18n();
  return {
    name: t("org.name"),
    country: t("org.country"),
    email: t("customerAdmin.email"),
    "address.line1": t("address.line1"),
    "address.line2": t("address.line2"),
    "address.city": t("address.city"),
    "address.postalCode": t("address.postalCode"),
    "address.region": t("address.region"),
    ...extra,
  };
}

/** The fields of an address (names address.*), in a fieldset. */
export function AddressFields({
  register,
  errors,
  legend,
  idPrefix,
}: {
  // The address part of any form: names address.line1 and so on.
  register: UseFormRegister<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  errors?: FieldErrors<{
    line1: string;
    line2: string;
    city: string;
    postalCode: string;
    region: string;
  }>;
  legend: string;
  idPrefix: string;
}) {
  const { t } = useI18n();
  return (
    <fieldset className="address">
      <legend>{legend}</legend>
      <TextField
        id={`${idPrefix}-line1`}
        label={t("address.line1")}
        autoComplete="address-line1"
        error={errors?.line1}
        {...register("address.line1")}
      />
      <TextField
        id={`${idPrefix}-line2`}
        label={t("address.line2")}
        optional
        autoComplete="address-line2"
        error={errors?.line2}
        {...register("address.line2")}
      />
      <div className="row">
        <TextField
          id={`${idPrefix}-postal`}
          label={t("address.postalCode")}
          autoComplete="postal-code"
          error={errors?.postalCode}
          {...register("address.postalCode")}
        />
        <TextField
          id={`${idPrefix}-city`}
          label={t("address.city")}
          autoComplete="address-level2"
          error={errors?.city}
          {...register("address.city")}
        />
      </div>
      <TextField
        id={`${idPrefix}-region`}
        label={t("address.region")}
        optional
        autoComplete="address-level1"
        error={errors?.region}
        {...register("address.region")}
      />
    </fieldset>
  );
}
