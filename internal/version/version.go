// Package version holds wharf's version, set at build time with
// -ldflags "-X github.com/wharf-dev/wharf/internal/version.Version=v1.2.3".
package version

// Version is wharf's version.
var Version = "v0.1.0-dev"
