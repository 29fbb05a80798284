// Countries and time zones for the pickers: names from the browser's
// Intl (ISO 3166 region names in the page's language), current IANA zone
// names grouped by region.

/** ISO 3166-1 alpha-2 codes: the list the server accepts (internal/validate/countries.go). */
export const countryCodes = (
  "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS " +
  "BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE " +
  "EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM " +
  "HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC " +
  "LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA " +
  "NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
  "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO " +
  "TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"
).split(" ");

export interface PickerOption {
  value: string;
  label: string;
  /** A heading the option is listed under. */
  group?: string;
  /** Other words a search may match (the code, the English name, an offset). */
  keywords?: string;
  /** Shown after the label, quieter. */
  detail?: string;
}

/** Every country, named in locale (with the English name and the code searchable), sorted by name. */
export function countryOptions(locale: string): PickerOption[] {
  const names = displayNames(locale);
  const english = displayNames("en");
  const collator = new Intl.Collator(locale);
  return countryCodes
    .map((code) => {
      const label = names?.of(code) ?? code;
      return { value: code, label, detail: code, keywords: `${code} ${english?.of(code) ?? ""}` };
    })
    .sort((a, b) => collator.compare(a.label, b.label));
}

function displayNames(locale: string): Intl.DisplayNames | null {
  try {
    return new Intl.DisplayNames([locale, "en"], { type: "region" });
  } catch {
    return null;
  }
}

/**
 * Old IANA names that browsers still list (CLDR keeps the first spelling),
 * with the names the tz database uses now.
 */
const renamed: Record<string, string> = {
  "Asia/Calcutta": "Asia/Kolkata",
  "Asia/Katmandu": "Asia/Kathmandu",
  "Asia/Rangoon": "Asia/Yangon",
  "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Europe/Kiev": "Europe/Kyiv",
  "Europe/Uzhgorod": "Europe/Kyiv",
  "Europe/Zaporozhye": "Europe/Kyiv",
  "Atlantic/Faeroe": "Atlantic/Faroe",
  "America/Godthab": "America/Nuuk",
  "Pacific/Enderbury": "Pacific/Kanton",
  "Pacific/Truk": "Pacific/Chuuk",
  "Pacific/Ponape": "Pacific/Pohnpei",
  "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
  "America/Catamarca": "America/Argentina/Catamarca",
  "America/Cordoba": "America/Argentina/Cordoba",
  "America/Jujuy": "America/Argentina/Jujuy",
  "America/Mendoza": "America/Argentina/Mendoza",
  "America/Indianapolis": "America/Indiana/Indianapolis",
  "America/Louisville": "America/Kentucky/Louisville",
  "Australia/Canberra": "Australia/Sydney",
  "Asia/Choibalsan": "Asia/Ulaanbaatar",
};

/** The current name of an IANA zone. */
export function currentZoneName(zone: string): string {
  return renamed[zone] ?? zone;
}

const regions = new Set([
  "Africa",
  "America",
  "Antarctica",
  "Arctic",
  "Asia",
  "Atlantic",
  "Australia",
  "Europe",
  "Indian",
  "Pacific",
]);

/** The zone's UTC offset now, as "UTC+01:00". */
export function utcOffset(zone: string, at = new Date()): string {
  try {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      timeZoneName: "longOffset",
    }).formatToParts(at);
    const name = parts.find((p) => p.type === "timeZoneName")?.value ?? "GMT";
    return name === "GMT" ? "UTC+00:00" : name.replace("GMT", "UTC");
  } catch {
    return "";
  }
}

/** IANA zones the browser knows, by their current names, with UTC. */
export function timeZones(): string[] {
  let zones: string[];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    zones = ["Europe/Belgrade", "Europe/London", "America/New_York"];
  }
  const all = new Set(zones.map(currentZoneName).filter((z) => regions.has(z.split("/")[0])));
  return ["UTC", ...Array.from(all).sort()];
}

/**
 * Time zones as picker options: grouped by region (translated by the
 * caller's regionLabel), the city as the label and the offset as detail.
 */
export function timeZoneOptions(
  regionLabel: (region: string) => string,
  extra: string[] = [],
): PickerOption[] {
  const zones = timeZones();
  for (const z of extra) if (z && !zones.includes(z)) zones.push(z);
  const formerly: Record<string, string> = {};
  for (const [old, now] of Object.entries(renamed))
    formerly[now] = `${formerly[now] ?? ""} ${old.split("/").pop()!.replace(/_/g, " ")}`;
  return zones.map((z) => {
    const offset = utcOffset(z);
    if (!z.includes("/"))
      return { value: z, label: z, group: regionLabel("UTC"), detail: offset, keywords: z };
    const [region, ...rest] = z.split("/");
    const city = rest.join(" / ").replace(/_/g, " ");
    // A former name (Kiev, Calcutta) still finds the zone under its current one.
    return {
      value: z,
      label: city,
      group: regionLabel(region),
      detail: offset,
      keywords: `${z} ${offset}${formerly[z] ?? ""}`,
    };
  });
}

/**
 * The time zone a country most likely uses: the browser's list for that
 * region (its first, most populous zone), then the browser's own zone.
 */
export function zoneOfCountry(country: string, fallback: () => string): string {
  try {
    const loc = new Intl.Locale("und", { region: country.toUpperCase() }) as Intl.Locale & {
      getTimeZones?: () => string[] | undefined;
      timeZones?: string[];
    };
    const zones = loc.getTimeZones?.() ?? loc.timeZones;
    if (zones && zones.length > 0) return currentZoneName(zones[0]);
  } catch {
    /* an unknown region */
  }
  return fallback();
}
