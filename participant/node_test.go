package participant_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/chaintest"
	"github.com/cometsync/cometsync/ledger"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
	"github.com/cometsync/cometsync/participant"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/testnet"
)

// startChain starts a one-validator chain with the members of specs, closed when the
// test ends.
func startChain(t *testing.T, specs []testnet.MemberSpec) *testnet.Network {
	t.Helper()
	return chaintest.Start(t, testnet.Options{Validators: 1, Members: specs})
}

// startMediator starts the mediator node of cfg, stopped when the test ends.
func startMediator(t testing.TB, ctx context.Context, cfg mediatord.NodeConfig) *mediatord.Node {
	t.Helper()
	mp, err := mediatord.StartNode(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mp.Stop)
	return mp
}

// startParticipant starts the participant node of cfg, stopped when the test ends, and
// registers its keys on-chain.
func startParticipant(t testing.TB, ctx context.Context, cfg participant.Config) *participant.Node {
	t.Helper()
	n, err := participant.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	if err := n.Register(ctx); err != nil {
		t.Fatal(err)
	}
	return n
}

// iouPackage loads examples/iou.yaml.
func iouPackage(t *testing.T) (*ledger.Package, *ledger.PackageSet) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "examples", "iou.yaml"))
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
	return pkg, pkgs
}

// driverConfig is member m's driver configuration, verifying reads against the chain's
// genesis as members do by default.
func driverConfig(net *testnet.Network, m testnet.Member) driver.Config {
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.Member, cfg.SigningKey = net.APIAddresses(), m.ID, m.Key
	cfg.ResubmitInterval = time.Second
	v, err := driver.GenesisVerifyConfig(filepath.Join(net.Homes[0].Home, "config", "genesis.json"))
	if err != nil {
		panic(err) // the test network writes the genesis
	}
	cfg.Verify = v
	return cfg
}

// TestParticipantNodesOnARealChain: two participant nodes and a mediator on a real
// one-validator chain register their keys on-chain, allocate parties, and run an IOU
// proposal and its acceptance through the transaction protocol; both participants end up
// with the IOU, and a restarted participant rebuilds the same active contracts from the
// chain.
func TestParticipantNodesOnARealChain(t *testing.T) {
	specs := []testnet.MemberSpec{
		{Kind: crypto.KindParticipant, Name: "bankp"}, {Kind: crypto.KindParticipant, Name: "traderp"},
		{Kind: crypto.KindMediator, Name: "mediator"},
	}
	net := startChain(t, specs)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	pkg, pkgs := iouPackage(t)
	med := net.Member("mediator")
	medEnc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	startMediator(t, ctx, mediatord.NodeConfig{Driver: driverConfig(net, med), EncryptionKey: medEnc})

	start := func(name string, enc crypto.EncryptionPrivateKey) *participant.Node {
		return startParticipant(t, ctx, participant.Config{
			Driver: driverConfig(net, net.Member(name)), EncryptionKey: enc, Packages: pkgs,
			Mediators: []string{med.ID},
		})
	}
	bankEnc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	traderEnc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	bankNode, traderNode := start("bankp", bankEnc), start("traderp", traderEnc)
	bank, err := bankNode.AllocateParty(ctx, "Bank")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := traderNode.AllocateParty(ctx, "Alice")
	if err != nil {
		t.Fatal(err)
	}

	for _, n := range []*participant.Node{bankNode, traderNode} {
		for _, p := range []ledger.Party{bank, alice} {
			if err := n.WaitHosted(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	tmpl := ledger.TemplateID{Package: pkg.ID, Name: "IouProposal"}
	if _, err := bankNode.Submit(ctx, ledger.CreateCommand([]ledger.Party{bank}, tmpl, ledger.Record{
		"issuer": ledger.PartyValue(bank), "owner": ledger.PartyValue(alice),
		"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal("31337.4242")}, "currency": ledger.TextValue("ZWLXQ"),
	})); err != nil {
		t.Fatalf("create the proposal: %v", err)
	}
	var prop ledger.ContractID
	waitACS(t, ctx, traderNode, func(acs ledger.ContractMap) bool {
		for id, c := range acs {
			if c.Template.Name == "IouProposal" {
				prop = id
				return true
			}
		}
		return false
	})
	if _, err := traderNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{alice}, tmpl, prop, "Accept", ledger.Record{})); err != nil {
		t.Fatalf("accept: %v", err)
	}
	settled := func(acs ledger.ContractMap) bool {
		return countTemplate(acs, "Iou") == 1 && countTemplate(acs, "IouProposal") == 0
	}
	for _, n := range []*participant.Node{bankNode, traderNode} {
		waitACS(t, ctx, n, settled)
	}

	// Nothing of the transactions is on the chain in the clear: views, informee trees,
	// confirmation responses and verdicts are all sealed. (Party ids are public: they are
	// in the topology.) The sender ids are found, so the scan does read the data.
	chain := chainBytes(t, net)
	if !bytes.Contains(chain, []byte(net.Member("bankp").ID)) {
		t.Fatal("the chain scan does not see the data")
	}
	for _, secret := range []string{"ZWLXQ", "31337", "IouProposal", "Accept", "VERDICT"} {
		if bytes.Contains(chain, []byte(secret)) {
			t.Errorf("%q is on the chain in the clear", secret)
		}
	}

	// Recovery: a new node with the bank participant's keys and no state rebuilds the
	// same active contracts from the chain, and sends nothing twice (its responses all
	// have receipts on the stream).
	bankNode.Stop()
	replayed := start("bankp", bankEnc)
	waitACS(t, ctx, replayed, settled)
	if !sameContracts(replayed.ACS(), traderNode.ACS()) {
		t.Fatal("the replayed bank participant's active contracts differ from the trader's")
	}
}

func sameContracts(a, b ledger.ContractMap) bool {
	if len(a) != len(b) {
		return false
	}
	for id := range a {
		if _, ok := b[id]; !ok {
			return false
		}
	}
	return true
}

func countTemplate(acs ledger.ContractMap, name string) int {
	k := 0
	for _, c := range acs {
		if c.Template.Name == name {
			k++
		}
	}
	return k
}

func waitACS(t *testing.T, ctx context.Context, n *participant.Node, cond func(ledger.ContractMap) bool) {
	t.Helper()
	if err := n.WaitACS(ctx, cond); err != nil {
		t.Fatalf("active contracts never reached the expected state: %v", err)
	}
}

// chainBytes concatenates every transaction of node 0's block store and every key and
// value of its application state.
func chainBytes(t *testing.T, net *testnet.Network) []byte {
	t.Helper()
	var all bytes.Buffer
	bs := net.Node(0).CometBFT().BlockStore()
	for h := bs.Base(); h <= bs.Height(); h++ {
		if b := bs.LoadBlock(h); b != nil {
			for _, tx := range b.Txs {
				all.Write(tx)
			}
		}
	}
	r, release := net.Node(0).Snapshot()
	defer release()
	if err := r.Iterate(nil, nil, func(k, v []byte) (bool, error) { all.Write(k); all.Write(v); return true, nil }); err != nil {
		t.Fatal(err)
	}
	return all.Bytes()
}

func readAll(r core.Reader, member string) ([]*pb.SequencedEvent, error) {
	return core.ReadEvents(r, member, 0, 1<<20)
}
