//go:build race

package cursor

// raceEnabled says the race detector is on: large inputs shrink, since
// instrumented code runs many times slower.
const raceEnabled = true
