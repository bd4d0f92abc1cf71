// Package api is the study service's REST API under /v1 (mounted at
// /study/v1 in all-in-one mode), described by api/study.yaml.
package api
