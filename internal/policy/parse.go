package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/apperr"
)

// MaxDocumentLength is the PolicyDocument shape's limit, in characters.
const MaxDocumentLength = 7168

// The policy language versions IAM knows.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Effect is a statement's effect.
type Effect string

const (
	EffectAllow Effect = "Allow"
	EffectDeny  Effect = "Deny"
)

// Policy is a validated resource or identity policy. Build it with Parse or
// ParseIdentity.
type Policy struct {
	Version    string // "" when the document has none
	ID         string
	Statements []Statement
	// Identity marks an identity-based policy: its statements name no
	// principal and apply to the identity the policy is attached to.
	Identity bool
}

// Statement is one validated statement. Exactly one of Actions (NotAction
// false) or its negation is meant; the same for Principals and Resources.
type Statement struct {
	Sid          string
	Effect       Effect
	Principals   Principals
	NotPrincipal bool // Principals lists who the statement does NOT apply to
	Actions      []string
	NotAction    bool
	Resources    []string // nil and !NotResource: the resource the policy is attached to
	NotResource  bool
	Conditions   []Condition // all must hold
}

// Principals is a Principal / NotPrincipal element.
type Principals struct {
	Any           bool // "Principal": "*"
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// Condition is one (operator, key) pair of a Condition block; any one of its
// Values satisfying the operator satisfies it (none, for negated operators).
type Condition struct {
	Operator string // as written, e.g. "ForAnyValue:StringLikeIfExists"
	Key      string
	Values   []string // JSON numbers and booleans in their JSON spelling
}

var (
	sidRe          = regexp.MustCompile(`^[A-Za-z0-9]*$`)
	actionRe       = regexp.MustCompile(`^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$`)
	accountRe      = regexp.MustCompile(`^[0-9]{12}$`)
	principalARNRe = regexp.MustCompile(`^arn:[a-z][a-z-]*:(iam|sts)::[0-9]{12}:(root|user/.+|role/.+|assumed-role/[^/]+/.+|federated-user/.+)$`)
)

// Parse validates doc as a CodeArtifact resource policy and returns its
// evaluable form. Failures are *apperr.Error of Kind Validation whose message
// names the offending element.
func Parse(doc string) (*Policy, error) {
	return parseDocument(doc, rules{maxLen: MaxDocumentLength})
}

// MaxKeyPolicyLength is KMS's limit on a key policy (32 KiB).
const MaxKeyPolicyLength = 32768

// ParseKey validates doc as a KMS key policy: a resource-based policy, as
// Parse, of up to MaxKeyPolicyLength characters, whose Sids may hold any
// characters (KMS's default policy has "Enable IAM User Permissions").
func ParseKey(doc string) (*Policy, error) {
	return parseDocument(doc, rules{maxLen: MaxKeyPolicyLength, anySid: true})
}

// ParseIdentity validates doc as an IAM identity-based policy (inline or
// managed, attached to a user or role): as Parse, except that statements must
// not have Principal/NotPrincipal and must have Resource or NotResource, as
// IAM's MalformedPolicyDocument rules say.
func ParseIdentity(doc string) (*Policy, error) {
	return parseDocument(doc, rules{identity: true, maxLen: MaxDocumentLength})
}

// rules are what differs between the kinds of policy document.
type rules struct {
	identity bool // an identity-based policy: no Principal, Resource required
	maxLen   int  // characters
	anySid   bool // KMS key policies: a Sid may hold any characters ("Enable IAM User Permissions")
}

func parseDocument(doc string, r rules) (*Policy, error) {
	identity := r.identity
	if err := checkText(doc, r.maxLen); err != nil {
		return nil, err
	}
	root, err := decodeStrict(doc)
	if err != nil {
		return nil, invalid("", "not valid JSON: %s", err)
	}
	obj, ok := root.(*object)
	if !ok {
		return nil, invalid("", "must be a JSON object, got %s", kindName(root))
	}
	if err := obj.onlyKeys("", "Version", "Id", "Statement"); err != nil {
		return nil, err
	}
	p := &Policy{Identity: identity}
	if v, ok := obj.vals["Version"]; ok {
		s, ok := v.(string)
		if !ok || (s != Version2012 && s != Version2008) {
			return nil, invalid("Version", "must be %q or %q, got %s", Version2012, Version2008, show(v))
		}
		p.Version = s
	}
	if v, ok := obj.vals["Id"]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, invalid("Id", "must be a string, got %s", kindName(v))
		}
		p.ID = s
	}
	stv, ok := obj.vals["Statement"]
	if !ok {
		return nil, invalid("Statement", "is required")
	}
	var raw []any
	var paths []string
	switch st := stv.(type) {
	case *object:
		raw, paths = []any{st}, []string{"Statement"}
	case []any:
		if len(st) == 0 {
			return nil, invalid("Statement", "must not be an empty array")
		}
		raw = st
		for i := range st {
			paths = append(paths, fmt.Sprintf("Statement[%d]", i))
		}
	default:
		return nil, invalid("Statement", "must be an object or an array of objects, got %s", kindName(stv))
	}
	sids := map[string]string{}
	for i := range raw {
		s, err := parseStatement(paths[i], raw[i], r)
		if err != nil {
			return nil, err
		}
		if s.Sid != "" {
			if prev, dup := sids[s.Sid]; dup {
				return nil, invalid(paths[i]+".Sid", "%q duplicates the Sid of %s; Sids must be unique", s.Sid, prev)
			}
			sids[s.Sid] = paths[i]
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

// checkText applies the PolicyDocument shape's length and character rules.
func checkText(doc string, maxLen int) error {
	if !utf8.ValidString(doc) {
		return invalid("", "is not valid UTF-8")
	}
	n := utf8.RuneCountInString(doc)
	if n == 0 {
		return invalid("", "must not be empty")
	}
	if n > maxLen {
		return invalid("", "is %d characters long, longer than the limit of %d", n, maxLen)
	}
	for _, r := range doc {
		if unicode.Is(unicode.C, r) && !strings.ContainsRune(" \t\n\v\f\r", r) {
			return invalid("", "contains the control character %U", r)
		}
	}
	return nil
}

func parseStatement(path string, v any, r rules) (Statement, error) {
	identity := r.identity
	var s Statement
	obj, ok := v.(*object)
	if !ok {
		return s, invalid(path, "must be an object, got %s", kindName(v))
	}
	if err := obj.onlyKeys(path, "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"); err != nil {
		return s, err
	}
	if sv, ok := obj.vals["Sid"]; ok {
		sid, ok := sv.(string)
		if !ok || (!r.anySid && !sidRe.MatchString(sid)) {
			return s, invalid(path+".Sid", "must be a string of letters and digits only, got %s", show(sv))
		}
		s.Sid = sid
	}

	ev, ok := obj.vals["Effect"]
	if !ok {
		return s, invalid(path+".Effect", "is required")
	}
	if e, _ := ev.(string); e == string(EffectAllow) || e == string(EffectDeny) {
		s.Effect = Effect(e)
	} else {
		return s, invalid(path+".Effect", "must be %q or %q, got %s", EffectAllow, EffectDeny, show(ev))
	}

	name, val, err := exactlyOne(obj, path, "Action", "NotAction", true)
	if err != nil {
		return s, err
	}
	s.NotAction = name == "NotAction"
	if s.Actions, err = stringList(path+"."+name, val); err != nil {
		return s, err
	}
	for i, a := range s.Actions {
		if a != "*" && !actionRe.MatchString(a) {
			return s, invalid(fmt.Sprintf("%s.%s[%d]", path, name, i), "%q is not an action: use \"*\" or \"service:ActionName\" (wildcards * and ? allowed)", a)
		}
	}

	if identity {
		for _, k := range []string{"Principal", "NotPrincipal"} {
			if _, ok := obj.vals[k]; ok {
				return s, invalid(path+"."+k, "is not allowed in an identity-based policy")
			}
		}
	} else {
		name, val, err = exactlyOne(obj, path, "Principal", "NotPrincipal", true)
		if err != nil {
			return s, err
		}
		s.NotPrincipal = name == "NotPrincipal"
		if s.Principals, err = parsePrincipals(path+"."+name, val); err != nil {
			return s, err
		}
	}

	name, val, err = exactlyOne(obj, path, "Resource", "NotResource", identity)
	if err != nil {
		return s, err
	}
	if name != "" {
		s.NotResource = name == "NotResource"
		if s.Resources, err = stringList(path+"."+name, val); err != nil {
			return s, err
		}
		for i, r := range s.Resources {
			if r != "*" && !(strings.HasPrefix(r, "arn:") && strings.Count(r, ":") >= 5) {
				return s, invalid(fmt.Sprintf("%s.%s[%d]", path, name, i), "%q is not \"*\" or an ARN (arn:partition:service:region:account:resource)", r)
			}
		}
	}

	if cv, ok := obj.vals["Condition"]; ok {
		if s.Conditions, err = parseConditions(path+".Condition", cv); err != nil {
			return s, err
		}
	}
	return s, nil
}

// exactlyOne returns which of a / notA the statement has, rejecting both and,
// when required, neither.
func exactlyOne(obj *object, path, a, notA string, required bool) (string, any, error) {
	av, hasA := obj.vals[a]
	nv, hasN := obj.vals[notA]
	switch {
	case hasA && hasN:
		return "", nil, invalid(path+"."+a, "and %s cannot both be present", notA)
	case hasA:
		return a, av, nil
	case hasN:
		return notA, nv, nil
	case required:
		return "", nil, invalid(path+"."+a, "is required (or %s)", notA)
	}
	return "", nil, nil
}

func parsePrincipals(path string, v any) (Principals, error) {
	var p Principals
	if s, ok := v.(string); ok {
		if s != "*" {
			return p, invalid(path, "as a string must be \"*\", got %q; name principals as {\"AWS\": ...}", s)
		}
		p.Any = true
		return p, nil
	}
	obj, ok := v.(*object)
	if !ok {
		return p, invalid(path, "must be \"*\" or an object, got %s", kindName(v))
	}
	if len(obj.keys) == 0 {
		return p, invalid(path, "must name at least one principal")
	}
	if err := obj.onlyKeys(path, "AWS", "Service", "Federated", "CanonicalUser"); err != nil {
		return p, err
	}
	for _, k := range obj.keys {
		kp := path + "." + k
		list, err := stringList(kp, obj.vals[k])
		if err != nil {
			return p, err
		}
		for i, id := range list {
			ip := fmt.Sprintf("%s[%d]", kp, i)
			switch k {
			case "AWS":
				if id != "*" && !accountRe.MatchString(id) && !(principalARNRe.MatchString(id) && !strings.ContainsAny(id, "*?")) {
					return p, invalid(ip, "%q is not \"*\", a 12-digit account id or an IAM principal ARN (arn:aws:iam::123456789012:root|user/NAME|role/NAME)", id)
				}
			default:
				if id == "" || strings.ContainsAny(id, " \t\r\n") {
					return p, invalid(ip, "%q is not a valid %s principal", id, k)
				}
			}
		}
		switch k {
		case "AWS":
			p.AWS = list
		case "Service":
			p.Service = list
		case "Federated":
			p.Federated = list
		case "CanonicalUser":
			p.CanonicalUser = list
		}
	}
	return p, nil
}

func parseConditions(path string, v any) ([]Condition, error) {
	obj, ok := v.(*object)
	if !ok {
		return nil, invalid(path, "must be an object of operator -> {key -> value}, got %s", kindName(v))
	}
	var out []Condition
	for _, op := range obj.keys {
		opPath := path + "." + op
		if _, ok := parseOperator(op); !ok {
			return nil, invalid(opPath, "%q is not a condition operator", op)
		}
		keys, ok := obj.vals[op].(*object)
		if !ok {
			return nil, invalid(opPath, "must be an object of condition key -> value, got %s", kindName(obj.vals[op]))
		}
		for _, key := range keys.keys {
			kp := opPath + "." + key
			if key == "" || strings.ContainsAny(key, " \t\r\n") {
				return nil, invalid(kp, "%q is not a condition key", key)
			}
			vals, err := conditionValues(kp, keys.vals[key])
			if err != nil {
				return nil, err
			}
			out = append(out, Condition{Operator: op, Key: key, Values: vals})
		}
	}
	return out, nil
}

// Check parses a policy document as Parse does and also refuses condition values
// their operator can never compare. Use it where a policy is put: Parse alone
// keeps reading documents an earlier wharf accepted, whose uncomparable
// conditions fail closed when evaluated.
func Check(doc string) (*Policy, error) {
	p, err := Parse(doc)
	if err != nil {
		return nil, err
	}
	for i, s := range p.Statements {
		for _, c := range s.Conditions {
			o, _ := parseOperator(c.Operator)
			path := fmt.Sprintf("Statement[%d].Condition.%s.%s", i, c.Operator, c.Key)
			if err := checkOperands(path, o.base, c.Values); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// checkOperands refuses, when the policy is put, a value its operator can never
// compare (evaluation would fail closed on it at every request): dates, IP
// addresses or CIDR blocks, numbers, and Null's true/false.
func checkOperands(path, base string, vals []string) error {
	for _, v := range vals {
		var ok bool
		switch {
		case strings.HasPrefix(base, "Date"):
			_, ok = parseDate(v)
		case base == "IpAddress" || base == "NotIpAddress":
			ok = validIPOrCIDR(v)
		case strings.HasPrefix(base, "Numeric"):
			_, err := strconv.ParseFloat(v, 64)
			ok = err == nil
		case base == "Null":
			ok = strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
		default:
			ok = true
		}
		if !ok {
			return invalid(path, "%q is not a valid value for the %s condition operator", v, base)
		}
	}
	return nil
}

// conditionValues accepts what IAM accepts: strings, numbers and booleans,
// alone or in a non-empty array.
func conditionValues(path string, v any) ([]string, error) {
	scalar := func(p string, x any) (string, error) {
		switch t := x.(type) {
		case string:
			return t, nil
		case json.Number:
			return t.String(), nil
		case bool:
			if t {
				return "true", nil
			}
			return "false", nil
		}
		return "", invalid(p, "must be a string, number or boolean, got %s", kindName(x))
	}
	arr, ok := v.([]any)
	if !ok {
		s, err := scalar(path, v)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	if len(arr) == 0 {
		return nil, invalid(path, "must not be an empty array")
	}
	out := make([]string, 0, len(arr))
	for i, x := range arr {
		s, err := scalar(fmt.Sprintf("%s[%d]", path, i), x)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// stringList accepts a string or a non-empty array of strings.
func stringList(path string, v any) ([]string, error) {
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case []any:
		if len(t) == 0 {
			return nil, invalid(path, "must not be an empty array")
		}
		out := make([]string, 0, len(t))
		for i, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil, invalid(fmt.Sprintf("%s[%d]", path, i), "must be a string, got %s", kindName(x))
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, invalid(path, "must be a string or an array of strings, got %s", kindName(v))
}

func invalid(path, format string, args ...any) *apperr.Error {
	msg := fmt.Sprintf(format, args...)
	if path == "" {
		return apperr.Validationf("Invalid policy document: the document %s", msg)
	}
	return apperr.Validationf("Invalid policy document: %s %s", path, msg)
}

// object is a JSON object that remembers its key order, so errors are
// reported in document order.
type object struct {
	keys []string
	vals map[string]any
}

func (o *object) onlyKeys(path string, allowed ...string) error {
	for _, k := range o.keys {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			where := "the document"
			if path != "" {
				where = path
			}
			return apperr.Validationf("Invalid policy document: unknown element %q in %s (allowed: %s)", k, where, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// decodeStrict decodes one JSON value, rejecting duplicate object keys (which
// encoding/json would silently resolve to the last one) and trailing data.
func decodeStrict(doc string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the top-level value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &object{vals: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string) // the decoder guarantees object keys are strings
				if _, dup := o.vals[k]; dup {
					return nil, fmt.Errorf("duplicate key %q", k)
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				o.keys = append(o.keys, k)
				o.vals[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("unexpected %q", t.String())
	default:
		return t, nil // string, json.Number, bool or nil
	}
}

func kindName(v any) string {
	switch v.(type) {
	case *object:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// show renders a scalar for an error message; composite values by kind.
func show(v any) string {
	switch t := v.(type) {
	case string:
		return fmt.Sprintf("%q", t)
	case json.Number, bool:
		return fmt.Sprint(t)
	}
	return kindName(v)
}
