package rubygems

import (
	"bytes"
	"compress/zlib"
	"sort"
	"strings"
)

// A minimal writer of Ruby's Marshal format 4.8, for the two documents
// RubyGems clients read in it: the dependency API's answer and the
// quick/Marshal.4.8 gemspecs `gem install` loads. It writes only what those
// need: nil, booleans, small integers, UTF-8 strings, symbols, arrays, hashes,
// plain objects and the classes that dump themselves.
type marshal struct {
	b    bytes.Buffer
	syms map[string]int
}

func newMarshal() *marshal {
	m := &marshal{syms: map[string]int{}}
	m.b.Write([]byte{4, 8})
	return m
}

func (m *marshal) int(n int) {
	m.b.WriteByte('i')
	m.long(n)
}

// long is Marshal's variable-length integer.
func (m *marshal) long(n int) {
	switch {
	case n == 0:
		m.b.WriteByte(0)
	case n > 0 && n < 123:
		m.b.WriteByte(byte(n + 5))
	case n < 0 && n > -124:
		m.b.WriteByte(byte(n - 5))
	default:
		var buf []byte
		x := n
		for i := 0; i < 4; i++ {
			buf = append(buf, byte(x))
			x >>= 8
			if (n >= 0 && x == 0) || (n < 0 && x == -1) {
				break
			}
		}
		if n >= 0 {
			m.b.WriteByte(byte(len(buf)))
		} else {
			m.b.WriteByte(byte(-len(buf)))
		}
		m.b.Write(buf)
	}
}

func (m *marshal) bytes(s string) {
	m.long(len(s))
	m.b.WriteString(s)
}

func (m *marshal) symbol(s string) {
	if i, ok := m.syms[s]; ok {
		m.b.WriteByte(';')
		m.long(i)
		return
	}
	m.syms[s] = len(m.syms)
	m.b.WriteByte(':')
	m.bytes(s)
}

// str writes a UTF-8 string (a String with the E=true encoding ivar).
func (m *marshal) str(s string) {
	m.b.WriteString(`I"`)
	m.bytes(s)
	m.long(1)
	m.symbol("E")
	m.b.WriteByte('T')
}

func (m *marshal) nilOr(s string) {
	if s == "" {
		m.b.WriteByte('0')
		return
	}
	m.str(s)
}

func (m *marshal) bool(v bool) {
	if v {
		m.b.WriteByte('T')
	} else {
		m.b.WriteByte('F')
	}
}

func (m *marshal) array(n int) {
	m.b.WriteByte('[')
	m.long(n)
}

func (m *marshal) hash(n int) {
	m.b.WriteByte('{')
	m.long(n)
}

func (m *marshal) strings(ss []string) {
	m.array(len(ss))
	for _, s := range ss {
		m.str(s)
	}
}

// version writes a Gem::Version (marshal_dump: [version]).
func (m *marshal) version(v string) {
	m.b.WriteByte('U')
	m.symbol("Gem::Version")
	m.array(1)
	m.str(v)
}

// requirement writes a Gem::Requirement (marshal_dump: [[[op, version], ...]]).
func (m *marshal) requirement(reqs []string) {
	if len(reqs) == 0 {
		reqs = []string{">= 0"}
	}
	m.b.WriteByte('U')
	m.symbol("Gem::Requirement")
	m.array(1)
	m.array(len(reqs))
	for _, r := range reqs {
		op, v, ok := strings.Cut(r, " ")
		if !ok {
			op, v = "=", r
		}
		m.array(2)
		m.str(op)
		m.version(v)
	}
}

// DependencyAPI renders /api/v1/dependencies: a marshalled array of
// {name:, number:, platform:, dependencies: [[name, "req, req"]]}.
func DependencyAPI(specs []Spec) []byte {
	m := newMarshal()
	m.array(len(specs))
	for _, s := range specs {
		m.hash(4)
		m.symbol("name")
		m.str(s.Name)
		m.symbol("number")
		m.str(s.Version)
		m.symbol("platform")
		m.str(s.Platform)
		m.symbol("dependencies")
		deps := s.Runtime()
		m.array(len(deps))
		for _, d := range deps {
			rs := d.Reqs
			if len(rs) == 0 {
				rs = []string{">= 0"}
			}
			m.array(2)
			m.str(d.Name)
			m.str(strings.Join(rs, ", "))
		}
	}
	return m.b.Bytes()
}

// GemspecRZ renders quick/Marshal.4.8/NAME-VERSION.gemspec.rz: the spec as
// Gem::Specification#_dump writes it, deflated. Fields wharf does not keep
// (email, files, metadata) are empty; the date is left for RubyGems to fill.
func GemspecRZ(s Spec) []byte {
	in := newMarshal()
	in.array(19)
	in.str("3.3.15") // rubygems_version
	in.int(4)        // specification_version
	in.str(s.Name)
	in.version(s.Version)
	in.b.WriteByte('0') // date
	in.nilOr(s.Summary)
	in.requirement(s.RequiredRuby)
	in.requirement(s.RequiredRubygems)
	in.str(s.Platform) // original_platform
	deps := append([]Dep(nil), s.Deps...)
	sort.SliceStable(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	in.array(len(deps))
	for _, d := range deps {
		in.b.WriteByte('o')
		in.symbol("Gem::Dependency")
		in.long(4)
		in.symbol("@name")
		in.str(d.Name)
		in.symbol("@requirement")
		in.requirement(d.Reqs)
		in.symbol("@type")
		in.symbol(d.Type)
		in.symbol("@prerelease")
		in.bool(false)
	}
	in.str("") // rubyforge_project
	in.b.WriteByte('0')
	in.strings(s.Authors)
	in.nilOr(s.Description)
	in.nilOr(s.Homepage)
	in.bool(true)      // has_rdoc
	in.str(s.Platform) // new_platform
	in.strings(s.Licenses)
	in.hash(0) // metadata

	out := newMarshal()
	out.b.WriteByte('u')
	out.symbol("Gem::Specification")
	out.bytes(in.b.String())
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(out.b.Bytes())
	_ = zw.Close()
	return z.Bytes()
}
