// Package demo seeds a sample university into an empty campus: two
// Computer Science programmes with their modules and lectures in the study
// service, demo students and staff in identity, with enrolments and
// grades. It is used by `campus demo load` and `campus serve --demo`.
//
// It is not a service: it writes straight into the identity and study
// stores, which only it may do across services. The synthetic data for
// load tests is the study store's Generate.
package demo
