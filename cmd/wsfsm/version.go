package main

import (
	"runtime/debug"
	"strings"
)

// versionLine is what `wsfsm version` prints: the module version the binary
// was built from (v1.2.3 from `go install ...@v1.2.3`, a pseudo-version or
// "(devel)" from a checkout), the commit and whether the tree was modified
// when the build stamped them, and the Go version.
func versionLine() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "wsfsm (unknown version: built without module information)"
	}
	return formatVersion(info)
}

func formatVersion(info *debug.BuildInfo) string {
	parts := []string{"wsfsm", info.Main.Version}
	if info.Main.Version == "" {
		parts[1] = "(unknown version)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" && !strings.Contains(info.Main.Version, rev[:min(12, len(rev))]) {
		c := "commit " + rev[:min(12, len(rev))]
		if t := settings["vcs.time"]; t != "" {
			c += " " + t
		}
		if settings["vcs.modified"] == "true" {
			c += " (modified)"
		}
		parts = append(parts, c)
	}
	parts = append(parts, info.GoVersion)
	return strings.Join(parts, " ")
}
