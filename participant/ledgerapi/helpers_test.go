package ledgerapi_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/examples"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/participant/ledgerapi"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

const (
	bank  ledger.Party = "Bank::1220aa"
	alice ledger.Party = "Alice::1220bb"
	bob   ledger.Party = "Bob::1220cc"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// fakeBackend is an in-memory participant: Submit interprets the command against its
// active contracts and commits the effects at once (or rejects with rejectReason).
type fakeBackend struct {
	pkgs *ledger.PackageSet

	mu           sync.Mutex
	acs          ledger.ContractMap
	all          ledger.ContractMap
	updates      []ledgerapi.Update
	parties      []ledger.Party
	rejectReason string
	outcomes     []commitments.Outcome
	changed      chan struct{} // closed and replaced at each commit
}

func newFakeBackend(t *testing.T) *fakeBackend {
	t.Helper()
	src, err := examples.FS.ReadFile("iou.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := ledger.ParsePackage(src)
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := ledger.NewPackageSet(pkg)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeBackend{pkgs: pkgs, acs: ledger.ContractMap{}, all: ledger.ContractMap{},
		parties: []ledger.Party{bob, alice, bank}, changed: make(chan struct{})}
}

func (b *fakeBackend) Packages() *ledger.PackageSet { return b.pkgs }

func (b *fakeBackend) SubmitAsync(context.Context, ledger.Command, ledgerapi.SubmitOptions) error {
	return fmt.Errorf("not in the fake backend")
}

func (b *fakeBackend) CompletionsFrom(ctx context.Context, _ int64) ([]ledgerapi.Completion, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (b *fakeBackend) Submit(ctx context.Context, cmd ledger.Command, _ ledgerapi.SubmitOptions) (ledgerapi.Update, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return ledgerapi.Update{}, err
	}
	if b.rejectReason != "" {
		return ledgerapi.Update{}, fmt.Errorf("%w: %s", ledgerapi.ErrRejected, b.rejectReason)
	}
	offset := int64(len(b.updates) + 1)
	seed := ledger.Seed(sha256.Sum256([]byte(fmt.Sprint("seed", offset))))
	tx, err := ledger.Interpret(b.pkgs, cmd, b.acs, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), seed)
	if err != nil {
		return ledgerapi.Update{}, err
	}
	eff := tx.Effects()
	u := ledgerapi.Update{Offset: offset, RequestID: 1000 * offset, RootHash: fmt.Sprintf("root%d", offset),
		Created: eff.Created, Archived: eff.Archived}
	for _, id := range eff.Archived {
		delete(b.acs, id)
	}
	b.acs.Add(eff.Created...)
	b.all.Add(eff.Created...)
	b.updates = append(b.updates, u)
	close(b.changed)
	b.changed = make(chan struct{})
	return u, nil
}

func (b *fakeBackend) ActiveContracts() (ledger.ContractMap, int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := ledger.ContractMap{}
	for id, c := range b.acs {
		out[id] = c
	}
	return out, int64(len(b.updates))
}

func (b *fakeBackend) LedgerEnd() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int64(len(b.updates))
}

func (b *fakeBackend) Contract(id ledger.ContractID) (*ledger.Contract, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.all[id]
	return c, ok
}

