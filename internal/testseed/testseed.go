package testseed

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Env names the environment variable that fixes the seed of every randomized test.
const Env = "COMETSYNC_SEED"

// Seed returns the seed of a randomized test: the value of COMETSYNC_SEED when set, else a
// fresh random one. It logs the seed with the command that reruns the test with it, and
// fails the test if COMETSYNC_SEED is not an unsigned decimal integer.
func Seed(t testing.TB) uint64 {
	t.Helper()
	seed, ok := fromEnv(t)
	if !ok {
		seed = rand.Uint64()
	}
	t.Logf("seed %d; rerun with %s", seed, Rerun(t, seed))
	return seed
}

// Seeds returns the seeds of a randomized test that runs several: the value of
// COMETSYNC_SEED alone when set, else fixed (to which a caller may add a fresh seed such
// as rand.Uint64()). It logs them with the command that reruns the test with one seed.
func Seeds(t testing.TB, fixed ...uint64) []uint64 {
	t.Helper()
	seeds := fixed
	if seed, ok := fromEnv(t); ok {
		seeds = []uint64{seed}
	}
	t.Logf("seeds %v; rerun one with %s", seeds, command(t, "<seed>"))
	return seeds
}

// Rerun returns the command that reruns the test t with seed:
// COMETSYNC_SEED=<seed> go test -run '^TestName$' ./pkg (subtests as '^TestName$/^sub$').
func Rerun(t testing.TB, seed uint64) string {
	return command(t, strconv.FormatUint(seed, 10))
}

func command(t testing.TB, seed string) string {
	return fmt.Sprintf("%s=%s go test -run '%s' %s", Env, seed, runPattern(t.Name()), packageDir())
}

func fromEnv(t testing.TB) (uint64, bool) {
	t.Helper()
	s := os.Getenv(Env)
	if s == "" {
		return 0, false
	}
	seed, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", Env, s, err)
	}
	return seed, true
}

// runPattern matches exactly the test (and subtest) named name.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

var packageDir = sync.OnceValue(func() string {
	wd, err := os.Getwd()
	if err != nil {
		return "./..."
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil {
				return "./..."
			}
			if rel == "." {
				return "."
			}
			return "./" + filepath.ToSlash(rel)
		}
		if filepath.Dir(dir) == dir {
			return "./..."
		}
	}
})
