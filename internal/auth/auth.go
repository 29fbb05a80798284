// Package auth issues and verifies Onramp's tokens (JWTs of six kinds) and
// puts the verified caller into the request context as a viewer.
package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"onramp/ent"
	"onramp/ent/setuplink"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/viewer"
)

// Issuer is the "iss" of every token.
const Issuer = "onramp"

// maxTokenBytes bounds what the parser is given.
const maxTokenBytes = 4096

// kinds maps a token kind to its audience and "typ" header: a token of one
// kind never passes as another.
var kinds = map[viewer.Kind]struct{ aud, typ string }{
	viewer.SetupLink:   {"onramp:setup-link", "setup-link+jwt"},
	viewer.Partner:     {"onramp:partner", "partner+jwt"},
	viewer.Integration: {"onramp:integration", "integration+jwt"},
	viewer.Operator:    {"onramp:operator", "operator+jwt"},
	// The tokens of links mailed to one person for one purpose: each has
	// a stored, single-use row (tickets.go).
	viewer.PartnerAccess: {"onramp:partner-access", "partner-access+jwt"},
	viewer.PasswordReset: {"onramp:password-reset", "password-reset+jwt"},
}

// Claims are the claims of an Onramp token.
type Claims struct {
	jwt.RegisteredClaims
	Email   string `json:"eml,omitempty"`
	Order   gid.ID `json:"ord,omitempty"`
	Account string `json:"acc,omitempty"`
	Org     gid.ID `json:"org,omitempty"`
	User    gid.ID `json:"uid,omitempty"`
	// Key is the integration key an integration token was issued as (none
	// for tokens of the command line).
	Key gid.ID `json:"key,omitempty"`
	// Session is a partner session's row.
	Session gid.ID `json:"sid,omitempty"`
	// Access is a partner-access token's request, and Act what it may do
	// with it: ActDecide (approve or deny) or ActWithdraw.
	Access gid.ID `json:"pac,omitempty"`
	Act    string `json:"act,omitempty"`
}

// Config holds token lifetimes.
type Config struct {
	SetupLinkTTL      time.Duration
	PartnerSessionTTL time.Duration
	// MaxOperatorTTL caps an operator token's lifetime (expiry minus
	// issue time), when issued and when verified; zero is
	// DefaultMaxOperatorTTL.
	MaxOperatorTTL time.Duration
	// Now is the clock (tests move it); nil is the wall clock.
	Now func() time.Time
}

// Authority signs and verifies tokens with the keys in the database.
type Authority struct {
	client *ent.Client
	cfg    Config
	now    func() time.Time

	mu         sync.RWMutex
	ring       *keyRing
	lastReload time.Time

	verified verifiedCache
	rev      revocations
}

// New loads the signing keys (creating the first one) and returns an
// Authority.
func New(ctx context.Context, client *ent.Client, cfg Config) (*Authority, error) {
	if cfg.SetupLinkTTL <= 0 {
		cfg.SetupLinkTTL = 30 * 24 * time.Hour
	}
	if cfg.PartnerSessionTTL <= 0 {
		cfg.PartnerSessionTTL = 12 * time.Hour
	}
	ring, err := loadKeys(ctx, client)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Authority{client: client, cfg: cfg, now: now, ring: ring}, nil
}

// SetupLinkTTL is how long a new setup link lives.
func (a *Authority) SetupLinkTTL() time.Duration { return a.cfg.SetupLinkTTL }

func (a *Authority) sign(kind viewer.Kind, c Claims, ttl time.Duration) (string, error) {
	k, ok := kinds[kind]
	if !ok {
		return "", fmt.Errorf("unknown token kind %q", kind)
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return "", err
	}
	now := a.now()
	c.Issuer = Issuer
	c.Audience = jwt.ClaimStrings{k.aud}
	c.ID = hex.EncodeToString(id)
	c.IssuedAt = jwt.NewNumericDate(now)
	c.NotBefore = jwt.NewNumericDate(now)
	c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	a.mu.RLock()
	kid, key := a.ring.signKID, a.ring.signKey
	a.mu.RUnlock()
	t.Header["kid"] = kid
	t.Header["typ"] = k.typ
	return t.SignedString(key)
}

