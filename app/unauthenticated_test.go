package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/chaintest"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
	"github.com/cometsync/cometsync/testnet"
	"github.com/cometsync/cometsync/topology"
)

// flood runs Challenge calls from one connection (one caller) on workers goroutines,
// alternating between target and made-up members, until stop.
type flood struct {
	calls, refused, issued atomic.Int64
	retryInfo              atomic.Bool // a refusal carried a RetryInfo
	reached                map[int64]chan struct{}
	wg                     sync.WaitGroup
	stop                   chan struct{}
	start                  time.Time
}

func startFlood(t *testing.T, c *rawClient, target string, workers int, thresholds ...int64) *flood {
	f := &flood{reached: make(map[int64]chan struct{}), stop: make(chan struct{}), start: time.Now()}
	for _, n := range thresholds {
		f.reached[n] = make(chan struct{})
	}
	k, _ := crypto.GenerateSigningKey(nil)
	for w := range workers {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-f.stop:
					return
				default:
				}
				member := target
				if i%2 == 1 {
					member = fmt.Sprintf("PAR::ghost-%d-%d::%s", w, i, k.Fingerprint())
				}
				_, err := c.auth.Challenge(context.Background(), &pb.ChallengeRequest{Member: member})
				f.record(t, err)
			}
		}()
	}
	return f
}

func (f *flood) record(t *testing.T, err error) {
	switch status.Code(err) {
	case codes.OK:
		f.issued.Add(1)
	case codes.ResourceExhausted:
		f.refused.Add(1)
		if _, ok := seqapi.RetryDelay(err); ok {
			f.retryInfo.Store(true)
		}
	default:
		t.Errorf("flood: %v", err)
	}
	if ch, ok := f.reached[f.calls.Add(1)]; ok {
		close(ch)
	}
}

// await returns once the flood has made n calls (n must be one of its thresholds).
func (f *flood) await(t *testing.T, n int64) {
	t.Helper()
	select {
	case <-f.reached[n]:
	case <-time.After(60 * time.Second):
		t.Fatalf("the flood made %d calls, not %d, within 60s", f.calls.Load(), n)
	}
}

func (f *flood) halt() (calls int64, elapsed time.Duration) {
	close(f.stop)
	f.wg.Wait()
	return f.calls.Load(), time.Since(f.start)
}

// TestChallengeFloodDoesNotLockOthersOut floods a real node with Challenge calls from
// one caller, half of them naming alice and half made-up members. While it runs, bob
// authenticates with plain calls, alice's driver client connects, and carol, not yet a
// member, onboards with the driver: all succeed, and the flooder is refused with
// ResourceExhausted and a RetryInfo.
func TestChallengeFloodDoesNotLockOthersOut(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice", "bob")})
	alice, bob := net.Member("alice"), net.Member("bob")
	f := startFlood(t, dialRaw(t, net.APIAddress(0)), alice.ID, 64, 2_000, 10_000)
	f.await(t, 2_000)

	bc := dialRaw(t, net.APIAddress(0))
	dc := driverClient(t, net, alice.ID, alice.Key)
	carol := newcomer(t, net, "carol")
	var wg sync.WaitGroup
	var bobTook, aliceTook, carolTook time.Duration
	wg.Add(3)
	go func() {
		defer wg.Done()
		start := time.Now()
		if err := bc.authenticate(t.Context(), bob); err != nil {
			t.Errorf("bob: %v", err)
		}
		bobTook = time.Since(start)
	}()
	go func() {
		defer wg.Done()
		start := time.Now()
		if err := dc.Connect(ctxTimeout(t, 30*time.Second)); err != nil {
			t.Errorf("alice's driver: %v", err)
		}
		aliceTook = time.Since(start)
	}()
	go func() {
		defer wg.Done()
		start := time.Now()
		if err := driver.Onboard(ctxTimeout(t, 60*time.Second), carol.cfg, carol.batch, nil); err != nil {
			t.Errorf("carol's onboarding: %v", err)
		}
		carolTook = time.Since(start)
	}()
	wg.Wait()
	f.await(t, 10_000)
	calls, elapsed := f.halt()
	t.Logf("flood: %d calls in %v (%.0f/s), %d issued, %d refused; bob authenticated in %v, alice's driver connected in %v, carol onboarded in %v",
		calls, elapsed.Round(time.Millisecond), float64(calls)/elapsed.Seconds(), f.issued.Load(), f.refused.Load(),
		bobTook.Round(time.Microsecond), aliceTook.Round(time.Microsecond), carolTook.Round(time.Millisecond))
	if f.refused.Load() == 0 || !f.retryInfo.Load() {
		t.Fatalf("the flooder was never refused with a RetryInfo (%d refused)", f.refused.Load())
	}
}

