package policy

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// setQualifier is a condition operator's ForAnyValue:/ForAllValues: prefix.
type setQualifier int

const (
	singleValue setQualifier = iota
	forAnyValue
	forAllValues
)

type operator struct {
	base     string // canonical name, e.g. "StringLike"
	ifExists bool
	set      setQualifier
}

// baseOperators are IAM's condition operators, keyed by lower-case name.
// Parse accepts them case-insensitively.
var baseOperators = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{
		"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
		"StringLike", "StringNotLike",
		"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
		"NumericGreaterThan", "NumericGreaterThanEquals",
		"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
		"DateGreaterThan", "DateGreaterThanEquals",
		"Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
		"ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike", "Null",
	} {
		m[strings.ToLower(n)] = n
	}
	return m
}()

// negated maps each negated operator to the positive one it inverts.
var negated = map[string]string{
	"StringNotEquals":           "StringEquals",
	"StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
	"StringNotLike":             "StringLike",
	"NumericNotEquals":          "NumericEquals",
	"DateNotEquals":             "DateEquals",
	"NotIpAddress":              "IpAddress",
	"ArnNotEquals":              "ArnEquals",
	"ArnNotLike":                "ArnLike",
}

func parseOperator(op string) (operator, bool) {
	var o operator
	rest := op
	lower := strings.ToLower(op)
	switch {
	case strings.HasPrefix(lower, "foranyvalue:"):
		o.set, rest = forAnyValue, rest[len("ForAnyValue:"):]
	case strings.HasPrefix(lower, "forallvalues:"):
		o.set, rest = forAllValues, rest[len("ForAllValues:"):]
	}
	if l := strings.ToLower(rest); strings.HasSuffix(l, "ifexists") {
		o.ifExists, rest = true, rest[:len(rest)-len("IfExists")]
	}
	base, ok := baseOperators[strings.ToLower(rest)]
	if !ok || (base == "Null" && (o.ifExists || o.set != singleValue)) {
		return o, false
	}
	o.base = base
	return o, true
}

// errUnevaluable marks a condition wharf cannot decide; callers fail closed.
var errUnevaluable = errors.New("condition cannot be evaluated")

// holds evaluates one condition against the request context (keys already
// lower-cased). An error means it cannot be evaluated.
func (c Condition) holds(ctx map[string][]string) (bool, error) {
	op, ok := parseOperator(c.Operator)
	if !ok {
		return false, errUnevaluable
	}
	got, present := ctx[strings.ToLower(c.Key)]
	present = present && len(got) > 0

	if op.base == "Null" {
		for _, v := range c.Values {
			switch strings.ToLower(v) {
			case "true":
				if !present {
					return true, nil
				}
			case "false":
				if present {
					return true, nil
				}
			default:
				return false, errUnevaluable
			}
		}
		return false, nil
	}

	positive, isNeg := negated[op.base]
	if !isNeg {
		positive = op.base
	}
	// one: does a single request value satisfy the operator as written?
	one := func(v string) (bool, error) {
		for _, pv := range c.Values {
			m, err := compare(positive, v, pv)
			if err != nil {
				return false, err
			}
			if m {
				return !isNeg, nil
			}
		}
		return isNeg, nil
	}

	if !present {
		switch {
		case op.ifExists:
			return true, nil
		case op.set == forAllValues:
			return true, nil // vacuously: every one of no values matches
		case op.set == forAnyValue:
			return false, nil
		}
		return isNeg, nil // a missing key equals nothing, so "not equal" holds
	}

	switch op.set {
	case forAllValues:
		for _, v := range got {
			m, err := one(v)
			if err != nil || !m {
				return false, err
			}
		}
		return true, nil
	case forAnyValue:
		for _, v := range got {
			m, err := one(v)
			if err != nil || m {
				return m, err
			}
		}
		return false, nil
	}
	// Single-valued: a positive operator holds when some request value equals
	// some policy value; a negated one when no pair does.
	for _, v := range got {
		for _, pv := range c.Values {
			m, err := compare(positive, v, pv)
			if err != nil {
				return false, err
			}
			if m {
				return !isNeg, nil
			}
		}
	}
	return isNeg, nil
}

// compare applies a positive operator to one request value and one policy value.
func compare(op, got, want string) (bool, error) {
	switch op {
	case "StringEquals", "BinaryEquals":
		return got == want, nil
	case "StringEqualsIgnoreCase":
		return strings.EqualFold(got, want), nil
	case "StringLike":
		return glob(want, got, false), nil
	case "Bool":
		return strings.EqualFold(got, want), nil
	case "ArnEquals", "ArnLike": // IAM treats both alike: wildcards per ARN component
		g, w := strings.SplitN(got, ":", 6), strings.SplitN(want, ":", 6)
		if len(g) != 6 || len(w) != 6 {
			return false, nil
		}
		for i := range g {
			if !glob(w[i], g[i], false) {
				return false, nil
			}
		}
		return true, nil
	case "NumericEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals":
		g, err1 := strconv.ParseFloat(got, 64)
		w, err2 := strconv.ParseFloat(want, 64)
		if err1 != nil || err2 != nil {
			return false, errUnevaluable
		}
		return ordered(strings.TrimPrefix(op, "Numeric"), cmpFloat(g, w)), nil
	case "DateEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals":
		g, ok1 := parseDate(got)
		w, ok2 := parseDate(want)
		if !ok1 || !ok2 {
			return false, errUnevaluable
		}
		return ordered(strings.TrimPrefix(op, "Date"), g.Compare(w)), nil
	case "IpAddress":
		addr, err := netip.ParseAddr(got)
		if err != nil {
			return false, errUnevaluable
		}
		pfx, ok := parseIPOrCIDR(want)
		if !ok {
			return false, errUnevaluable
		}
		return pfx.Contains(addr.Unmap()) || pfx.Contains(addr), nil
	}
	return false, errUnevaluable
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func ordered(rel string, c int) bool {
	switch rel {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThan":
		return c > 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

// parseDate accepts the forms IAM documents: ISO 8601 (with or without time)
// and epoch seconds.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

// parseIPOrCIDR reads an IpAddress operand: a CIDR block or a single address.
func parseIPOrCIDR(s string) (netip.Prefix, bool) {
	if pfx, err := netip.ParsePrefix(s); err == nil {
		return pfx, true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

func validIPOrCIDR(s string) bool {
	_, ok := parseIPOrCIDR(s)
	return ok
}
