package pypi

// Limits bound what one upload may send. The form fields are held in memory
// while the file streams to the blob store, so each is bounded, and so are
// their number and total; the file is bounded by MaxFileBytes.
type Limits struct {
	MaxFileBytes  int64 // the distribution file (--max-publish-bytes)
	MaxFields     int   // form fields besides the file
	MaxFieldBytes int64 // one field
	MaxFormBytes  int64 // all fields together
}

// DefaultLimits are the limits of `wharf serve` without flags.
func DefaultLimits() Limits {
	return Limits{MaxFileBytes: 2 << 30, MaxFields: 1024, MaxFieldBytes: 1 << 20, MaxFormBytes: 8 << 20}
}

func (l *Limits) defaults() {
	d := DefaultLimits()
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.MaxFields <= 0 {
		l.MaxFields = d.MaxFields
	}
	if l.MaxFieldBytes <= 0 {
		l.MaxFieldBytes = d.MaxFieldBytes
	}
	if l.MaxFormBytes <= 0 {
		l.MaxFormBytes = d.MaxFormBytes
	}
}
