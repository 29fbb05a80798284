import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from "react";
import { en, type Key } from "./en";
import { sr } from "./sr";

export type Lang = "en" | "sr";
export const languages: Lang[] = ["en", "sr"];

const dictionaries: Record<Lang, Record<Key, string>> = { en, sr };
const storageKey = "onramp.lang";

export type Vars = Record<string, string | number>;
export type T = (key: Key, vars?: Vars) => string;

/** Fills "{name}" placeholders. */
export function format(text: string, vars?: Vars): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export function translator(lang: Lang): T {
  const dict = dictionaries[lang];
  return (key, vars) => format(dict[key] ?? en[key] ?? key, vars);
}

export function isKey(s: string): s is Key {
  return Object.prototype.hasOwnProperty.call(en, s);
}

/** The BCP 47 locale used for dates and names of countries and languages. */
export function locale(lang: Lang): string {
  return lang === "sr" ? "sr-Latn-RS" : "en-GB";
}

interface I18nValue {
  lang: Lang;
  /** The person's choice: remembered, and it wins over the order's language. */
  setLang: (lang: Lang) => void;
  /** A default (the order's language) used until the person chooses. */
  suggestLang: (lang: string) => void;
  /** How many times the person chose a language on this page (0: not yet). */
  choices: number;
  t: T;
  locale: string;
}

const I18nContext = createContext<I18nValue | null>(null);

function stored(): Lang | null {
  try {
    const v = localStorage.getItem(storageKey);
    return v === "en" || v === "sr" ? v : null;
  } catch {
    return null;
  }
}

function initial(): Lang {
  const s = stored();
  if (s) return s;
  const nav = typeof navigator !== "undefined" ? navigator.language.toLowerCase() : "en";
  return nav.startsWith("sr") ? "sr" : "en";
}

export function I18nProvider({ children, lang: fixed }: { children: ReactNode; lang?: Lang }) {
  const [lang, setLangState] = useState<Lang>(() => fixed ?? initial());
  const [choices, setChoices] = useState(0);

  const setLang = useCallback((l: Lang) => {
    try {
      localStorage.setItem(storageKey, l);
    } catch {
      /* storage may be unavailable: the choice lasts for the page */
    }
    setLangState(l);
    setChoices((n) => n + 1);
  }, []);

  const suggestLang = useCallback((l: string) => {
    if (stored() === null && (l === "en" || l === "sr")) setLangState(l);
  }, []);

  useEffect(() => {
    document.documentElement.lang = lang === "sr" ? "sr-Latn" : "en";
  }, [lang]);

  const value = useMemo<I18nValue>(
    () => ({ lang, setLang, suggestLang, choices, t: translator(lang), locale: locale(lang) }),
    [lang, setLang, suggestLang, choices],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const v = useContext(I18nContext);
  if (!v) throw new Error("useI18n outside I18nProvider");
  return v;
}

/** Formatting helpers bound to the current language. */
export function useFormat() {
  const { locale: loc } = useI18n();
  return useMemo(() => {
    const regions = safeDisplayNames(loc, "region");
    const langs = safeDisplayNames(loc, "language");
    return {
      country: (code: string) => regions?.of(code.toUpperCase()) ?? code,
      language: (code: string) => langs?.of(code.replace("_", "-")) ?? code,
      date: (iso: string) => {
        const d = new Date(iso.length === 10 ? iso + "T00:00:00" : iso);
        return isNaN(d.getTime())
          ? iso
          : d.toLocaleDateString(loc, { year: "numeric", month: "short", day: "numeric" });
      },
      dateTime: (iso: string) => {
        const d = new Date(iso);
        return isNaN(d.getTime())
          ? iso
          : d.toLocaleString(loc, {
              year: "numeric",
              month: "short",
              day: "numeric",
              hour: "2-digit",
              minute: "2-digit",
            });
      },
    };
  }, [loc]);
}

function safeDisplayNames(loc: string, type: "region" | "language"): Intl.DisplayNames | null {
  try {
    return new Intl.DisplayNames([loc, "en"], { type });
  } catch {
    return null;
  }
}
