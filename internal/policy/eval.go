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
	if p == nil {
		return NotApplicable
	}
	ctx := make(map[string][]string, len(req.Context)+2)
	for k, v := range req.Context {
		ctx[strings.ToLower(k)] = v
	}
	if _, ok := ctx["aws:principalaccount"]; !ok && req.Principal.Account != "" {
		ctx["aws:principalaccount"] = []string{req.Principal.Account}
	}
	if _, ok := ctx["aws:principalarn"]; !ok && req.Principal.ARN != "" {
		ctx["aws:principalarn"] = []string{req.Principal.ARN}
	}
	d := NotApplicable
	for i := range p.Statements {
		s := &p.Statements[i]
		if !s.applies(req, ctx) {
			continue
		}
		if s.Effect == EffectDeny {
			return Deny
		}
		d = Allow
	}
	return d
}

func (s *Statement) applies(req Request, ctx map[string][]string) bool {
	if s.NotPrincipal == s.Principals.matches(req.Principal, s.NotPrincipal) {
		return false
	}
	if s.NotAction == anyGlob(s.Actions, req.Action, true) {
		return false
	}
	if s.Resources != nil && s.NotResource == anyGlob(s.Resources, req.Resource, false) {
		return false
	}
	for _, c := range s.Conditions {
		ok, err := c.holds(ctx)
		if err != nil {
			// Fail closed: an undecidable condition never grants, always denies.
			return s.Effect == EffectDeny
		}
		if !ok {
			return false
		}
	}
	return true
}

func anyGlob(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if glob(p, s, fold) {
			return true
		}
	}
	return false
}

// identity is one of the names a caller is known by. IAM puts several in a
// request's context (the account, the user or role session, the role), and a
// principal entry matches the caller when it matches one of them.
type identity struct {
	account  string // 12 digits, always set
	arn      string // exact ARN; "" for the account identity
	roleName string // for the role behind an assumed-role session
}

func identities(p model.Principal) []identity {
	ids := []identity{{account: p.Account}}
	a, err := model.ParseARN(p.ARN)
	if err != nil || a.Resource == "root" {
		return ids
	}
	ids = append(ids, identity{account: p.Account, arn: p.ARN})
	if a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/") {
		if name, _, ok := strings.Cut(strings.TrimPrefix(a.Resource, "assumed-role/"), "/"); ok {
			ids = append(ids, identity{account: p.Account, roleName: name})
		}
	}
	return ids
}

// matches reports whether the element names the caller. For Principal that
// means naming any of its identities. For NotPrincipal (exclusion) the caller
// is only excluded when every identity is named, as IAM documents: to exempt a
// user from a Deny with NotPrincipal, list both the user and its account.
func (ps Principals) matches(p model.Principal, exclusion bool) bool {
	if ps.Any {
		return true
	}
	if p.Account == "" {
		return false
	}
	ids := identities(p)
	named := 0
	for _, id := range ids {
		for _, e := range ps.AWS {
			if entryMatches(e, id) {
				named++
				break
			}
		}
	}
	if exclusion {
		return named == len(ids)
	}
	return named > 0
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
