package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrHelp is returned by Load when --help or -h was given; the caller should
// print Usage and exit successfully.
var ErrHelp = errors.New("help requested")

// UsageError lists everything wrong with an invocation of a command.
type UsageError struct {
	Command  string
	Problems []string
}

func (e *UsageError) Error() string {
	name := "campus"
	if e.Command != "" {
		name += " " + e.Command
	}
	var b strings.Builder
	switch len(e.Problems) {
	case 0:
		fmt.Fprintf(&b, "%s: invalid usage\n", name)
	case 1:
		fmt.Fprintf(&b, "%s: %s\n", name, e.Problems[0])
	default:
		fmt.Fprintf(&b, "%s: %d problems:\n", name, len(e.Problems))
		for _, p := range e.Problems {
			fmt.Fprintf(&b, "  - %s\n", p)
		}
	}
	fmt.Fprintf(&b, "Run '%s --help' for usage.", name)
	return b.String()
}

// Problems combines the problems found by the last Load with extra errors,
// typically from a command's checks across settings, so that the user sees
// them all in one report. Nil errors are skipped; each line of an error
// becomes a problem, and errors joined by errors.Join are split. It returns
// a *UsageError, or nil if there are no problems.
func (s *Set) Problems(extra ...error) error {
	list := slices.Clone(s.problems)
	for _, err := range extra {
		list = appendError(list, err)
	}
	// Passing Load's own error back in must not list its problems twice.
	list = dedup(list)
	if len(list) == 0 {
		return nil
	}
	return &UsageError{Command: s.command, Problems: list}
}

func appendError(list []string, err error) []string {
	if err == nil {
		return list
	}
	if ue, ok := err.(*UsageError); ok {
		return append(list, ue.Problems...)
	}
	// Only split errors whose text is exactly that of their parts, as with
	// errors.Join; an error from fmt.Errorf with several %w verbs has
	// context of its own that splitting would lose.
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		parts := multi.Unwrap()
		texts := make([]string, 0, len(parts))
		for _, p := range parts {
			if p != nil {
				texts = append(texts, p.Error())
			}
		}
		if strings.Join(texts, "\n") == err.Error() {
			for _, p := range parts {
				list = appendError(list, p)
			}
			return list
		}
	}
	for line := range strings.SplitSeq(err.Error(), "\n") {
		if strings.TrimSpace(line) != "" {
			list = append(list, line)
		}
	}
	return list
}

func dedup(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := list[:0:0]
	for _, p := range list {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