// TestChallengeAnswersAlikeOnNode: on a real node, Challenge for a member and for a
// made-up member look the same, and Authenticate refuses the made-up member exactly as
// the member with a wrong key.
func TestChallengeAnswersAlikeOnNode(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice", "bob")})
	alice, bob := net.Member("alice"), net.Member("bob")
	c := dialRaw(t, net.APIAddress(0))
	k, _ := crypto.GenerateSigningKey(nil)
	ghost, _ := crypto.NewMember(crypto.KindParticipant, "ghost", k.Fingerprint())
	refusal := func(member string, key crypto.SigningPrivateKey) (*pb.ChallengeResponse, error) {
		ch, err := c.auth.Challenge(t.Context(), &pb.ChallengeRequest{Member: member})
		if err != nil {
			t.Fatalf("challenge of %s: %v", member, err)
		}
		_, err = c.auth.Authenticate(t.Context(), &pb.AuthenticateRequest{Member: member, Nonce: ch.Nonce,
			Signature: key.SignHash(apiAuthHash(ch.Nonce, c.syncID)), KeyFingerprint: string(key.Fingerprint())})
		return ch, err
	}
	known, errKnown := refusal(alice.ID, bob.Key)
	unknown, errUnknown := refusal(ghost.String(), k)
	if len(known.Nonce) != seqapi.NonceSize || len(unknown.Nonce) != seqapi.NonceSize ||
		len(known.ExpectedKeyFingerprints) != 0 || len(unknown.ExpectedKeyFingerprints) != 0 {
		t.Fatalf("challenges differ: member %v, unknown %v", known, unknown)
	}
	sk, su := status.Convert(errKnown), status.Convert(errUnknown)
	rk, _ := seqapi.AuthRefusal(errKnown)
	ru, _ := seqapi.AuthRefusal(errUnknown)
	wantMsg := func(m string) string {
		return "authentication of " + m + " refused: the request is not signed by a current signing key of the member"
	}
	if sk.Code() != codes.Unauthenticated || sk.Code() != su.Code() || rk != seqapi.ReasonSignatureRefused || rk != ru ||
		sk.Message() != wantMsg(alice.ID) || su.Message() != wantMsg(ghost.String()) {
		t.Fatalf("refusals differ: member %v (%s), unknown %v (%s)", errKnown, rk, errUnknown, ru)
	}
	// The driver reports both as an unregistered key.
	for _, m := range []struct {
		id  string
		key crypto.SigningPrivateKey
	}{{alice.ID, bob.Key}, {ghost.String(), k}} {
		if err := driverClient(t, net, m.id, m.key).Connect(t.Context()); !errors.Is(err, driver.ErrKeyNotRegistered) {
			t.Fatalf("driver for %s: %v, want ErrKeyNotRegistered", m.id, err)
		}
	}
}

