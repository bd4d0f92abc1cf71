// Package portal is the web client of campus: server-rendered pages for
// students, staff and administrators that sign in through identity (an OIDC
// relying party) and join identity and study. Templates and static assets
// are embedded; nothing is loaded from another origin.
package portal
