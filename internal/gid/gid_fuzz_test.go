package gid

import (
	"strings"
	"testing"
)

func FuzzID(f *testing.F) {
	f.Add(string(New(Order)))
	f.Add(string(New(Organization)))
	for _, s := range []string{
		"", "ord_", "ord", "_", "ord_01JD3Q7Z5W8M2K4T6V9X0Y1Z2A", "ord_81jd3q7z5w8m2k4t6v9x0y1z2a",
		"ord_01jd3q7z5w8m2k4t6v9x0y1z2", "ord_01jd3q7z5w8m2k4t6v9x0y1z2ab", "ord_01jd3q7z5w8m2k4t6v9x0y1z2u",
		"x_y_01jd3q7z5w8m2k4t6v9x0y1z2a", "../../etc_01jd3q7z5w8m2k4t6v9x0y1z2a", "ord_01jd3q7z5w8m2k4t6v9x0y1z\u017f",
		strings.Repeat("a", 65), "\xff_\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var id ID
		if err := id.UnmarshalGQL(s); err != nil {
			if len(s) <= 64 || id != "" {
				t.Fatalf("UnmarshalGQL(%q) = %q, %v", s, id, err)
			}
			return
		}
		if string(id) != s {
			t.Fatalf("UnmarshalGQL(%q) = %q", s, id)
		}
		p := id.Prefix()
		tbl, err := Table(id)
		if p == "" {
			if err == nil {
				t.Fatalf("Table(%q) = %q for a malformed id", s, tbl)
			}
			return
		}
		// A well-formed id: the prefix is what comes before the first
		// underscore, and a table exists only for the known prefixes.
		if !strings.HasPrefix(s, p+"_") || len(s) != len(p)+1+26 {
			t.Fatalf("Prefix(%q) = %q", s, p)
		}
		if _, known := tables[p]; known != (err == nil) {
			t.Fatalf("Table(%q) = %q, %v with prefix %q", s, tbl, err, p)
		}
	})
}
