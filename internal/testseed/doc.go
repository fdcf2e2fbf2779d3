// Package testseed is the one seed convention of cometsync's randomized tests.
//
// A randomized test takes its seed from [Seed] (one seed, fresh on every run) or its seeds
// from [Seeds] (a fixed set, optionally with a fresh one added by the caller). Both read a
// single environment variable, COMETSYNC_SEED ([Env]): when it is set, that seed alone is
// used, so a failure reproduces with
//
//	COMETSYNC_SEED=<seed> go test -run '^TestName$' ./pkg
//
// Both log the seed and that command through t.Logf, which go test shows when the test
// fails (and with -v); [Rerun] gives the command for a failure message.
//
//	func TestRandomized(t *testing.T) {
//		rng := rand.New(rand.NewPCG(testseed.Seed(t), 0))
//		...
//	}
//
// The package directory in the command is found from the working directory, which go
// test sets to the package under test, relative to the module root (the directory holding
// go.mod).
package testseed
