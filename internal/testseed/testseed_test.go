package testseed

import (
	"slices"
	"testing"
)

func TestSeedFromEnv(t *testing.T) {
	t.Setenv(Env, "42")
	if got := Seed(t); got != 42 {
		t.Fatalf("Seed = %d, want 42", got)
	}
	if got := Seeds(t, 1, 2, 3); !slices.Equal(got, []uint64{42}) {
		t.Fatalf("Seeds = %v, want [42]", got)
	}
}

func TestSeedsWithoutEnv(t *testing.T) {
	t.Setenv(Env, "")
	if got := Seeds(t, 1, 2, 3); !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Fatalf("Seeds = %v, want [1 2 3]", got)
	}
	if a, b := Seed(t), Seed(t); a == b {
		t.Fatalf("two fresh seeds are equal: %d", a)
	}
}

func TestRerun(t *testing.T) {
	want := "COMETSYNC_SEED=7 go test -run '^TestRerun$' ./internal/testseed"
	if got := Rerun(t, 7); got != want {
		t.Fatalf("Rerun = %q, want %q", got, want)
	}
	t.Run("sub test.1", func(t *testing.T) {
		want := "COMETSYNC_SEED=7 go test -run '^TestRerun$/^sub_test\\.1$' ./internal/testseed"
		if got := Rerun(t, 7); got != want {
			t.Fatalf("Rerun = %q, want %q", got, want)
		}
	})
}
