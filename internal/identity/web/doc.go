// Package web is identity's HTTP surface: its routes, and (as the identity
// issues land) the login pages, the OpenID Provider endpoints and the admin
// REST API. It holds no SQL; it talks to the store through interfaces.
package web