// DefaultMaxOperatorTTL is the longest an operator token lives by default:
// an operator token reads everything, so a leaked one must not stay good
// for long.
const DefaultMaxOperatorTTL = 24 * time.Hour

func (a *Authority) maxOperatorTTL() time.Duration {
	if a.cfg.MaxOperatorTTL > 0 {
		return a.cfg.MaxOperatorTTL
	}
	return DefaultMaxOperatorTTL
}

// IssueOperator returns an operator token of at most the operator lifetime
// cap.
func (a *Authority) IssueOperator(subject string, ttl time.Duration) (string, error) {
	if max := a.maxOperatorTTL(); ttl > max {
		return "", fmt.Errorf("an operator token lives at most %v (--max-operator-ttl); asked for %v", max, ttl)
	}
	return a.sign(viewer.Operator, Claims{RegisteredClaims: jwt.RegisteredClaims{Subject: subject}}, ttl)
}

// IssueIntegration returns an integration token scoped to one partner account.
func (a *Authority) IssueIntegration(accountID string, ttl time.Duration) (string, error) {
	if accountID == "" {
		return "", errors.New("an integration token needs a partner account id")
	}
	return a.sign(viewer.Integration, Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "integration:" + accountID},
		Account:          accountID,
	}, ttl)
}

// IssuePartnerSession starts a partner administrator's session, in the
// transaction of ctx (or on its own): a stored row, which sign-out and a
// password change or reset revoke, and its token.
func (a *Authority) IssuePartnerSession(ctx context.Context, u *ent.User, org *ent.Organization) (string, error) {
	if org.AccountID == nil {
		return "", errors.New("a partner session needs a partner organization")
	}
	client := store.Tx(ctx)
	if client == nil {
		client = a.client
	}
	sid := gid.New(gid.PartnerSession)
	if err := client.PartnerSession.Create().SetID(sid).SetUserID(u.ID).
		SetExpiresAt(a.now().Add(a.cfg.PartnerSessionTTL)).Exec(store.System(ctx)); err != nil {
		return "", err
	}
	return a.sign(viewer.Partner, Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: string(u.ID)},
		Email:            u.Email,
		Account:          *org.AccountID,
		Org:              org.ID,
		User:             u.ID,
		Session:          sid,
	}, a.cfg.PartnerSessionTTL)
}

// IssueSetupLink issues a new setup link for order, sent to email, in the
// transaction of ctx (or on its own). The order's links that were active
// become REPLACED: only the newest link works.
func (a *Authority) IssueSetupLink(ctx context.Context, orderID gid.ID, email string) (string, error) {
	token, err := a.sign(viewer.SetupLink, Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: email},
		Email:            email,
		Order:            orderID,
	}, a.cfg.SetupLinkTTL)
	if err != nil {
		return "", err
	}
	claims, err := a.parse(token)
	if err != nil {
		return "", err
	}
	client := store.Tx(ctx)
	if client == nil {
		client = a.client
	}
	sys := store.System(ctx)
	replaced, err := LinkRevocations(ctx, client, orderID)
	if err != nil {
		return "", err
	}
	if err := client.SetupLink.Update().
		Where(setuplink.OrderID(orderID), setuplink.StateEQ(setuplink.StateACTIVE)).
		SetState(setuplink.StateREPLACED).
		Exec(sys); err != nil {
		return "", err
	}
	// Sockets opened with a replaced link close on every replica.
	a.revoke(ctx, replaced...)
	err = client.SetupLink.Create().
		SetOrderID(orderID).
		SetEmail(email).
		SetTokenHash(LinkHash(claims.ID)).
		SetExpiresAt(claims.ExpiresAt.Time).
		Exec(sys)
	if err != nil {
		return "", err
	}
	return token, nil
}

// LinkHash is how a setup link's token id is stored: the table alone cannot
// be turned back into a working link.
func LinkHash(jti string) string {
	h := sha256.Sum256([]byte(jti))
	return hex.EncodeToString(h[:])
}

