import { Link, Outlet } from "react-router";
import { languages, useI18n, type Lang } from "./i18n/I18n";

/** Header with the language switcher; the pages render their own <main>. */
export function Shell() {
  const { t } = useI18n();
  return (
    <>
      <a className="skip" href="#main">
        {t("app.skip")}
      </a>
      <header className="top">
        <Link to="/" className="brand">
          <span className="logo" aria-hidden="true">
            ◆
          </span>{" "}
          {t("app.name")} <span className="tagline">{t("app.tagline")}</span>
        </Link>
        <LanguageSwitcher />
      </header>
      <Outlet />
    </>
  );
}

export function LanguageSwitcher() {
  const { t, lang, setLang } = useI18n();
  return (
    <div className="lang" role="group" aria-label={t("lang.label")}>
      {languages.map((l: Lang) => (
        <button
          key={l}
          type="button"
          lang={l === "sr" ? "sr-Latn" : "en"}
          aria-pressed={lang === l}
          onClick={() => setLang(l)}
        >
          {t(`lang.${l}`)}
        </button>
      ))}
    </div>
  );
}
