package policy

import (
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
)

// Decision is one policy's verdict on a request.
type Decision int

const (
	NotApplicable Decision = iota // no statement applies
	Allow                         // an Allow statement applies and no Deny does
	Deny                          // a Deny statement applies
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "NotApplicable"
}

// Request is what a policy is asked about.
type Request struct {
	Principal model.Principal
	Action    string // e.g. "codeartifact:ReadFromRepository"
	Resource  string // ARN of the domain, repository or package
	Context   map[string][]string
}

// Evaluate decides req against p: Deny if any applying statement denies, else
// Allow if any allows, else NotApplicable. A nil policy is NotApplicable, so
// callers can pass "no policy set" straight through.
func (p *Policy) Evaluate(req Request) Decision {
	who := identityOf(req.Principal)
	d, _ := p.evaluate(&who, req, &condContext{m: contextOf(req, nil), built: true})
	return d
}

// condContext is a request's condition keys, built on first use: most
// statements have no Condition, and a decision whose policies have none (the
// hot read path's usual case) then builds no map at all.
type condContext struct {
	in    *Input
	m     map[string][]string
	built bool
}

func (c *condContext) get() map[string][]string {
	if !c.built {
		c.m, c.built = c.in.context(), true
	}
	return c.m
}

// contextOf lower-cases the request's condition keys and fills in the ones the
// principal implies (aws:PrincipalAccount, aws:PrincipalArn) unless set.
func contextOf(req Request, extra map[string][]string) map[string][]string {
	ctx := make(map[string][]string, len(req.Context)+len(extra)+2)
	for k, v := range extra {
		ctx[strings.ToLower(k)] = v
	}
	for k, v := range req.Context {
		ctx[strings.ToLower(k)] = v
	}
	if _, ok := ctx["aws:principalaccount"]; !ok && req.Principal.Account != "" {
		ctx["aws:principalaccount"] = []string{req.Principal.Account}
	}
	if _, ok := ctx["aws:principalarn"]; !ok && req.Principal.ARN != "" {
		ctx["aws:principalarn"] = []string{req.Principal.ARN}
	}
	return ctx
}

// evaluate is Evaluate with the caller's names given; direct reports whether
// an applying Allow named the caller itself (its ARN, its role, "*") rather
// than only its account, which IAM treats differently within one account.
func (p *Policy) evaluate(who *caller, req Request, ctx *condContext) (d Decision, direct bool) {
	if p == nil {
		return NotApplicable, false
	}
	for i := range p.Statements {
		s := &p.Statements[i]
		ok, byName := s.applies(p.Identity, who, req, ctx)
		if !ok {
			continue
		}
		if s.Effect == EffectDeny {
			return Deny, false
		}
		d = Allow
		direct = direct || byName
	}
	return d, direct
}

func (s *Statement) applies(identityPolicy bool, who *caller, req Request, ctx *condContext) (ok, byName bool) {
	byName = true
	if !identityPolicy {
		named, direct := s.Principals.matches(who, s.NotPrincipal)
		if s.NotPrincipal == named {
			return false, false
		}
		byName = s.NotPrincipal || direct
	}
	if s.NotAction == anyGlob(s.Actions, req.Action, true) {
		return false, false
	}
	if s.Resources != nil && s.NotResource == anyGlob(s.Resources, req.Resource, false) {
		return false, false
	}
	for _, c := range s.Conditions {
		ok, err := c.holds(ctx.get())
		if err != nil {
			// Fail closed: an undecidable condition never grants, always denies.
			return s.Effect == EffectDeny, byName
		}
		if !ok {
			return false, false
		}
	}
	return true, byName
}

func anyGlob(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if glob(p, s, fold) {
			return true
		}
	}
	return false
}

// caller is everything a principal element can name about the requester.
// Its names are held in place (at most three), so making one allocates nothing.
type caller struct {
	idBuf     [3]identity
	n         int
	federated string // OIDC provider ARN of a web identity; "" otherwise
}

func (c *caller) ids() []identity { return c.idBuf[:c.n] }

func (c *caller) add(id identity) { c.idBuf[c.n] = id; c.n++ }

