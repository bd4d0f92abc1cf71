package ldaptest_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"campus/internal/identity/directory/ldaptest"
)

// search returns the entries below the base that match filter, by uid,
// with the values of attr.
func search(t *testing.T, srv *ldaptest.Server, filter, attr string) map[string][]string {
	t.Helper()
	c, err := ldap.DialURL(srv.URL)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if err := c.Bind(srv.AdminDN, srv.AdminPassword); err != nil {
		t.Fatalf("bind: %v", err)
	}
	res, err := c.SearchWithPaging(ldap.NewSearchRequest(srv.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		0, 0, false, filter, []string{"uid", attr}, nil), 1000)
	if err != nil {
		t.Fatalf("search %s: %v", filter, err)
	}
	got := map[string][]string{}
	for _, e := range res.Entries {
		got[e.GetAttributeValue("uid")] = e.GetAttributeValues(attr)
	}
	return got
}

func TestMemberOf(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	srv.AddUsers(t, []ldaptest.User{{UID: "ann", Password: "pw"}, {UID: "ben"}}, true)
	srv.AddUsers(t, []ldaptest.User{{UID: "cid"}}, false)

	people := "(objectClass=inetOrgPerson)"
	want := map[string][]string{"ann": {srv.GroupDN}, "ben": {srv.GroupDN}, "cid": nil}
	if got := search(t, srv, people, "memberOf"); !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("memberOf after AddUsers = %v, want %v", got, want)
	}

	srv.RemoveFromGroup(t, "ann")
	srv.AddToGroup(t, "cid")
	want = map[string][]string{"ann": nil, "ben": {srv.GroupDN}, "cid": {srv.GroupDN}}
	if got := search(t, srv, people, "memberOf"); !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("memberOf after a group change = %v, want %v", got, want)
	}

	srv.Modify(t, "ben", map[string]string{"mail": "ben@uni.example"})
	if got := search(t, srv, "(uid=ben)", "mail"); !slices.Equal(got["ben"], []string{"ben@uni.example"}) {
		t.Errorf("mail after Modify = %v", got["ben"])
	}
	srv.Modify(t, "ben", map[string]string{"mail": ""})
	if got := search(t, srv, "(uid=ben)", "mail"); len(got["ben"]) != 0 {
		t.Errorf("mail after Modify to empty = %v, want none", got["ben"])
	}
}

func TestStopRestart(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	srv.AddUsers(t, []ldaptest.User{{UID: "ann", Password: "pw"}}, true)

	srv.Stop()
	if c, err := ldap.DialURL(srv.URL); err == nil {
		c.Close()
		t.Fatal("the server still accepts connections after Stop")
	}
	srv.Stop() // a second Stop does nothing

	srv.Restart(t)
	c, err := ldap.DialURL(srv.URL)
	if err != nil {
		t.Fatalf("dial after Restart: %v", err)
	}
	defer c.Close()
	if err := c.Bind(srv.UserDN("ann"), "pw"); err != nil {
		t.Errorf("bind as a user added before the restart: %v", err)
	}
}

// TestAddUsers10000 keeps the harness fast enough for tests of large
// groups: other packages rely on it.
func TestAddUsers10000(t *testing.T) {
	if testing.Short() {
		t.Skip("adds 10,000 entries")
	}
	t.Parallel()
	srv := ldaptest.Start(t)
	users := make([]ldaptest.User, 10000)
	for i := range users {
		users[i] = ldaptest.User{UID: fmt.Sprintf("u%05d", i), Email: fmt.Sprintf("u%05d@uni.example", i), Password: "pw"}
	}
	start := time.Now()
	srv.AddUsers(t, users, true)
	took := time.Since(start)
	t.Logf("added 10,000 members in %v", took)
	if took > 30*time.Second {
		t.Errorf("adding 10,000 members took %v, want well under 30s", took)
	}
	if got := search(t, srv, "(memberOf="+ldap.EscapeFilter(srv.GroupDN)+")", "uid"); len(got) != len(users) {
		t.Errorf("%d entries have memberOf, want %d", len(got), len(users))
	}
}
