package procnet

import (
	"context"
	"errors"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cometsync/cometsync/internal/badgerx/damage"
	"github.com/cometsync/cometsync/internal/testseed"
)

// TestDamagedAppDBStopsTheProcess puts random bytes inside a table of a stopped
// validator's application database: `cometsync node start` exits non-zero at once (no
// panic, no process left half-alive) with an error naming the application database and
// `cometsync node recover --wipe`; after that command the node starts, rebuilds the
// state from its block store and has the app hashes it had before.
func TestDamagedAppDBStopsTheProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes")
	}
	seed := testseed.Seed(t)
	rng := rand.New(rand.NewPCG(seed, seed))
	m, err := Init(t.TempDir(), Options{Validators: 1, Participants: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := StartNode(m, 0, binary); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = StopNode(m, 0, 5*time.Second) })
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if err := WaitHeight(ctx, m, 0, 4); err != nil {
		t.Fatal(err)
	}
	top := Status(ctx, m)[0].Height
	want := map[int64]string{}
	for h := int64(1); h < top; h++ {
		if want[h], err = AppHashAt(ctx, m, 0, h); err != nil {
			t.Fatal(err)
		}
	}
	if err := StopNode(m, 0, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	home := m.Nodes[0].Home
	if _, err := damage.GarbleTable(filepath.Join(home, "data", "app"), rng, 4096); err != nil {
		t.Fatal(err)
	}

	out, err := exec.CommandContext(ctx, binary, "node", "start", "--home", home).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || ctx.Err() != nil {
		t.Fatalf("node start over a damaged database: %v\n%s", err, out)
	}
	for _, s := range []string{"application database", "is damaged", "cometsync node recover --home HOME --wipe"} {
		if !strings.Contains(string(out), s) {
			t.Fatalf("node start output does not say %q:\n%s", s, out)
		}
	}
	if strings.Contains(string(out), "panic") {
		t.Fatalf("node start panicked:\n%s", out)
	}

	if out, err := exec.CommandContext(ctx, binary, "node", "recover", "--home", home, "--wipe").CombinedOutput(); err != nil {
		t.Fatalf("node recover --wipe: %v\n%s", err, out)
	}
	if err := StartNode(m, 0, binary); err != nil {
		t.Fatal(err)
	}
	if err := WaitHeight(ctx, m, 0, top+1); err != nil {
		t.Fatal(err)
	}
	for h := int64(1); h < top; h++ {
		if got, err := AppHashAt(ctx, m, 0, h); err != nil || got != want[h] {
			t.Fatalf("app hash at %d after the rebuild %s (%v), before %s", h, got, err, want[h])
		}
	}
}
