package graph

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"onramp/graph/model"
	"onramp/internal/auth"
	"onramp/internal/setup"
	"onramp/internal/store"
	"onramp/internal/validate"
)

// Codes of top-level errors besides auth's.
const (
	CodeInternal   = "INTERNAL"
	CodeBadRequest = "BAD_USER_INPUT"
	// CodeTimeout: the request ran past its time limit and was stopped.
	CodeTimeout = "REQUEST_TIMEOUT"
)

// internalMessage is all a caller learns of an internal failure.
const internalMessage = "Internal error. It was logged; please try again later."

// ErrorPresenter maps errors to GraphQL errors with extensions.code. Errors
// about the caller's right to act keep their message and reason; gqlgen's own
// parse, validation and complexity errors pass (without "Did you mean"
// suggestions unless suggest is set); everything else is logged and shown as
// a generic INTERNAL error that leaks no SQL, path or stack.
func ErrorPresenter(log *slog.Logger, suggest bool) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		if authErr, ok := errors.AsType[*auth.Error](err); ok {
			e := gqlerror.WrapPath(graphql.GetPath(ctx), err)
			e.Message = authErr.Message
			e.Extensions = map[string]any{"code": authErr.Code}
			if authErr.Reason != "" {
				e.Extensions["reason"] = authErr.Reason
			}
			return e
		}
		if failure, ok := errors.AsType[*validate.Failure](err); ok {
			e := gqlerror.WrapPath(graphql.GetPath(ctx), err)
			e.Extensions = map[string]any{"code": failure.Problems[0].Code}
			return e
		}
		if _, ok := errors.AsType[*validate.InputError](err); ok {
			e := gqlerror.WrapPath(graphql.GetPath(ctx), err)
			e.Extensions = map[string]any{"code": CodeBadRequest}
			return e
		}
		if argumentError(ctx) {
			msg := err.Error()
			if strings.Contains(msg, "cursor") {
				msg = "malformed cursor" // rather than the decoder's internals
			}
			e := gqlerror.ErrorPathf(graphql.GetPath(ctx), "%s", msg)
			e.Extensions = map[string]any{"code": CodeBadRequest}
			return e
		}
		// gqlgen's own parse, validation and limit errors wrap nothing.
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			// gqlgen quotes an undecodable body whole (up to the body
			// limit, a token included): the decoder's reason is enough.
			if msg, _, cut := strings.Cut(gqlErr.Message, " body:"); cut &&
				strings.HasPrefix(msg, "json request body could not be decoded") {
				gqlErr.Message = msg
			}
			if !suggest {
				// gqlgen's SetDisableSuggestion covers unknown fields only;
				// arguments, enum values and input fields still suggest
				// the names that exist.
				gqlErr.Message = suggestion.ReplaceAllString(gqlErr.Message, "")
			}
			return gqlErr
		}
		if store.IsTimeout(err) {
			log.WarnContext(ctx, "request stopped at its time limit", "path", graphql.GetPath(ctx).String(), "error", err)
			e := gqlerror.ErrorPathf(graphql.GetPath(ctx), "The request took too long and was stopped. Ask for less: a narrower filter or fewer rows.")
			e.Extensions = map[string]any{"code": CodeTimeout}
			return e
		}
		if store.IsTooLarge(err) {
			log.WarnContext(ctx, "the database refused a request as too large", "path", graphql.GetPath(ctx).String(), "error", err)
			e := gqlerror.ErrorPathf(graphql.GetPath(ctx), "The request is too large for the database. Use a smaller filter.")
			e.Extensions = map[string]any{"code": CodeBadRequest}
			return e
		}
		log.ErrorContext(ctx, "request failed", "path", graphql.GetPath(ctx).String(), "error", err)
		e := gqlerror.ErrorPathf(graphql.GetPath(ctx), "%s", internalMessage)
		e.Extensions = map[string]any{"code": CodeInternal}
		return e
	}
}

// suggestion is a validation message's "Did you mean …?" sentence.
var suggestion = regexp.MustCompile(`\s*Did you mean [^?]*\?`)

// argumentError reports whether the error arose while gqlgen decoded the
// field's arguments (a malformed Time, cursor or enum value, from a scalar we
// do not own): the field had arguments in the query, but none were decoded.
// Such an error is the caller's, and is shown as BAD_USER_INPUT.
func argumentError(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	return fc != nil && fc.Args == nil && fc.Field.Field != nil && len(fc.Field.Arguments) > 0
}

// badRequest is a refusal of malformed arguments (outside any payload).
func badRequest(ctx context.Context, msg string) error {
	e := gqlerror.ErrorPathf(graphql.GetPath(ctx), "%s", msg)
	e.Extensions = map[string]any{"code": CodeBadRequest}
	return e
}

// payloadErrors splits a domain result into userErrors (input the person can
// fix) and a top-level error (anything else).
func payloadErrors(err error) ([]*validate.Problem, error) {
	if failure, ok := errors.AsType[*validate.Failure](err); ok {
		out := make([]*validate.Problem, len(failure.Problems))
		for i := range failure.Problems {
			out[i] = &failure.Problems[i]
		}
		return out, nil
	}
	return []*validate.Problem{}, err
}

// setupPayload maps a wizard call's result into its payload.
func setupPayload(s *setup.Session, err error) (*model.SetupPayload, error) {
	userErrors, err := payloadErrors(err)
	if err != nil {
		return nil, err
	}
	return &model.SetupPayload{Setup: s, UserErrors: userErrors}, nil
}
