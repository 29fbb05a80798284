// Sensible first values for the call settings, from the customer's country.
import { currentZoneName, zoneOfCountry } from "./places";

const zoneByCountry: Record<string, string> = {
  RS: "Europe/Belgrade",
  HR: "Europe/Zagreb",
  SI: "Europe/Ljubljana",
  BA: "Europe/Sarajevo",
  ME: "Europe/Podgorica",
  MK: "Europe/Skopje",
  DE: "Europe/Berlin",
  AT: "Europe/Vienna",
  CH: "Europe/Zurich",
  GB: "Europe/London",
  IE: "Europe/Dublin",
  FR: "Europe/Paris",
  IT: "Europe/Rome",
  ES: "Europe/Madrid",
  PT: "Europe/Lisbon",
  NL: "Europe/Amsterdam",
  BE: "Europe/Brussels",
  HU: "Europe/Budapest",
  RO: "Europe/Bucharest",
  BG: "Europe/Sofia",
  GR: "Europe/Athens",
  PL: "Europe/Warsaw",
  CZ: "Europe/Prague",
  SK: "Europe/Bratislava",
  SE: "Europe/Stockholm",
  NO: "Europe/Oslo",
  DK: "Europe/Copenhagen",
  FI: "Europe/Helsinki",
  TR: "Europe/Istanbul",
  US: "America/New_York",
  CA: "America/Toronto",
  BR: "America/Sao_Paulo",
  JP: "Asia/Tokyo",
  KR: "Asia/Seoul",
  CN: "Asia/Shanghai",
  TW: "Asia/Taipei",
  AU: "Australia/Sydney",
  UA: "Europe/Kyiv",
  RU: "Europe/Moscow",
  IN: "Asia/Kolkata",
  MX: "America/Mexico_City",
  ID: "Asia/Jakarta",
  NZ: "Pacific/Auckland",
  AR: "America/Argentina/Buenos_Aires",
  CL: "America/Santiago",
};

const languageByCountry: Record<string, string> = {
  RS: "sr_RS",
  HR: "hr_HR",
  SI: "sl_SI",
  DE: "de_DE",
  AT: "de_DE",
  CH: "de_DE",
  GB: "en_GB",
  IE: "en_GB",
  FR: "fr_FR",
  IT: "it_IT",
  ES: "es_ES",
  PT: "pt_PT",
  BR: "pt_BR",
  NL: "nl_NL",
  PL: "pl_PL",
  CZ: "cs_CZ",
  HU: "hu_HU",
  RO: "ro_RO",
  BG: "bg_BG",
  GR: "el_GR",
  TR: "tr_TR",
  SE: "sv_SE",
  DK: "da_DK",
  NO: "nb_NO",
  FI: "fi_FI",
  UA: "uk_UA",
  JP: "ja_JP",
  KR: "ko_KR",
  CN: "zh_CN",
  TW: "zh_TW",
};

/** The zone a country's calls most likely use: a known main zone, else the browser's data for the region. */
export function defaultTimeZone(country: string): string {
  const z = zoneByCountry[country.toUpperCase()];
  if (z) return z;
  return zoneOfCountry(country, () => {
    const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return local && (local.includes("/") || local === "UTC") ? currentZoneName(local) : "UTC";
  });
}

export function defaultLanguage(country: string): string {
  return languageByCountry[country.toUpperCase()] ?? "en_US";
}
