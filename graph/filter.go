package graph

import (
	"context"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// codeFilterTooDeep refuses a where-input nested deeper than the limit.
const codeFilterTooDeep = "FILTER_TOO_DEEP"

// filterCost prices a where-input for the complexity limit: one per
// predicate and one per value of a list (an "in" of a thousand ids costs a
// thousand), through `not`, `and` and `or`. Without it a filter of thousands of
// predicates cost nothing and ran for as long as the database took.
func filterCost(where any) int {
	return costOf(reflect.ValueOf(where))
}

func costOf(v reflect.Value) int {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return 0
		}
		if isWhereInput(v.Type().Elem()) {
			return costOf(v.Elem())
		}
		return 1
	case reflect.Struct:
		n := 0
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				n += costOf(v.Field(i))
			}
		}
		return n
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Pointer && isWhereInput(v.Type().Elem().Elem()) {
			n := 0
			for i := range v.Len() {
				n += costOf(v.Index(i))
			}
			return n
		}
		return v.Len()
	case reflect.Bool:
		if v.Bool() {
			return 1
		}
	default: // a scalar leaf (string, enum, number) of a predicate costs nothing more
	}
	return 0
}

func isWhereInput(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && strings.HasSuffix(t.Name(), "WhereInput")
}

// FilterDepth refuses, before execution, a where argument nested deeper
// than Max (not, and, or inside one another): the databases refuse
// expressions nested past their own limits, which would come back as an
// internal error after the work had begun.
type FilterDepth struct{ Max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = FilterDepth{}

// ExtensionName implements graphql.HandlerExtension.
func (FilterDepth) ExtensionName() string { return "FilterDepth" }

// Validate implements graphql.HandlerExtension.
func (FilterDepth) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (d FilterDepth) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if deepest := d.filters(oc, oc.Operation.SelectionSet, 0); deepest > d.Max {
		e := gqlerror.Errorf("a filter (where) is nested deeper than the limit of %d", d.Max)
		e.Extensions = map[string]any{"code": codeFilterTooDeep}
		return e
	}
	return nil
}

// filters returns the deepest nesting of the where arguments in set.
func (d FilterDepth) filters(oc *graphql.OperationContext, set ast.SelectionSet, level int) int {
	if level > 32 {
		return 0 // the depth limit refuses deeper selections
	}
	deepest := 0
	for _, sel := range set {
		var sub ast.SelectionSet
		switch s := sel.(type) {
		case *ast.Field:
			if arg := s.Arguments.ForName("where"); arg != nil {
				if v, err := arg.Value.Value(oc.Variables); err == nil {
					deepest = max(deepest, nesting(v, d.Max+1))
				}
			}
			sub = s.SelectionSet
		case *ast.InlineFragment:
			sub = s.SelectionSet
		case *ast.FragmentSpread:
			if s.Definition != nil {
				sub = s.Definition.SelectionSet
			}
		}
		deepest = max(deepest, d.filters(oc, sub, level+1))
	}
	return deepest
}

// nesting returns how deep `not`, `and` and `or` nest in a where value, giving
// up past limit.
func nesting(v any, limit int) int {
	if limit <= 0 {
		return 1
	}
	deepest := 0
	switch w := v.(type) {
	case map[string]any:
		for k, sub := range w {
			if k == "not" || k == "and" || k == "or" {
				deepest = max(deepest, nesting(sub, limit-1))
			}
		}
		return deepest + 1
	case []any:
		for _, sub := range w {
			deepest = max(deepest, nesting(sub, limit)-1)
		}
		return deepest + 1
	}
	return 0
}
