package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"campus/internal/messages"
	"campus/internal/problem"
)

// errPeopleUnavailable means identity could not say who exists: nothing
// is written to people who may not exist (or may be disabled).
var errPeopleUnavailable = errors.New("identity cannot say who exists")

// rank orders reaches from narrowest to widest.
func rank(r messages.Reach) int {
	switch r {
	case messages.ReachProgramme:
		return 1
	case messages.ReachAnyone:
		return 2
	}
	return 0
}

// widest is the widest reach from any of the roles from to any of the
// roles to (messages.Rules: a person with several roles gets the widest).
func widest(rules messages.Rules, from, to []string) messages.Reach {
	best := messages.ReachNone
	for _, f := range from {
		for _, t := range to {
			if r := rules.Reach[f][t]; rank(r) > rank(best) {
				best = r
			}
		}
	}
	return best
}

// unreachable returns those of targets the caller may not write to: who
// identity does not know (or has disabled), and who the rules put out of
// the caller's reach. The caller's roles are the token's; the targets'
// are identity's (People). Without People the targets' roles are
// unknown, so only people sharing a course group with the caller can be
// reached, and only by a caller whose roles reach some role that far.
func (s *server) unreachable(ctx context.Context, p *Principal, targets []string) ([]string, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	rules, err := s.store.Rules(ctx)
	if err != nil {
		return nil, err
	}
	var known map[string]messages.Person
	if s.people != nil {
		known, err = s.people.Lookup(ctx, targets)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errPeopleUnavailable, err)
		}
	}
	var out []string
	for _, t := range targets {
		var reach messages.Reach
		if s.people != nil {
			person, ok := known[t]
			if !ok {
				out = append(out, t)
				continue
			}
			reach = widest(rules, p.Roles, person.Roles)
		} else {
			reach = messages.ReachNone
			for _, f := range p.Roles {
				for _, r := range rules.Reach[f] {
					if rank(r) > 0 {
						reach = messages.ReachProgramme
					}
				}
			}
		}
		switch reach {
		case messages.ReachAnyone:
			continue
		case messages.ReachProgramme:
			shares, err := s.store.SharesCourseGroup(ctx, p.Subject, t)
			if err != nil {
				return nil, err
			}
			if shares {
				continue
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// mayCreateGroups tells whether one of the caller's roles may create
// groups.
func mayCreateGroups(rules messages.Rules, roles []string) bool {
	return slices.ContainsFunc(roles, func(r string) bool { return slices.Contains(rules.GroupCreators, r) })
}

// peopleUnavailable answers 503 when identity cannot say who exists.
func peopleUnavailable(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "5")
	problem.Write(w, problem.Details{Status: http.StatusServiceUnavailable, Title: "Identity not reachable",
		Detail: "Identity, which knows who exists, cannot be reached to check the people named; nothing was changed. Try again shortly."})
}
