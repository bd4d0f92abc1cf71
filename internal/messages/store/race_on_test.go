//go:build race

package store_test

// raceDetector is on: it slows SQLite's transpiled C several times, so
// tests that bound a duration allow for it.
const raceDetector = true