// Verify checks a token and returns its viewer. Signatures are remembered
// until the token expires; whether a setup link is still active is read from
// the database on every call, so a revocation takes effect at once on every
// replica.
func (a *Authority) Verify(ctx context.Context, raw string) (*viewer.Viewer, error) {
	v, _, err := a.verify(ctx, raw)
	return v, err
}

// verify is Verify that also returns, for a setup link, the link's row as
// it read it.
func (a *Authority) verify(ctx context.Context, raw string) (*viewer.Viewer, *ent.SetupLink, error) {
	if raw == "" {
		return nil, nil, errMissing
	}
	if len(raw) > maxTokenBytes {
		return nil, nil, errInvalid
	}
	c, kind, ok := a.verified.get(raw, a.now())
	if !ok {
		var err error
		c, err = a.parse(raw)
		if err != nil {
			return nil, nil, err
		}
		kind = kindOf(c)
		a.verified.put(raw, c, kind)
	}
	v := &viewer.Viewer{
		Kind:             kind,
		TokenID:          c.ID,
		Subject:          c.Subject,
		Email:            c.Email,
		OrderID:          c.Order,
		PartnerAccountID: c.Account,
		OrganizationID:   c.Org,
		UserID:           c.User,
		SessionID:        c.Session,
		KeyID:            c.Key,
		AccessID:         c.Access,
		Act:              c.Act,
		ExpiresAt:        c.ExpiresAt.Time,
	}
	switch kind {
	case viewer.Integration:
		if c.Key != "" {
			if err := a.keyActive(ctx, c.Key); err != nil {
				return nil, nil, err
			}
		}
	case viewer.Partner:
		if err := a.SessionActive(ctx, v); err != nil {
			return nil, nil, err
		}
	case viewer.SetupLink, viewer.Operator:
		// A link's state is checked where its request is authenticated
		// (LinkRefusal); an operator token has no stored state.
	case viewer.PartnerAccess, viewer.PasswordReset:
		t, err := a.activeTicket(ctx, c, kind)
		if err != nil {
			return nil, nil, err
		}
		v.TicketID = t.ID
	}
	if kind != viewer.SetupLink {
		return v, nil, nil
	}
	link, err := a.activeLink(ctx, v)
	if err != nil {
		return nil, nil, err
	}
	return v, link, nil
}

// activeLink answers a setup link's row when it is active, else why its
// viewer may no longer act: the link was replaced, cancelled or has
// expired. It reads the database every time, so revocation takes effect at
// once everywhere.
func (a *Authority) activeLink(ctx context.Context, v *viewer.Viewer) (*ent.SetupLink, error) {
	link, err := a.client.SetupLink.Query().
		Where(setuplink.TokenHash(LinkHash(v.TokenID))).
		Only(store.System(ctx))
	switch {
	case ent.IsNotFound(err):
		return nil, errInvalid
	case err != nil:
		return nil, err
	case link.OrderID != v.OrderID:
		return nil, errInvalid
	}
	if err := a.LinkRefusal(link); err != nil {
		return nil, err
	}
	return link, nil
}

// LinkRefusal says why a setup link no longer works (nil when it does):
// REPLACED, CANCELLED, or EXPIRED. Callers that read the link inside their
// own transaction check it again there, so that a hand-off committed just
// before cannot be overtaken by a call authenticated just before it.
func (a *Authority) LinkRefusal(link *ent.SetupLink) error {
	switch link.State {
	case setuplink.StateREPLACED:
		return errLinkReplaced
	case setuplink.StateCANCELLED:
		return errLinkCancelled
	case setuplink.StateEXPIRED:
		return errLinkExpired
	case setuplink.StateACTIVE: // until its time runs out, below
	}
	if !a.now().Before(link.ExpiresAt) {
		return errLinkExpired
	}
	return nil
}