// TestTooLargeSubmissionIsTheSubmittersError: a submission over the node's mempool
// max_tx_bytes (2 MiB) is refused with InvalidArgument and the too_large code, both on
// a plain call and through the driver, which returns it without leaving the endpoint.
func TestTooLargeSubmissionIsTheSubmittersError(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice", "bob")})
	alice, bob := net.Member("alice"), net.Member("bob")
	c := dialRaw(t, net.APIAddress(0))
	big := bytes.Repeat([]byte("x"), 3<<20)
	_, err := c.seq.Send(c.login(t, alice), &pb.SendRequest{Submission: submission(alice.ID, alice.Key, "big", timeSoon(), big, to(bob.ID)...)})
	if code, _ := seqapi.SubmissionCode(err); status.Code(err) != codes.InvalidArgument || code != seqapi.CodeTooLarge {
		t.Fatalf("3 MiB submission: %v, want InvalidArgument too_large", err)
	}

	dc := driverClient(t, net, alice.ID, alice.Key)
	if err := dc.Connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	batch := &pb.Batch{Envelopes: []*pb.Envelope{{Recipients: to(bob.ID), Content: big}}}
	_, err = dc.Send(t.Context(), batch, driver.SendOptions{})
	var se *driver.SendError
	if !errors.As(err, &se) || se.Code != seqapi.CodeTooLarge || status.Code(err) != codes.InvalidArgument {
		t.Fatalf("driver: %v, want a SendError too_large with InvalidArgument", err)
	}
	if got := dc.Endpoint(); got != net.APIAddress(0) {
		t.Fatalf("the driver left its endpoint (now %q) over the submitter's own error", got)
	}
	if _, err := dc.Send(t.Context(), batchTo(bob.ID, "small"), driver.SendOptions{}); err != nil {
		t.Fatalf("a normal send afterwards: %v", err)
	}
}

func driverClient(t *testing.T, net *testnet.Network, member string, key crypto.SigningPrivateKey) *driver.Client {
	t.Helper()
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.Member, cfg.SigningKey = []string{net.APIAddress(0)}, member, key
	dc, err := driver.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.Close() })
	return dc
}

// newcomerSpec is a participant that is not a member yet: its driver config and its
// onboarding batch (root certificate and OwnerToKeyMapping) for driver.Onboard.
type newcomerSpec struct {
	cfg   driver.Config
	batch *pb.Batch
}

func newcomer(t *testing.T, net *testnet.Network, name string) newcomerSpec {
	k, _ := crypto.GenerateSigningKey(nil)
	m, _ := crypto.NewMember(crypto.KindParticipant, name, k.Fingerprint())
	batch := &pb.Batch{Envelopes: []*pb.Envelope{
		topoEnvelope(t, topology.NewRootCertificate(k.Public()), k),
		topoEnvelope(t, topology.NewOwnerToKeyMapping(m, []crypto.SigningPublicKey{k.Public()}), k),
	}}
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.Member, cfg.SigningKey = []string{net.APIAddress(0)}, m.String(), k
	return newcomerSpec{cfg: cfg, batch: batch}
}

// authenticate runs Challenge and Authenticate for m, returning the first error (for
// goroutines, where login's t.Fatal may not run).
func (c *rawClient) authenticate(ctx context.Context, m testnet.Member) error {
	ch, err := c.auth.Challenge(ctx, &pb.ChallengeRequest{Member: m.ID})
	if err != nil {
		return fmt.Errorf("challenge: %w", err)
	}
	_, err = c.auth.Authenticate(ctx, &pb.AuthenticateRequest{Member: m.ID, Nonce: ch.Nonce,
		Signature: m.Key.SignHash(apiAuthHash(ch.Nonce, c.syncID)), KeyFingerprint: string(m.Key.Fingerprint())})
	if err != nil {
		return fmt.Errorf("authenticate: %w", err)
	}
	return nil
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func batchTo(to string, content string) *pb.Batch {
	return &pb.Batch{Envelopes: []*pb.Envelope{{Recipients: []*pb.Recipient{{Member: to}}, Content: []byte(content)}}}
}