func (b *fakeBackend) UpdatesFrom(ctx context.Context, from int64) ([]ledgerapi.Update, error) {
	for {
		b.mu.Lock()
		if int64(len(b.updates)) >= from {
			out := append([]ledgerapi.Update(nil), b.updates[max(from, 1)-1:]...)
			b.mu.Unlock()
			return out, nil
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (b *fakeBackend) UpdateAt(offset int64) (ledgerapi.Update, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if offset < 1 || offset > int64(len(b.updates)) {
		return ledgerapi.Update{}, false, nil
	}
	return b.updates[offset-1], true, nil
}

func (b *fakeBackend) UpdateByID(id string) (ledgerapi.Update, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, u := range b.updates {
		if u.RootHash == id {
			return u, true, nil
		}
	}
	return ledgerapi.Update{}, false, nil
}

func (b *fakeBackend) AllocateParty(_ context.Context, hint string) (ledger.Party, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := ledger.Party(hint + "::1220ff")
	b.parties = append(b.parties, p)
	return p, nil
}

func (b *fakeBackend) HostedParties() []ledger.Party {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]ledger.Party(nil), b.parties...)
}

// env is a Ledger API server over a fake backend on a loopback port, with users:
// participant_admin (bootstrapped), bank, alice and bob acting as their parties, and
// auditor reading as alice.
type env struct {
	backend *fakeBackend
	users   *ledgerapi.Users
	clock   *clock
	conn    *grpc.ClientConn
	cmd     pb.CommandServiceClient
	state   pb.StateServiceClient
	upd     pb.UpdateServiceClient
	party   pb.PartyManagementServiceClient
	user    pb.UserManagementServiceClient
	pkg     pb.PackageServiceClient
}

type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

func newEnv(t *testing.T, mutate func(*ledgerapi.Auth)) *env {
	t.Helper()
	users := openUsers(t, t.TempDir())
	if err := ledgerapi.EnsureAdmin(users, ledgerapi.DefaultAdminUser); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		id     string
		rights []ledgerapi.Right
	}{
		{"bank", []ledgerapi.Right{ledgerapi.CanActAs(bank)}},
		{"alice", []ledgerapi.Right{ledgerapi.CanActAs(alice)}},
		{"bob", []ledgerapi.Right{ledgerapi.CanActAs(bob)}},
		{"auditor", []ledgerapi.Right{ledgerapi.CanReadAs(alice)}},
	} {
		if _, err := users.Create(ledgerapi.User{ID: u.id}, u.rights...); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{backend: newFakeBackend(t), users: users, clock: &clock{}}
	auth := ledgerapi.Auth{Secret: testSecret, Now: e.clock.now}
	if mutate != nil {
		mutate(&auth)
	}
	srv := ledgerapi.New(e.backend, users, auth, testLogger(t))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	e.conn, err = grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.conn.Close() })
	e.cmd, e.state, e.upd = pb.NewCommandServiceClient(e.conn), pb.NewStateServiceClient(e.conn), pb.NewUpdateServiceClient(e.conn)
	e.party, e.user, e.pkg = pb.NewPartyManagementServiceClient(e.conn), pb.NewUserManagementServiceClient(e.conn), pb.NewPackageServiceClient(e.conn)
	return e
}

func openUsers(t *testing.T, dir string) *ledgerapi.Users {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	users, err := ledgerapi.NewUsers(db)
	if err != nil {
		t.Fatal(err)
	}
	return users
}

// as returns a context carrying a fresh one-hour token of user.
func as(t *testing.T, user string) context.Context {
	t.Helper()
	tok, err := ledgerapi.MintToken(testSecret, user, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return withToken(t, tok)
}

func withToken(t *testing.T, tok string) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

// wantCode fails unless err is a status with code and a message containing msg.
func wantCode(t *testing.T, err error, code codes.Code, msg string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != code || !strings.Contains(st.Message(), msg) {
		t.Fatalf("got %v (%q), want %v containing %q", st.Code(), st.Message(), code, msg)
	}
}

// submit runs cmd (JSON) as user and returns the offset.
func (e *env) submit(t *testing.T, user, cmd string) int64 {
	t.Helper()
	resp, err := e.cmd.SubmitAndWait(as(t, user), &pb.SubmitAndWaitRequest{CommandJson: cmd})
	if err != nil {
		t.Fatalf("submit as %s: %v", user, err)
	}
	return resp.Offset
}

func proposeJSON(issuer, owner ledger.Party, amount string) string {
	return fmt.Sprintf(`{"actAs":[%q],"create":{"template":"iou:IouProposal","arguments":{"issuer":%q,"owner":%q,"amount":%q,"currency":"USD"}}}`,
		issuer, issuer, owner, amount)
}

func exerciseJSON(actAs ledger.Party, template, cid, choice string) string {
	return fmt.Sprintf(`{"actAs":[%q],"exercise":{"template":"iou:%s","contractId":%q,"choice":%q}}`, actAs, template, cid, choice)
}

func testLogger(t *testing.T) *slog.Logger {
	w := &tbWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tbWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *tbWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

// wantReason fails unless err is a status with code and an ErrorInfo of the Ledger API's
// domain with reason and exactly the metadata md.
func wantReason(t *testing.T, err error, code codes.Code, reason string, md map[string]string) {
	t.Helper()
	st, _ := status.FromError(err)
	info := ledgerapi.ErrorInfoOf(err)
	if st.Code() != code || info == nil || info.Reason != reason || !maps.Equal(info.Metadata, md) {
		t.Fatalf("got %v %v (%q), want %v %s %v", st.Code(), info, st.Message(), code, reason, md)
	}
}

// CommitmentOutcomes makes the fake backend a ledgerapi.CommitmentOutcomes.
func (b *fakeBackend) CommitmentOutcomes() []commitments.Outcome {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]commitments.Outcome(nil), b.outcomes...)
}