// identity is one of the names a caller is known by. IAM puts several in a
// request's context (the account, the user or role session, the role), and a
// principal entry matches the caller when it matches one of them.
type identity struct {
	account  string // 12 digits, always set
	arn      string // exact ARN; "" for the account identity
	roleName string // for the role behind an assumed-role session
	roleARN  string // that role's full ARN (with path) when known
}

func identityOf(p model.Principal) caller { return callerOf(p, "") }

// callerOf lists p's names; roleARN, when known, is the full ARN of the role
// behind an assumed-role session (its path cannot be read off the session ARN).
func callerOf(p model.Principal, roleARN string) caller {
	var c caller
	if p.Account == "" {
		return c
	}
	c.add(identity{account: p.Account})
	a, err := model.ParseARN(p.ARN)
	if err != nil || a.Resource == "root" {
		return c
	}
	c.add(identity{account: p.Account, arn: p.ARN})
	if name, ok := sessionRole(a); ok {
		c.add(identity{account: p.Account, roleName: name, roleARN: roleARN})
	}
	return c
}

// sessionRole returns the role name of an assumed-role session ARN.
func sessionRole(a model.ARN) (string, bool) {
	if a.Service != "sts" || !strings.HasPrefix(a.Resource, "assumed-role/") {
		return "", false
	}
	name, _, ok := strings.Cut(strings.TrimPrefix(a.Resource, "assumed-role/"), "/")
	return name, ok
}

// matches reports whether the element names the caller, and whether it named
// it directly (by "*" or one of its own ARNs) rather than only by its account.
// For Principal that means naming any of its identities. For NotPrincipal
// (exclusion) the caller is only excluded when every identity is named, as IAM
// documents: to exempt a user from a Deny with NotPrincipal, list both the user
// and its account.
func (ps Principals) matches(c *caller, exclusion bool) (named, direct bool) {
	if ps.Any {
		return true, true
	}
	if c.federated != "" {
		for _, f := range ps.Federated {
			if f == c.federated {
				return true, true
			}
		}
		return false, false
	}
	if c.n == 0 {
		return false, false
	}
	n := 0
	for _, id := range c.ids() {
		for _, e := range ps.AWS {
			if entryMatches(e, id) {
				n++
				if e == "*" || id.arn != "" || id.roleName != "" {
					direct = true
				}
				break
			}
		}
	}
	if exclusion {
		return n == c.n, direct
	}
	return n > 0, direct
}

func entryMatches(entry string, id identity) bool {
	if entry == "*" {
		return true
	}
	if accountRe.MatchString(entry) {
		return id.arn == "" && id.roleName == "" && entry == id.account
	}
	a, err := model.ParseARN(entry)
	if err != nil || a.Account != id.account {
		return false
	}
	switch {
	case id.arn == "" && id.roleName == "":
		return a.Resource == "root"
	case id.roleName != "":
		// arn:aws:iam::ACCOUNT:role/optional/path/NAME names the role NAME.
		if a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
			return false
		}
		if id.roleARN != "" {
			return entry == id.roleARN
		}
		return a.Resource[strings.LastIndexByte(a.Resource, '/')+1:] == id.roleName
	}
	return entry == id.arn
}

// Merge folds the decisions of every resource policy consulted for one request
// (the domain's, and the repository's for repository-scoped actions): any Deny
// wins, then any Allow, else NotApplicable.
func Merge(decisions ...Decision) Decision {
	d := NotApplicable
	for _, x := range decisions {
		if x == Deny {
			return Deny
		}
		if x == Allow {
			d = Allow
		}
	}
	return d
}

// Allowed is wharf's final authorization rule (see the package doc). A caller
// in the resource owner's account (sameAccount) is allowed by its identity,
// which wharf treats as administrator of its account, unless a resource
// policy explicitly denies; a caller from another account needs an Allow from
// a resource policy and no Deny.
func Allowed(sameAccount bool, decisions ...Decision) bool {
	switch Merge(decisions...) {
	case Deny:
		return false
	case Allow:
		return true
	}
	return sameAccount
}
