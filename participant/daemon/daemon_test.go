package daemon_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/cometsync/cometsync/app"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/crypto/keystore"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/chaintest"
	"github.com/cometsync/cometsync/ledger"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/daemon"
	"github.com/cometsync/cometsync/participant/ledgerapi"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
	"github.com/cometsync/cometsync/testnet"
)

// home is a participant home made by daemon.Init, with its key store unlocked.
type home struct {
	dir string
	o   daemon.Options
}

func newHome(t *testing.T, net *testnet.Network, name string) *home {
	t.Helper()
	dir := t.TempDir()
	wrapperFile := filepath.Join(dir, "wrapper.key")
	if err := keystore.NewKeyFile(wrapperFile); err != nil {
		t.Fatal(err)
	}
	kw, err := keystore.KeyFileWrapper(wrapperFile)
	if err != nil {
		t.Fatal(err)
	}
	c := daemon.DefaultConfig()
	c.Sequencers, c.Mediators = net.APIAddresses(), []string{net.Member("mediator").ID}
	ledgerAddr, err := app.FreeAddress()
	if err != nil {
		t.Fatal(err)
	}
	c.LedgerAPIAddress = ledgerAddr
	ks, err := keystore.Create(filepath.Join(dir, c.KeyStore), kw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, err = daemon.Init(dir, name, c, ks, crypto.SchemeX25519); err != nil {
		t.Fatal(err)
	}
	loaded, err := daemon.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Member != c.Member || loaded.LedgerAPIAddress != c.LedgerAPIAddress || len(loaded.Mediators) != 1 {
		t.Fatalf("participant.toml does not read back: %+v vs %+v", loaded, c)
	}
	return &home{dir: dir, o: daemon.Options{Home: dir, Config: loaded, Keys: ks}}
}

// client is a Ledger API client acting as one user.
type client struct {
	t    *testing.T
	conn *grpc.ClientConn
	ctx  context.Context
}

func (h *home) client(t *testing.T, ctx context.Context, d *daemon.Daemon, user string) *client {
	t.Helper()
	secret, err := ledgerapi.ReadSecretFile(filepath.Join(h.dir, h.o.Config.JWTSecretFile))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ledgerapi.MintToken(secret, user, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(d.LedgerAPI.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{t: t, conn: conn, ctx: metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)}
}

func (c *client) allocate(hint string) string {
	c.t.Helper()
	r, err := pb.NewPartyManagementServiceClient(c.conn).AllocateParty(c.ctx, &pb.AllocatePartyRequest{PartyIdHint: hint})
	if err != nil {
		c.t.Fatalf("allocate %s: %v", hint, err)
	}
	return r.Party
}

func (c *client) createUser(id, actAs string) {
	c.t.Helper()
	_, err := pb.NewUserManagementServiceClient(c.conn).CreateUser(c.ctx, &pb.CreateUserRequest{
		User:   &pb.User{Id: id, PrimaryParty: actAs},
		Rights: []*pb.Right{{Kind: pb.Right_KIND_CAN_ACT_AS, Party: actAs}},
	})
	if err != nil {
		c.t.Fatalf("create user %s: %v", id, err)
	}
}

func (c *client) submit(cmd string) (*pb.SubmitAndWaitResponse, error) {
	return pb.NewCommandServiceClient(c.conn).SubmitAndWait(c.ctx, &pb.SubmitAndWaitRequest{CommandJson: cmd})
}

func (c *client) acs(template string) []*pb.ActiveContract {
	c.t.Helper()
	r, err := pb.NewStateServiceClient(c.conn).GetActiveContracts(c.ctx, &pb.GetActiveContractsRequest{Template: template})
	if err != nil {
		c.t.Fatal(err)
	}
	return r.Contracts
}

// updates reads the update stream up to the ledger end.
func (c *client) updates() string {
	c.t.Helper()
	end, err := pb.NewStateServiceClient(c.conn).GetLedgerEnd(c.ctx, &pb.GetLedgerEndRequest{})
	if err != nil {
		c.t.Fatal(err)
	}
	s, err := pb.NewUpdateServiceClient(c.conn).GetUpdates(c.ctx, &pb.GetUpdatesRequest{BeginOffset: 1, EndOffset: end.Offset})
	if err != nil {
		c.t.Fatal(err)
	}
	var b strings.Builder
	for {
		u, err := s.Recv()
		if err == io.EOF {
			return b.String()
		}
		if err != nil {
			c.t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d %d %s +%d -%v\n", u.Offset, u.RequestIdMicros, u.RootHash, len(u.Created), u.Archived)
	}
}

// startChain starts a one-validator chain with a mediator member, closed when the test
// ends.
func startChain(t *testing.T) *testnet.Network {
	t.Helper()
	return chaintest.Start(t, testnet.Options{Validators: 1, Members: []testnet.MemberSpec{{Kind: crypto.KindMediator, Name: "mediator"}}})
}

// startMediator starts the chain's mediator node (serving metrics at metricsAddress
// unless empty), stopped when the test ends.
func startMediator(t *testing.T, ctx context.Context, net *testnet.Network, metricsAddress string) *mediatord.Node {
	t.Helper()
	med := net.Member("mediator")
	dcfg := driver.DefaultConfig()
	dcfg.Endpoints, dcfg.Member, dcfg.SigningKey = net.APIAddresses(), med.ID, med.Key
	medEnc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	mp, err := mediatord.StartNode(ctx, mediatord.NodeConfig{Driver: dcfg, EncryptionKey: medEnc, MetricsAddress: metricsAddress})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mp.Stop)
	return mp
}

// TestParticipantDaemonLedgerAPIAndRecovery: two participants made with daemon.Init,
// not in the genesis, onboard themselves on a real chain, serve the Ledger API, and run
// an IOU through it with JWT users holding act-as rights. One rotates its encryption key
// and transacts again; it is then wiped and recovered from the chain, opening views
// sealed to the old and the new key: same ACS hash, same update stream through the API.
func TestParticipantDaemonLedgerAPIAndRecovery(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	net := startChain(t)
	startMediator(t, ctx, net, "")

	bankHome, traderHome := newHome(t, net, "bankp"), newHome(t, net, "traderp")
	bankD, err := daemon.Start(ctx, bankHome.o)
	if err != nil {
		t.Fatalf("start the bank participant (onboarding): %v", err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			bankD.Stop()
		}
	})
	traderD, err := daemon.Start(ctx, traderHome.o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { traderD.Stop() })

	bankAdmin, traderAdmin := bankHome.client(t, ctx, bankD, "participant_admin"), traderHome.client(t, ctx, traderD, "participant_admin")
	bank, alice := bankAdmin.allocate("Bank"), traderAdmin.allocate("Alice")
	for _, d := range []*daemon.Daemon{bankD, traderD} {
		for _, p := range []string{bank, alice} {
			if err := d.Node.WaitHosted(ctx, ledger.Party(p)); err != nil {
				t.Fatal(err)
			}
		}
	}
	bankAdmin.createUser("bank-ops", bank)
	traderAdmin.createUser("alice", alice)
	bankOps, aliceC := bankHome.client(t, ctx, bankD, "bank-ops"), traderHome.client(t, ctx, traderD, "alice")

	propose := fmt.Sprintf(`{"actAs": [%q], "create": {"template": "iou:IouProposal", "arguments": {"issuer": %q, "owner": %q, "amount": "250.5", "currency": "CHF"}}}`, bank, bank, alice)
	if _, err := bankAdmin.submit(propose); err == nil {
		t.Fatal("the admin user submitted as Bank without an act-as right")
	}
	if _, err := bankOps.submit(propose); err != nil {
		t.Fatalf("propose through the Ledger API: %v", err)
	}
	if err := traderD.Node.WaitProgress(ctx, func(p participant.Progress) bool { return p.LedgerEnd >= 1 }); err != nil {
		t.Fatal(err)
	}
	props := aliceC.acs("iou:IouProposal")
	if len(props) != 1 || !strings.Contains(props[0].ArgumentsJson, "250.5") {
		t.Fatalf("alice sees proposals %v", props)
	}
	res, err := aliceC.submit(fmt.Sprintf(`{"actAs": [%q], "exercise": {"template": "iou:IouProposal", "contractId": %q, "choice": "Accept", "arguments": {}}}`, alice, props[0].ContractId))
	if err != nil {
		t.Fatalf("accept through the Ledger API: %v", err)
	}
	if res.Offset != 2 {
		t.Fatalf("the acceptance committed at offset %d at the trader, want 2", res.Offset)
	}
	if err := bankD.Node.WaitProgress(ctx, func(p participant.Progress) bool { return p.LedgerEnd >= 2 }); err != nil {
		t.Fatal(err)
	}
	if got := bankOps.acs("iou:Iou"); len(got) != 1 {
		t.Fatalf("bank sees %d IOUs", len(got))
	}
	// The bank rotates its encryption key: restarted, it registers the new key on-chain,
	// and the next transaction's views reach it sealed to the new key. Its history stays
	// sealed to the old one, which the key store keeps as superseded.
	if err := bankD.Stop(); err != nil {
		t.Fatal(err)
	}
	oldKey, _ := bankHome.o.Keys.EncryptionKey()
	if _, err := bankHome.o.Keys.NewEncryptionKey(crypto.SchemeX25519); err != nil {
		t.Fatal(err)
	}
	if bankD, err = daemon.Start(ctx, bankHome.o); err != nil {
		t.Fatalf("restart after the key rotation: %v", err)
	}
	bankOps = bankHome.client(t, ctx, bankD, "bank-ops")
	propose2 := strings.Replace(propose, "250.5", "99", 1)
	if _, err := bankOps.submit(propose2); err != nil {
		t.Fatalf("propose after the rotation: %v", err)
	}
	newKey, _ := bankHome.o.Keys.EncryptionKey()
	if newKey.Public().Fingerprint() == oldKey.Public().Fingerprint() {
		t.Fatal("the encryption key did not change")
	}
	before, beforeHash := bankOps.updates(), bankD.Node.ACSHash()
	if strings.Count(before, "\n") != 3 {
		t.Fatalf("bank update stream:\n%s", before)
	}

	// Wipe and recover the bank participant from the chain.
	if err := bankD.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if err := daemon.WipeDatabase(bankHome.dir, bankHome.o.Config); err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	r, err := daemon.Recover(ctx, bankHome.o, &progress, time.Hour)
	if err != nil {
		t.Fatalf("recover: %v", err)
	}
	if !bytes.Equal(r.ACSHash, beforeHash) || r.LedgerEnd != 3 || r.Contracts != 2 || r.Events == 0 { // both keys opened history
		t.Fatalf("recovery report %s; ACS hash before %x", r, beforeHash)
	}
	if _, err := daemon.Recover(ctx, bankHome.o, &progress, time.Hour); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("recovering over a database: %v", err)
	}
	bankD, err = daemon.Start(ctx, bankHome.o)
	if err != nil {
		t.Fatal(err)
	}
	stopped = false
	after := bankHome.client(t, ctx, bankD, "bank-ops").updates() // users survive: they are not in the wiped database
	if after != before {
		t.Fatalf("update stream after recovery:\n%s\nbefore:\n%s", after, before)
	}
}
