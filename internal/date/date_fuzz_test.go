package date

import (
	"errors"
	"strings"
	"testing"
	"time"

	"onramp/internal/validate"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"2026-11-24", "2024-02-29", "2026-02-29", "2026-02-30", "2026-13-01", "2026-00-10", "0000-01-01",
		"9999-12-31", "2026-1-24", "26-11-24", "2026-11-24T00:00:00Z", " 2026-11-24", "2026/11/24",
		"+2026-11-24", "2026-11-2\u0664", "", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			if d != "" || !strings.Contains(err.Error(), "is not a date of the form") {
				t.Fatalf("Parse(%q) = %q, %v: want no date and a clear error", s, d, err)
			}
			var out Date
			uerr := out.UnmarshalGQL(s)
			var inputErr *validate.InputError
			if !errors.As(uerr, &inputErr) || out != "" {
				t.Fatalf("UnmarshalGQL(%q) = %q, %v: want a BAD_USER_INPUT error", s, out, uerr)
			}
			return
		}
		// A date is accepted only in its canonical form: it reads back as
		// itself, its time is midnight UTC of that day, and (within the
		// years of four digits) a day later and back is the same date.
		if string(d) != s {
			t.Fatalf("Parse(%q) = %q: accepted a non-canonical form", s, d)
		}
		if s < "0001-01-02" || s > "9999-12-30" {
			return
		}
		tm := d.Time(time.UTC)
		if Of(tm) != d {
			t.Fatalf("Parse(%q): Time = %v, Of(Time) = %q", s, tm, Of(tm))
		}
		if got := d.AddDays(1).AddDays(-1); got != d {
			t.Fatalf("%q + 1 day - 1 day = %q", d, got)
		}
		if !d.Before(d.AddDays(1)) || !d.AddDays(-1).Before(d) {
			t.Fatalf("%q is not before %q", d, d.AddDays(1))
		}
	})
}
