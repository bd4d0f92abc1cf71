// Package api holds campus's OpenAPI documents, identity.yaml,
// study.yaml and messages.yaml, embedded so that each service serves the file in this
// directory itself and tests read the same bytes: there are no copies to
// keep current. It holds documents only, no code that serves them.
package api

import _ "embed"

// Identity is identity.yaml, the OpenAPI document of identity's REST API
// (/api/v1). Callers must not change the slice.
//
//go:embed identity.yaml
var Identity []byte

// Study is study.yaml, the OpenAPI document of the study API (/v1).
// Callers must not change the slice.
//
//go:embed study.yaml
var Study []byte

// Messages is messages.yaml, the OpenAPI document of the messages API
// (/v1). Callers must not change the slice.
//
//go:embed messages.yaml
var Messages []byte
