package store_test

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/internal/badgerx/damage"
	"github.com/cometsync/cometsync/internal/testseed"
	"github.com/cometsync/cometsync/mediator/store"
)

// TestOpenRefusesDamagedDatabase damages a closed mediator database each way the
// issue lists and checks that Open refuses it with an error matching badgerx.ErrCorrupt
// that names the mediator database, its directory and the rebuild by replay
// (cometsync mediator recover --wipe); once wiped, the database opens empty again.
func TestOpenRefusesDamagedDatabase(t *testing.T) {
	cases := []struct {
		name   string
		damage func(dir string, rng *rand.Rand) error
	}{
		{"garbage in a table", func(dir string, rng *rand.Rand) error { _, err := damage.GarbleTable(dir, rng, 4096); return err }},
		{"truncated table", func(dir string, rng *rand.Rand) error { _, err := damage.TruncateTable(dir, rng); return err }},
		{"deleted MANIFEST", func(dir string, _ *rand.Rand) error { return damage.DeleteManifest(dir) }},
		{"truncated MANIFEST", damage.TruncateManifest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seed := testseed.Seed(t)
			rng := rand.New(rand.NewPCG(seed, seed))
			home := t.TempDir()
			dir := filepath.Join(home, "db")
			s, err := store.Open(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Bind(store.Identity{Mediator: "MED::m1::1220aa", SynchronizerID: "sync::1220bb"}); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := c.damage(dir, rng); err != nil {
				t.Fatal(err)
			}
			_, err = store.Open(dir, nil)
			if !errors.Is(err, badgerx.ErrCorrupt) {
				t.Fatalf("open of a damaged database: %v", err)
			}
			for _, want := range []string{"mediator database", dir, "cometsync mediator recover --home HOME --wipe"} {
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q does not say %q", err, want)
				}
			}
			if err := badgerx.Wipe(dir, home, "mediator", "cometsync mediator start"); err != nil {
				t.Fatal(err)
			}
			s, err = store.Open(dir, nil)
			if err != nil {
				t.Fatalf("open after wipe: %v", err)
			}
			s.Close()
		})
	}
}
