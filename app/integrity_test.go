package app_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/app"
	"github.com/cometsync/cometsync/app/api"
	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/internal/badgerx/damage"
	"github.com/cometsync/cometsync/internal/chaintest"
	"github.com/cometsync/cometsync/internal/testseed"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/testnet"
)

// TestDamagedAppDBIsRefusedThenRebuilt damages the application database (data/app) of
// a stopped validator each way the issue lists: random bytes inside a table, a table cut
// short, the MANIFEST deleted, the MANIFEST cut short. Each time the node refuses to
// start, with an error naming the application database, its directory and how to rebuild
// it (never a panic, never a node serving a database with data missing); then
// `node recover --wipe` (app.WipeAppDB) and a start rebuild it from the block store,
// with the same app hash and the same streams as before the damage.
func TestDamagedAppDBIsRefusedThenRebuilt(t *testing.T) {
	seed := testseed.Seed(t)
	rng := rand.New(rand.NewPCG(seed, seed))
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice", "bob", "carol")})
	alice, bob, carol := net.Member("alice"), net.Member("bob"), net.Member("carol")
	c := dialRaw(t, net.APIAddress(0))
	actx := c.login(t, alice)
	sendN(t, c, actx, alice, "to-bob", 4, bob.ID)
	sendN(t, c, actx, alice, "to-both", 4, bob.ID, carol.ID)
	before := map[string][]*pb.SequencedEvent{
		bob.ID:   c.readEvents(t, c.login(t, bob), bob.ID, 0, 8),
		carol.ID: c.readEvents(t, c.login(t, carol), carol.ID, 0, 4),
		alice.ID: c.readEvents(t, actx, alice.ID, 0, 8),
	}
	home := net.Homes[0].Home
	dir := app.AppDBDir(home)
	cases := []struct {
		name   string
		damage func() error
		reason string
	}{
		{"garbage in a table", func() error { _, err := damage.GarbleTable(dir, rng, 4096); return err }, ".sst"},
		{"truncated table", func() error { _, err := damage.TruncateTable(dir, rng); return err }, ".sst"},
		{"deleted MANIFEST", func() error { return damage.DeleteManifest(dir) }, "the MANIFEST is missing"},
		{"truncated MANIFEST", func() error { return damage.TruncateManifest(dir, rng) }, "the MANIFEST does not list"},
	}
	for _, tc := range cases {
		meta := net.Node(0).App().Meta()
		net.Stop(0)
		if err := tc.damage(); err != nil {
			t.Fatal(err)
		}
		err := net.Start(0)
		if err == nil {
			t.Fatalf("%s: the node started", tc.name)
		}
		t.Logf("%s: %v", tc.name, err)
		for _, want := range []string{"application database", dir, tc.reason, "cometsync node recover --home HOME --wipe"} {
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("%s: start error %q does not say %q", tc.name, err, want)
			}
		}
		if !errors.Is(err, badgerx.ErrCorrupt) {
			t.Fatalf("%s: start error %v does not match ErrCorrupt", tc.name, err)
		}
		if err := app.CheckAppDB(home); !errors.Is(err, badgerx.ErrCorrupt) {
			t.Fatalf("%s: CheckAppDB: %v", tc.name, err)
		}

		if err := app.WipeAppDB(home); err != nil {
			t.Fatalf("%s: wipe: %v", tc.name, err)
		}
		if err := net.Start(0); err != nil {
			t.Fatalf("%s: start after wipe: %v", tc.name, err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		if err := net.WaitHeight(ctx, 0, meta.Height+1); err != nil {
			t.Fatal(err)
		}
		cancel()
		if got := net.AppHashAt(0, meta.Height); !bytes.Equal(got, meta.AppHash) {
			t.Fatalf("%s: app hash at %d after rebuild %X, before %X", tc.name, meta.Height, got, meta.AppHash)
		}
		c = dialRaw(t, net.APIAddress(0))
		for _, m := range []testnet.Member{alice, bob, carol} {
			sameEvents(t, tc.name+": "+m.ID, c.readEvents(t, c.login(t, m), m.ID, 0, len(before[m.ID])), before[m.ID])
		}
	}
}

// TestAppDBDamagedWhileServingStopsTheNode damages every table of a running node's
// application database under it, while bob follows his stream. Badger reports a block
// failing its checksum as a missing key, so what the node meets is a read that comes back
// short (the sequencer API's stream check) or a block that cannot execute; either goes to
// the node's judgement (api.FailureJudge, as the API calls it), which verifies the
// database, finds the damage and stops the node: bob's stream ends with
// FailedPrecondition naming the damage (members move to another node), readiness turns
// NOT_SERVING, Done is closed and Err names the application database and how to rebuild
// it. A read failure without damage does not stop the node.
func TestAppDBDamagedWhileServingStopsTheNode(t *testing.T) {
	seed := testseed.Seed(t)
	rng := rand.New(rand.NewPCG(seed, seed))
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice", "bob")})
	alice, bob := net.Member("alice"), net.Member("bob")
	c := dialRaw(t, net.APIAddress(0))
	sendN(t, c, c.login(t, alice), alice, "to-bob", 6, bob.ID)
	c.readEvents(t, c.login(t, bob), bob.ID, 0, 6)
	readFailure := errors.New("stream of bob holds 7 events but reading from 6 ends at 6")
	if err := net.Node(0).JudgeReadFailure(readFailure); err != nil {
		t.Fatalf("a healthy database judged failed: %v", err)
	}
	if err := net.Node(0).Err(); err != nil {
		t.Fatalf("a read failure over a healthy database stopped the node: %v", err)
	}
	// A restart flushes the state into table files (and starts a new judge: the healthy
	// verdict above answers for a minute).
	net.Stop(0)
	if err := net.Start(0); err != nil {
		t.Fatal(err)
	}
	node := net.Node(0)
	c = dialRaw(t, net.APIAddress(0))
	ctx, cancel := context.WithTimeout(c.login(t, bob), time.Minute)
	defer cancel()
	stream, err := c.seq.Subscribe(ctx, &pb.SubscribeRequest{Member: bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	for range 6 {
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	if err := damage.GarbleTables(app.AppDBDir(net.Homes[0].Home), rng); err != nil {
		t.Fatal(err)
	}
	if err := node.JudgeReadFailure(readFailure); !errors.Is(err, badgerx.ErrCorrupt) {
		t.Fatalf("damaged database judged %v", err)
	}
	_, err = stream.Recv()
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "application database") || !strings.Contains(err.Error(), "use another sequencer node") {
		t.Fatalf("stream ended with %v, want FailedPrecondition naming the damaged application database", err)
	}
	if h, err := healthpb.NewHealthClient(c.conn).Check(t.Context(), &healthpb.HealthCheckRequest{Service: api.ReadinessService}); err == nil && h.Status == healthpb.HealthCheckResponse_SERVING {
		t.Fatal("readiness still SERVING after the failure")
	}
	select {
	case <-node.Done():
	case <-ctx.Done():
		t.Fatal("the node did not stop")
	}
	if err := node.Err(); !errors.Is(err, app.ErrNodeFailed) || !errors.Is(err, badgerx.ErrCorrupt) || !strings.Contains(err.Error(), "cometsync node recover") {
		t.Fatalf("node error %v", err)
	}
	t.Logf("node stopped: %v", node.Err())
}

// TestPeriodicCheckFindsDamage runs a node with a short integrity_check_interval and
// damages its application database under it, with nothing reading the damaged data:
// the periodic check finds the damage and stops the node, naming the database.
func TestPeriodicCheckFindsDamage(t *testing.T) {
	seed := testseed.Seed(t)
	rng := rand.New(rand.NewPCG(seed, seed))
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice", "bob")})
	alice, bob := net.Member("alice"), net.Member("bob")
	c := dialRaw(t, net.APIAddress(0))
	sendN(t, c, c.login(t, alice), alice, "to-bob", 3, bob.ID)
	c.readEvents(t, c.login(t, bob), bob.ID, 0, 3)
	net.Stop(0)
	home := net.Homes[0].Home
	cfgPath := filepath.Join(home, "config", "cometsync.toml")
	toml, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	const line = `integrity_check_interval = "24h0m0s"`
	if !bytes.Contains(toml, []byte(line)) {
		t.Fatalf("cometsync.toml has no %s:\n%s", line, toml)
	}
	if err := os.WriteFile(cfgPath, bytes.Replace(toml, []byte(line), []byte(`integrity_check_interval = "20ms"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := net.Start(0); err != nil {
		t.Fatal(err)
	}
	node := net.Node(0)
	if err := damage.GarbleTables(app.AppDBDir(home), rng); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	select {
	case <-node.Done():
	case <-ctx.Done():
		t.Fatal("the node did not stop")
	}
	if err := node.Err(); !errors.Is(err, badgerx.ErrCorrupt) || !strings.Contains(err.Error(), "integrity_check_interval") || !strings.Contains(err.Error(), "application database") {
		t.Fatalf("node error %v", err)
	}
}
