package app_test

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/internal/chaintest"
	"github.com/cometsync/cometsync/ledger"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/protocol"
	"github.com/cometsync/cometsync/testnet"
)

type encKeys map[string]crypto.EncryptionPrivateKey

func (k encKeys) EncryptionKey(m string) (crypto.EncryptionPublicKey, bool) {
	priv, ok := k[m]
	if !ok {
		return crypto.EncryptionPublicKey{}, false
	}
	return priv.Public(), true
}

// TestChainHoldsNoPlaintext sends a confirmation request batch for an IOU (views
// encrypted to the participants, informee tree to the mediator) through a real node, then
// reads every transaction of every block and every value of the application state and
// finds none of the transaction's plaintext fields — while the public parts (the sender's
// member id) are found, so the scan does see the data.
func TestChainHoldsNoPlaintext(t *testing.T) {
	specs := append(participants("bank", "trader"), testnet.MemberSpec{Kind: crypto.KindMediator, Name: "mediator"})
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: specs})
	bank, trader, med := net.Member("bank"), net.Member("trader"), net.Member("mediator")

	const issuer, owner ledger.Party = "CentralBankOfSecrets::1220aa", "AliceTheSecretOwner::1220bb"
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
	cmd := ledger.CreateCommand([]ledger.Party{issuer}, ledger.TemplateID{Package: pkg.ID, Name: "IouProposal"}, ledger.Record{
		"issuer": ledger.PartyValue(issuer), "owner": ledger.PartyValue(owner),
		"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal("31337.42")}, "currency": ledger.TextValue("ZWL"),
	})
	var lseed ledger.Seed
	var pseed protocol.Seed
	rand.Read(lseed[:])
	rand.Read(pseed[:])
	now := time.Now().UTC().Truncate(time.Microsecond)
	tx, err := ledger.Interpret(pkgs, cmd, ledger.ContractMap{}, now, lseed)
	if err != nil {
		t.Fatal(err)
	}
	prepared, err := protocol.Prepare(tx, ledger.ContractMap{}, protocol.Metadata{
		SubmittingParticipant: bank.ID, Submitters: ledger.NewPartySet(issuer), SynchronizerID: net.SynchronizerID, LedgerTime: now,
	}, pseed)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := protocol.Recipients(prepared, protocol.HostingMap{string(issuer): {bank.ID}, string(owner): {trader.ID}})
	if err != nil {
		t.Fatal(err)
	}
	keys := encKeys{}
	for _, m := range []string{bank.ID, trader.ID, med.ID} {
		keys[m], _ = crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	}
	batch, err := plan.Batch(keys, []string{med.ID})
	if err != nil {
		t.Fatal(err)
	}

	c := dialRaw(t, net.APIAddress(0))
	bctx := c.login(t, bank)
	req := &pb.SubmissionRequest{Sender: bank.ID, MessageId: "confirmation-request", Batch: batch, MaxSequencingTimeMicros: timeSoon().UnixMicro()}
	rb, _ := req.Marshal()
	sub, _ := (&pb.SignedSubmission{Request: rb, Signature: bank.Key.Sign(crypto.PurposeSubmissionRequest, rb), SigningKey: string(bank.Key.Fingerprint())}).Marshal()
	if _, err := c.seq.Send(bctx, &pb.SendRequest{Submission: sub}); err != nil {
		t.Fatal(err)
	}
	// The trader's participant received its view and can read it: the payload is there.
	tctx := c.login(t, trader)
	ev := c.readEvents(t, tctx, trader.ID, 0, 1)[0]
	opened := false
	for _, env := range ev.Batch.Envelopes {
		if got, err := protocol.OpenPayload(env.Content, trader.ID, func(crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool) { return keys[trader.ID], true }); err == nil {
			opened = bytes.Contains(got.Plaintext, []byte("ZWL"))
		}
	}
	if !opened {
		t.Fatal("the trader's participant could not read its view")
	}

	chain := chainBytes(t, net)
	if !bytes.Contains(chain, []byte(bank.ID)) {
		t.Fatal("the scan does not see the chain's data (the sender id is missing)")
	}
	for _, secret := range []string{"ZWL", "31337", string(issuer), string(owner), "CentralBankOfSecrets", "AliceTheSecretOwner"} {
		if bytes.Contains(chain, []byte(secret)) {
			t.Errorf("plaintext %q is on the chain", secret)
		}
	}
}

// chainBytes concatenates every transaction of node 0's block store and every key and
// value of its application state.
func chainBytes(t *testing.T, net *testnet.Network) []byte {
	t.Helper()
	node := net.Node(0)
	var all bytes.Buffer
	bs := node.CometBFT().BlockStore()
	for h := bs.Base(); h <= bs.Height(); h++ {
		if b := bs.LoadBlock(h); b != nil {
			for _, tx := range b.Txs {
				all.Write(tx)
			}
		}
	}
	r, release := node.Snapshot()
	defer release()
	err := r.Iterate(nil, nil, func(k, v []byte) (bool, error) {
		all.Write(k)
		all.Write(v)
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all.Bytes()
}
