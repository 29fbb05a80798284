package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// codeIntrospectionDisabled refuses introspection where it is off.
const codeIntrospectionDisabled = "INTROSPECTION_DISABLED"

// NoIntrospection refuses, before execution, an operation that asks for
// __schema or __type while introspection is off (outside dev mode, unless
// --introspection): a client's choice, answered with its own code, not an
// internal error. It must come after gqlgen's Introspection extension,
// which turns introspection on.
type NoIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = NoIntrospection{}

// ExtensionName implements graphql.HandlerExtension.
func (NoIntrospection) ExtensionName() string { return "NoIntrospection" }

// Validate implements graphql.HandlerExtension.
func (NoIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (NoIntrospection) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || !oc.DisableIntrospection || !introspects(oc.Operation.SelectionSet, 0) {
		return nil
	}
	return introspectionDisabled()
}

func introspectionDisabled() *gqlerror.Error {
	e := gqlerror.Errorf("Introspection is disabled on this server.")
	e.Extensions = map[string]any{"code": codeIntrospectionDisabled}
	return e
}

// introspects reports whether set selects __schema or __type anywhere.
func introspects(set ast.SelectionSet, depth int) bool {
	if depth > 32 {
		return false // the depth limit refuses deeper selections
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" || introspects(s.SelectionSet, depth+1) {
				return true
			}
		case *ast.InlineFragment:
			if introspects(s.SelectionSet, depth+1) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && introspects(s.Definition.SelectionSet, depth+1) {
				return true
			}
		}
	}
	return false
}
