import { forwardRef, useId, useMemo, useRef, useState, type KeyboardEvent } from "react";
import type { FieldError } from "react-hook-form";
import { useI18n } from "../i18n/I18n";
import { useMessage } from "./components";
import type { PickerOption } from "./places";

/** Lower case without accents, so "srb" finds "Srbija" and "cesk" finds "Česko". */
export function fold(s: string): string {
  return s.normalize("NFD").replace(/\p{M}/gu, "").replace(/đ/gi, "dj").toLowerCase();
}

/** The options whose label, group or keywords contain every word of query. */
export function filterOptions(options: PickerOption[], query: string): PickerOption[] {
  const words = fold(query)
    .split(/[\s/,]+/)
    .filter(Boolean);
  if (words.length === 0) return options;
  const scored: { o: PickerOption; starts: boolean }[] = [];
  for (const o of options) {
    const label = fold(o.label);
    const hay = `${label} ${fold(o.group ?? "")} ${fold(o.keywords ?? "")} ${fold(o.value)}`;
    if (words.every((w) => hay.includes(w))) scored.push({ o, starts: label.startsWith(words[0]) });
  }
  // Names that start with what was typed come first, in their order.
  return [...scored.filter((s) => s.starts), ...scored.filter((s) => !s.starts)].map((s) => s.o);
}

interface PickerProps {
  id: string;
  label: string;
  hint?: string;
  error?: FieldError;
  options: PickerOption[];
  value: string;
  onChange: (value: string) => void;
  onBlur?: () => void;
  name?: string;
}

/**
 * A searchable list (the ARIA combobox pattern): type to filter, arrows to
 * move, Enter to choose, Escape to close. The text shows the chosen
 * option's name; leaving the field without choosing keeps the last choice.
 */
export const Picker = forwardRef<HTMLInputElement, PickerProps>(function Picker(
  { id, label, hint, error, options, value, onChange, onBlur, name },
  ref,
) {
  const { t } = useI18n();
  const message = useMessage();
  const listId = `${id}-list`;
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const countId = useId();
  const selected = options.find((o) => o.value === value);
  const [query, setQuery] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const listRef = useRef<HTMLDivElement>(null);
  const shown = useMemo(
    () => (query === null ? options : filterOptions(options, query)),
    [options, query],
  );

  const choose = (o: PickerOption) => {
    onChange(o.value);
    setQuery(null);
    setOpen(false);
  };
  const openAt = (i: number) => {
    setOpen(true);
    setActive(i);
    requestAnimationFrame(() =>
      listRef.current?.querySelector(`[data-index="${i}"]`)?.scrollIntoView({ block: "nearest" }),
    );
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    switch (e.key) {
      case "ArrowDown":
        e.preventDefault();
        if (!open)
          openAt(Math.max(0, query === null ? shown.findIndex((o) => o.value === value) : 0));
        else openAt(Math.min(shown.length - 1, active + 1));
        break;
      case "ArrowUp":
        e.preventDefault();
        openAt(Math.max(0, active - 1));
        break;
      case "Enter":
        if (open && shown[active]) {
          e.preventDefault();
          choose(shown[active]);
        }
        break;
      case "Escape":
        if (open || query !== null) {
          e.preventDefault();
          setQuery(null);
          setOpen(false);
        }
        break;
    }
  };

  // Options under their group's heading, in list order.
  const groups: { heading?: string; items: { o: PickerOption; i: number }[] }[] = [];
  shown.forEach((o, i) => {
    const last = groups[groups.length - 1];
    if (last && last.heading === o.group) last.items.push({ o, i });
    else groups.push({ heading: o.group, items: [{ o, i }] });
  });
  const option = ({ o, i }: { o: PickerOption; i: number }) => (
    <div
      key={o.value}
      id={`${id}-opt-${o.value}`}
      data-index={i}
      role="option"
      aria-selected={o.value === value}
      className={i === active ? "picker-option active" : "picker-option"}
      onMouseDown={(e) => {
        e.preventDefault();
        choose(o);
      }}
    >
      <span>{o.label}</span>
      {o.detail && <span className="picker-detail">{o.detail}</span>}
    </div>
  );

  return (
    <div className={`field picker${error ? " field-invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
      <div className="picker-box">
        <input
          ref={ref}
          id={id}
          name={name}
          type="text"
          role="combobox"
          autoComplete="off"
          spellCheck={false}
          aria-autocomplete="list"
          aria-expanded={open}
          aria-controls={listId}
          aria-activedescendant={
            open && shown[active] ? `${id}-opt-${shown[active].value}` : undefined
          }
          aria-invalid={error ? true : undefined}
          aria-required
          aria-describedby={[errorId, hintId, countId].filter(Boolean).join(" ")}
          value={query ?? (selected ? selected.label : value)}
          onChange={(e) => {
            setQuery(e.target.value);
            setOpen(true);
            setActive(0);
          }}
          onFocus={(e) => e.target.select()}
          onClick={() => setOpen(true)}
          onKeyDown={onKeyDown}
          onBlur={() => {
            // A typed name that matches one option exactly is that option.
            if (query !== null) {
              const exact = options.find(
                (o) =>
                  fold(o.label) === fold(query.trim()) ||
                  o.value.toLowerCase() === query.trim().toLowerCase(),
              );
              if (exact) onChange(exact.value);
            }
            setQuery(null);
            setOpen(false);
            onBlur?.();
          }}
        />
        {selected?.detail && query === null && (
          <span className="picker-detail" aria-hidden="true">
            {selected.detail}
          </span>
        )}
        <div
          id={listId}
          role="listbox"
          aria-label={t("picker.listOf", { label })}
          ref={listRef}
          className="picker-list"
          hidden={!open}
        >
          {groups.map((g, gi) =>
            g.heading === undefined ? (
              g.items.map(option)
            ) : (
              <div key={`g-${g.heading}-${gi}`} role="group" aria-labelledby={`${id}-g-${gi}`}>
                <div id={`${id}-g-${gi}`} className="picker-group" role="presentation">
                  {g.heading}
                </div>
                {g.items.map(option)}
              </div>
            ),
          )}
          {shown.length === 0 && (
            <div className="picker-empty" role="presentation">
              {t("picker.none")}
            </div>
          )}
        </div>
      </div>
      <span id={countId} className="sr-only" aria-live="polite">
        {open ? t("picker.count", { n: String(shown.length) }) : ""}
      </span>
      {error && (
        <p id={errorId} className="field-error">
          {message(error.message)}
        </p>
      )}
    </div>
  );
});
