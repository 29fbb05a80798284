package auth

import (
	"errors"
	"fmt"
)

// Codes of the top-level GraphQL errors about the caller's right to act.
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
)

// Reasons a token is not accepted, in extensions.reason.
const (
	ReasonMissing   = "MISSING"
	ReasonInvalid   = "INVALID"
	ReasonExpired   = "EXPIRED"
	ReasonReplaced  = "REPLACED"
	ReasonCancelled = "CANCELLED"
	ReasonRevoked   = "REVOKED"
)

// Error is a refusal of the caller: no or a bad token (UNAUTHENTICATED, with
// a reason), or a token kind that may not make this call (FORBIDDEN). Its
// message is written for the person and leaks nothing about other data.
type Error struct {
	Code    string
	Reason  string
	Message string
}

func (e *Error) Error() string { return e.Message }

func unauthenticated(reason, message string) *Error {
	return &Error{Code: CodeUnauthenticated, Reason: reason, Message: message}
}

// Forbidden refuses a call the caller's token kind may never make.
func Forbidden(format string, args ...any) *Error {
	return &Error{Code: CodeForbidden, Message: fmt.Sprintf(format, args...)}
}

var (
	errMissing = unauthenticated(ReasonMissing, "This call needs a token: send it as \"Authorization: Bearer <token>\".")
	errInvalid = unauthenticated(ReasonInvalid, "The token is not valid.")
	errExpired = unauthenticated(ReasonExpired, "The token has expired.")
	errRevoked = unauthenticated(ReasonRevoked, "This integration key was revoked.")

	errSessionEnded = unauthenticated(ReasonRevoked,
		"This session has ended (signed out, or the password was changed or reset). Sign in again.")
	errTicketUsed = unauthenticated(ReasonRevoked,
		"This link was already used. Ask for a new one if you still need it.")
	errTicketReplaced = unauthenticated(ReasonReplaced,
		"A newer link was sent. Use the link in the most recent email.")
	errTicketRevoked = unauthenticated(ReasonRevoked,
		"This link no longer works: the access it was about has ended.")

	errLinkExpired = unauthenticated(ReasonExpired,
		"This setup link has expired. Ask your partner contact or customer success to send a new one.")
	errLinkReplaced = unauthenticated(ReasonReplaced,
		"This setup link was replaced by a newer one. Use the link in the most recent setup email.")
	errLinkCancelled = unauthenticated(ReasonCancelled,
		"The order of this setup link was cancelled or has closed. Ask your partner contact for a new order.")
)

// CodeNotFound answers an operation on an object that does not exist or lies
// outside the caller's scope (the two look the same).
const CodeNotFound = "NOT_FOUND"

// NotFound refuses an operation on an object the caller cannot see.
func NotFound(what string) *Error {
	return &Error{Code: CodeNotFound, Message: "No such " + what + "."}
}

// IsNotFound reports whether err is the NOT_FOUND refusal.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == CodeNotFound
}
