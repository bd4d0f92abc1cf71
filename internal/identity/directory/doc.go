// Package directory reads the members of one group of an LDAP directory
// (Active Directory or OpenLDAP) and checks their passwords by an LDAP bind.
// Identity uses it to import accounts from the group and to let accounts
// linked to the directory sign in with their directory password.
//
// Members are found through the memberOf attribute of the user entries,
// with a paged subtree search (RFC 2696), and not through the member
// attribute of the group entry. Active Directory returns at most 1,500
// values of a multi-valued attribute at once and then switches to ranged
// retrieval (member;range=0-1499, member;range=1500-2999, ...), which would
// need its own loop and gives no attributes of the users; the paged search
// has neither problem and scales to groups of tens of thousands. Members of
// nested groups are not followed: only direct members of the group count.
//
// Authenticate binds as the user on a connection of its own, so that the
// service connection never changes identity.
//
// The sync runs on one replica at a time: it holds a short lease in
// identity's store, renewed by a heartbeat while it runs (Lease), and keeps
// its status there, where every replica reads it.
//
// The package does not store accounts, decide what an import changes, or
// cache anything: callers (identity) do that. It never writes to the
// directory.
package directory
