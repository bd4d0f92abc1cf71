//go:build race

package main

// raceDetector is on: heap figures include its shadow memory and tests
// that measure memory skip.
const raceDetector = true
