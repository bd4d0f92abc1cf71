// Package web is identity's HTTP surface. NewServer returns one handler,
// relative to the issuer's path, whose every route is listed in routes.go:
//
//   - the service's own: /healthz, /readyz, the service document, static files;
//   - signing in and out: the sign-in and consent pages (login.go), logout
//     and RP-initiated logout (logout.go), with the session cookie;
//   - the OpenID Provider's endpoints, served by zitadel/oidc's op.Provider
//     over oidcop's storage, and a corrected discovery document;
//   - self-registration (register.go, api_register.go), and the pages reached
//     from mail: address confirmation and password reset (recovery.go), and
//     the developer mailbox;
//   - the revocation feed that resource servers poll (revocations.go);
//   - the admin REST API under /api/v1 (api*.go): users, roles, audit,
//     mail, the directory sync, and people's self-service (their profile,
//     password, consents and API keys), each route with the permission it
//     needs; its OpenAPI document is embedded (api_openapi.go).
//
// It holds no SQL: accounts, sessions and tokens are in
// internal/identity/store (taken whole by the API, through LoginStore by
// sign-in). Token issuing, signing keys and the OpenID Provider's storage
// are in internal/identity/oidcop; the LDAP client in internal/identity/directory;
// mail composition in internal/identity/mailer. It does not mount itself:
// cmd/campus builds its dependencies and puts it under the issuer's path.
//
// Its HTTP behaviour is tested here, on harness_test.go (a SQLite store,
// the real provider, httptest); journeys across identity, study and the
// portal are tested through the binary in cmd/campus.
package web
