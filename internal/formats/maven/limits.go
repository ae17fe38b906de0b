package maven

// Limits bound what a deploy may PUT: any file streams to the blob store
// within MaxFileBytes; a POM and maven-metadata.xml are parsed in memory, so
// they have their own, smaller limits.
type Limits struct {
	MaxFileBytes     int64 // --max-publish-bytes
	MaxPomBytes      int64
	MaxMetadataBytes int64
}

// DefaultLimits are the limits of `wharf serve` without flags.
func DefaultLimits() Limits {
	return Limits{MaxFileBytes: 2 << 30, MaxPomBytes: 16 << 20, MaxMetadataBytes: 4 << 20}
}

func (l *Limits) defaults() {
	d := DefaultLimits()
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.MaxPomBytes <= 0 {
		l.MaxPomBytes = d.MaxPomBytes
	}
	if l.MaxMetadataBytes <= 0 {
		l.MaxMetadataBytes = d.MaxMetadataBytes
	}
}
