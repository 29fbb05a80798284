// Package date is the calendar date of the GraphQL Date scalar ("2026-11-24"),
// stored as its ISO text so it sorts and compares correctly in every database.
package date

import (
	"database/sql/driver"
	"fmt"
	"io"
	"strconv"
	"time"

	"onramp/internal/validate"
)

const layout = "2006-01-02"

// Date is a calendar date in ISO 8601 form. The zero value is "".
type Date string

// Parse checks s and returns it as a Date.
func Parse(s string) (Date, error) {
	t, err := time.Parse(layout, s)
	if err != nil {
		return "", fmt.Errorf("%q is not a date of the form 2026-11-24", s)
	}
	return Date(t.Format(layout)), nil
}

// Of returns the date of t in t's location.
func Of(t time.Time) Date { return Date(t.Format(layout)) }

// Time returns the start of the date in loc.
func (d Date) Time(loc *time.Location) time.Time {
	t, _ := time.ParseInLocation(layout, string(d), loc)
	return t
}

// AddDays returns the date n days after d.
func (d Date) AddDays(n int) Date { return Of(d.Time(time.UTC).AddDate(0, 0, n)) }

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d < o }

// String returns the ISO form.
func (d Date) String() string { return string(d) }

// MarshalGQL writes the date as a GraphQL string.
func (d Date) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(d))) }

// UnmarshalGQL reads a date, refusing anything that is not YYYY-MM-DD.
func (d *Date) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return validate.BadInput("a date must be a string such as \"2026-11-24\"")
	}
	p, err := Parse(s)
	if err != nil {
		return validate.BadInput("%s", err.Error())
	}
	*d = p
	return nil
}

// Scan implements sql.Scanner.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*d = Date(v)
	case []byte:
		*d = Date(v)
	case time.Time:
		*d = Of(v.UTC())
	case nil:
		*d = ""
	default:
		return fmt.Errorf("date: cannot scan %T", src)
	}
	return nil
}

// Value implements driver.Valuer.
func (d Date) Value() (driver.Value, error) { return string(d), nil }
