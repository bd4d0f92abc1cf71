// Package ldaptest starts a real, throwaway OpenLDAP server (slapd) for
// tests of any package that talks to a directory: an mdb database in the
// test's temporary directory, the memberof overlay so that users get the
// memberOf attribute as in Active Directory, one group, and helpers to add
// users and change the group. Each server is owned by one test and stopped
// when it ends; Stop and Restart let tests see the directory go down.
//
// It is test support only: nothing outside _test.go files imports it, and
// it never touches a system-wide slapd.
package ldaptest
