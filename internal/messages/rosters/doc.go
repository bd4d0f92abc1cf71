// Package rosters keeps the messages service's course groups in step with
// the study service: it polls study's GET /v1/rosters (with If-None-Match,
// so an unchanged roster costs one tiny request) on one replica at a
// time, and hands a changed roster to the store's SyncCourseGroups.
//
// It is not the course groups' rules (who is admin, what happens to a
// group no longer listed): those are the store's.
package rosters
