// Package rest is the one toolkit of campus's two REST APIs (identity's
// /api/v1 and the study API's /v1): strict JSON bodies with every field
// error reported at once, JSON answers with an ETag, If-Match with the
// strong comparison, the Bearer challenge of RFC 6750 and list parameters
// (limit, cursor). Errors are RFC 9457 problem details written by package
// problem.
//
// It holds the shape of the APIs, not their meaning: which store error
// becomes which status, who may call what and which changes need If-Match
// stay with each service.
package rest
