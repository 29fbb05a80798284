import { describe, expect, test } from "vitest";
import { en } from "./en";
import { sr } from "./sr";
import { format, translator } from "./I18n";

const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();

describe("dictionaries", () => {
  test("Serbian translates every string, with the same placeholders", () => {
    const same = new Set([
      "app.name",
      "lang.en",
      "lang.sr",
      "dialog.line",
      "partner.col.status",
      "playground.title",
    ]);
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(sr[key], key).toBeTruthy();
      expect(placeholders(sr[key]), key).toEqual(placeholders(en[key]));
      if (!same.has(key) && en[key].length > 3)
        expect(sr[key], `${key} is not translated`).not.toBe(en[key]);
    }
    expect(Object.keys(sr).sort()).toEqual(Object.keys(en).sort());
  });

  test("formats placeholders", () => {
    expect(format("Hello {name}, {name}!", { name: "Ana" })).toBe("Hello Ana, Ana!");
    expect(translator("sr")("handoff.body", { email: "a@b.rs" })).toContain("a@b.rs");
  });
});
