// Package study is the domain of the study service: programmes, modules,
// lectures, enrolments and grades. It knows people only by their subject id
// (sub) from identity's tokens. The SQL store and the REST API live in the
// packages beside it.
package study
