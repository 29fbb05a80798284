import { useMemo } from "react";
import {
  useController,
  type Control,
  type FieldError,
  type FieldValues,
  type Path,
} from "react-hook-form";
import { useI18n } from "../i18n/I18n";
import type { Key } from "../i18n/en";
import { Picker } from "./Picker";
import { countryOptions, timeZoneOptions } from "./places";

interface FieldProps<T extends FieldValues> {
  control: Control<T, unknown, unknown>;
  name: Path<T>;
  id: string;
  label: string;
  hint?: string;
  error?: FieldError;
}

/** A country by its name in the page's language (English names and codes also match); the value is the ISO code. */
export function CountryField<T extends FieldValues>({ control, name, ...rest }: FieldProps<T>) {
  const { locale } = useI18n();
  const options = useMemo(() => countryOptions(locale), [locale]);
  const { field } = useController({ control, name });
  return (
    <Picker
      {...rest}
      ref={field.ref}
      name={field.name}
      options={options}
      value={String(field.value ?? "").toUpperCase()}
      onChange={field.onChange}
      onBlur={field.onBlur}
    />
  );
}

/** A time zone by its current IANA name, grouped by region, with its UTC offset now. */
export function TimeZoneField<T extends FieldValues>({ control, name, ...rest }: FieldProps<T>) {
  const { t } = useI18n();
  const { field } = useController({ control, name });
  const value = String(field.value ?? "");
  const options = useMemo(() => timeZoneOptions((r) => t(`tz.${r}` as Key), [value]), [t, value]);
  return (
    <Picker
      {...rest}
      ref={field.ref}
      name={field.name}
      options={options}
      value={value}
      onChange={field.onChange}
      onBlur={field.onBlur}
    />
  );
}