// parse verifies signature, algorithm, issuer, audience, "typ", expiry and
// the claims each kind requires.
func (a *Authority) parse(raw string) (*Claims, error) {
	c := &Claims{}
	_, err := jwt.ParseWithClaims(raw, c, a.keyFor,
		jwt.WithValidMethods([]string{algorithm}),
		jwt.WithIssuer(Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(30*time.Second),
		jwt.WithTimeFunc(a.now),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		if kindOf(c) == viewer.SetupLink {
			return nil, errLinkExpired
		}
		return nil, errExpired
	case err != nil:
		return nil, errInvalid
	}
	if !claimsComplete(c) || !a.lifetimeAllowed(c) {
		return nil, errInvalid
	}
	return c, nil
}

// keyFor picks the verification key named by the token's "kid" and checks
// that "typ" matches the audience.
func (a *Authority) keyFor(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	if !kidPattern.MatchString(kid) {
		return nil, errInvalid
	}
	c, ok := t.Claims.(*Claims)
	if !ok {
		return nil, errInvalid
	}
	typ, _ := t.Header["typ"].(string)
	k, ok := kinds[kindOf(c)]
	if !ok || typ != k.typ {
		return nil, errInvalid
	}
	if key, ok := a.publicKey(kid); ok {
		return key, nil
	}
	return nil, errInvalid
}

// publicKey finds a verification key; a key made by another replica since
// the last load is picked up by a reload, at most once a second.
func (a *Authority) publicKey(kid string) (ed25519.PublicKey, bool) {
	a.mu.RLock()
	key, ok := a.ring.verifier[kid]
	stale := a.now().Sub(a.lastReload) > time.Second
	a.mu.RUnlock()
	if ok || !stale {
		return key, ok
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lastReload = a.now()
	ring, err := loadKeys(context.Background(), a.client)
	if err != nil {
		return nil, false
	}
	a.ring = ring
	key, ok = ring.verifier[kid]
	return key, ok
}

// kindOf returns the kind whose audience the token names, or "" when it names
// none or several.
func kindOf(c *Claims) viewer.Kind {
	if len(c.Audience) != 1 {
		return ""
	}
	for k, v := range kinds {
		if c.Audience[0] == v.aud {
			return k
		}
	}
	return ""
}

func claimsComplete(c *Claims) bool {
	if c.ID == "" || c.Subject == "" {
		return false
	}
	switch kindOf(c) {
	case viewer.SetupLink:
		return c.Order != "" && c.Email != ""
	case viewer.Integration:
		return c.Account != ""
	case viewer.Partner:
		return c.Account != "" && c.Org != "" && c.User != "" && c.Email != "" && c.Session != ""
	case viewer.Operator:
		return true
	case viewer.PartnerAccess:
		return c.Access != "" && c.Email != "" && (c.Act == ActDecide || c.Act == ActWithdraw)
	case viewer.PasswordReset:
		return c.User != "" && c.Email != ""
	}
	return false
}

// lifetimeAllowed refuses an operator token that lives longer than the
// cap, whoever signed it.
func (a *Authority) lifetimeAllowed(c *Claims) bool {
	if kindOf(c) != viewer.Operator {
		return true
	}
	return c.IssuedAt != nil && c.ExpiresAt != nil && c.ExpiresAt.Sub(c.IssuedAt.Time) <= a.maxOperatorTTL()
}

// verifiedCache remembers tokens whose signature and claims checked out, until
// they expire. It never answers whether a setup link is still active.
type verifiedCache struct {
	mu sync.Mutex
	m  map[[32]byte]verifiedEntry
}

type verifiedEntry struct {
	claims *Claims
	kind   viewer.Kind
}

// maxVerified bounds the cache; when full it starts over.
const maxVerified = 100_000

func (vc *verifiedCache) get(raw string, now time.Time) (*Claims, viewer.Kind, bool) {
	key := sha256.Sum256([]byte(raw))
	vc.mu.Lock()
	defer vc.mu.Unlock()
	e, ok := vc.m[key]
	if !ok {
		return nil, "", false
	}
	if !now.Before(e.claims.ExpiresAt.Time) {
		delete(vc.m, key)
		return nil, "", false
	}
	return e.claims, e.kind, true
}

func (vc *verifiedCache) put(raw string, c *Claims, kind viewer.Kind) {
	key := sha256.Sum256([]byte(raw))
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if vc.m == nil || len(vc.m) >= maxVerified {
		vc.m = make(map[[32]byte]verifiedEntry)
	}
	vc.m[key] = verifiedEntry{claims: c, kind: kind}
}
