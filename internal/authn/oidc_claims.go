package authn

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// ClaimOptions names the claims a principal is built from (Elasticsearch's
// claims.* and claim_patterns.principal settings of the oidc/jwt realms).
type ClaimOptions struct {
	// RealmName and RealmType are Principal.Realm and Principal.RealmType.
	RealmName, RealmType string
	// Claim names: principal (default "sub"), groups (default "groups"),
	// mail, name, dn (default: unset).
	ClaimPrincipal, ClaimGroups, ClaimMail, ClaimName, ClaimDN string
	// PrincipalPattern is a regexp whose first group is the username.
	PrincipalPattern string
	// SeveralIssuers says the realm trusts more than one issuer: principals
	// then carry their iss claim in Principal.Issuer.
	SeveralIssuers bool
}

// ClaimMapping turns verified claims into a Principal without roles. It
// is shared by bearer tokens and browser sessions so that both name users
// and expose claims the same way.
type ClaimMapping struct {
	o       ClaimOptions
	pattern *regexp.Regexp
}

// NewClaimMapping applies defaults and compiles the principal pattern.
func NewClaimMapping(o ClaimOptions) (*ClaimMapping, error) {
	if o.ClaimPrincipal == "" {
		o.ClaimPrincipal = "sub"
	}
	if o.ClaimGroups == "" {
		o.ClaimGroups = "groups"
	}
	m := &ClaimMapping{o: o}
	if o.PrincipalPattern != "" {
		re, err := regexp.Compile(o.PrincipalPattern)
		if err != nil {
			return nil, fmt.Errorf("claim_patterns.principal: %w", err)
		}
		if re.NumSubexp() < 1 {
			return nil, errors.New("claim_patterns.principal needs a capturing group")
		}
		m.pattern = re
	}
	return m, nil
}

// Principal builds the principal of verified claims (decoded with
// DecodeClaims): username from the principal claim (and pattern), full
// name, email, groups and dn, and every mappable claim as metadata
// "oidc(<claim>)" and "jwt_claim_<claim>". The error says why the claims
// cannot name a user; it never contains claim values other than names.
func (m *ClaimMapping) Principal(claims map[string]any) (*Principal, error) {
	principal, ok := claims[m.o.ClaimPrincipal].(string)
	if !ok || principal == "" {
		return nil, fmt.Errorf("no string %q claim for the principal", m.o.ClaimPrincipal)
	}
	if m.pattern != nil {
		sub := m.pattern.FindStringSubmatch(principal)
		if sub == nil || sub[1] == "" {
			return nil, errors.New("principal claim does not match claim_patterns.principal")
		}
		principal = sub[1]
	}
	if !utf8.ValidString(principal) || len(principal) > MaxNameLength {
		return nil, errors.New("principal claim is not a valid user name")
	}
	p := &Principal{Username: principal, Realm: m.o.RealmName, RealmType: m.o.RealmType, Metadata: map[string]any{}}
	if m.o.SeveralIssuers {
		// The issuer is half of the user's name. A token naming none (an
		// introspection answer without iss) would be the user "" of no
		// issuer: the owner of every key, profile and cursor recorded
		// before the realm trusted a second issuer, whichever issuer's
		// user made them. It is refused.
		iss, _ := claims["iss"].(string)
		if iss == "" {
			return nil, errors.New("the token names no issuer (iss), and the realm trusts several: its user cannot be told apart")
		}
		p.Issuer = iss
	}
	if m.o.ClaimMail != "" {
		p.Email, _ = claims[m.o.ClaimMail].(string)
	}
	if m.o.ClaimName != "" {
		p.FullName, _ = claims[m.o.ClaimName].(string)
	}
	p.Metadata[MetadataGroups] = claimStrings(claims[m.o.ClaimGroups])
	if m.o.ClaimDN != "" {
		if dn, ok := claims[m.o.ClaimDN].(string); ok {
			p.Metadata[MetadataDN] = dn
		}
	}
	for name, raw := range claims {
		v, ok := metadataValue(raw)
		if !ok {
			continue
		}
		p.Metadata["oidc("+name+")"] = v
		p.Metadata["jwt_claim_"+name] = v
	}
	return p, nil
}

// DecodeClaims decodes a JSON claims object keeping numbers exact
// (json.Number), as Principal and the time checks expect.
func DecodeClaims(raw []byte) (map[string]any, error) {
	var claims map[string]any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		return nil, fmt.Errorf("claims are not a JSON object: %w", err)
	}
	if claims == nil {
		return nil, errors.New("claims are not a JSON object")
	}
	return claims, nil
}

// NumericDate reads a JWT NumericDate claim decoded by DecodeClaims.
func NumericDate(v any) (time.Time, bool) { return numericDate(v) }
