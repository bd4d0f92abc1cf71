package service

import (
	"reflect"
	"slices"
	"testing"
)

// The clients 'campus clients add --portal/--study' registers are the ones
// all-in-one mode registers, apart from the secret and where they came from.
func TestBuiltinClientsMatchAllInOne(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	for name, pair := range map[string][2]func() any{
		"portal": {func() any {
			c := portalClient("https://campus.uni.example", secret)
			c.SecretHash, c.Source = "", ""
			return c
		},
			func() any { return PortalClient("https://campus.uni.example/") }},
		"study": {func() any { c := studyClient(secret); c.SecretHash, c.Source = "", ""; return c },
			func() any { return StudyClient() }},
		"messages": {func() any { c := messagesClient(secret); c.SecretHash, c.Source = "", ""; return c },
			func() any { return MessagesClient() }},
	} {
		if a, b := pair[0](), pair[1](); !reflect.DeepEqual(a, b) {
			t.Errorf("%s: all-in-one %+v\napart %+v", name, a, b)
		}
	}
	p := PortalClient("https://campus.uni.example")
	if p.BackchannelLogoutURI != "https://campus.uni.example/auth/backchannel-logout" || !p.FirstParty ||
		!slices.Contains(p.Scopes, "users:read") || !slices.Contains(p.Scopes, "roles:write") {
		t.Errorf("portal client %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
	s := StudyClient()
	if err := s.Validate(); err != nil {
		t.Error(err)
	}
	if !slices.Contains(s.Scopes, "messages:notify") {
		t.Errorf("study client %+v cannot send notices", s)
	}
	m := MessagesClient()
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
	for _, sc := range []string{"people:read", "mail:send", "rosters:read"} {
		if !slices.Contains(m.Scopes, sc) {
			t.Errorf("messages client %+v lacks %s", m, sc)
		}
	}
}
