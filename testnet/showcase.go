package testnet

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/examples"
	"github.com/cometsync/cometsync/ledger"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/engine"
)

// showcase is the running demo: the chain, the mediator and the participant nodes.
type showcase struct {
	ctx   context.Context
	out   io.Writer
	net   *Network
	pkg   *ledger.Package
	pkgs  *ledger.PackageSet
	med   *mediatord.Node
	nodes map[string]*participant.Node
	enc   map[string]crypto.EncryptionPrivateKey
	party map[string]ledger.Party
}

// showcaseParticipants: the cash issuer's, the asset registry's, and the traders'.
var showcaseParticipants = []string{"bank-node", "registry-node", "traders-node"}

// RunShowcase runs the transaction-protocol showcase: a one-validator chain, a mediator
// and three participants (the bank's, the registry's, and one hosting a buyer and a
// seller) settle a delivery-versus-payment atomically with encrypted views; it prints
// what each participant holds (each issuer sees only its leg), then wipes the traders'
// participant and rebuilds it from the chain, printing equal ACS hashes.
func RunShowcase(ctx context.Context, out io.Writer) error {
	start := time.Now()
	dir, err := os.MkdirTemp("", "cometsync-showcase-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	s := &showcase{ctx: ctx, out: out, nodes: map[string]*participant.Node{}, enc: map[string]crypto.EncryptionPrivateKey{}, party: map[string]ledger.Party{}}
	if err := s.load("dvp.yaml"); err != nil {
		return err
	}
	if err := s.startChain(dir); err != nil {
		return err
	}
	defer s.stop()
	steps := []func() error{s.startMembers, s.allocateParties, s.settle, s.report, s.replay}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "\nshowcase finished in %s (chain height %d)\n", time.Since(start).Round(time.Millisecond), s.net.Node(0).App().Meta().Height)
	return nil
}

func (s *showcase) load(name string) error {
	src, err := examples.FS.ReadFile(name)
	if err != nil {
		return fmt.Errorf("read the DvP package: %w", err)
	}
	if s.pkg, err = ledger.ParsePackage(src); err != nil {
		return err
	}
	s.pkgs, err = ledger.NewPackageSet(s.pkg)
	return err
}

func (s *showcase) startChain(dir string) error {
	specs := []MemberSpec{{Kind: crypto.KindMediator, Name: "mediator"}}
	for _, n := range showcaseParticipants {
		specs = append(specs, MemberSpec{Kind: crypto.KindParticipant, Name: n})
	}
	net, err := New(Options{Dir: dir, Validators: 1, Members: specs})
	if err != nil {
		return err
	}
	s.net = net
	if err := net.StartAll(); err != nil {
		return err
	}
	fmt.Fprintf(s.out, "cometsync showcase: delivery versus payment\n  chain        one validator, %s\n  synchronizer %s\n", net.APIAddress(0), net.SynchronizerID)
	return nil
}

func (s *showcase) driverConfig(m Member) driver.Config {
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.SynchronizerID, cfg.Member, cfg.SigningKey = s.net.APIAddresses(), s.net.SynchronizerID, m.ID, m.Key
	cfg.ResubmitInterval = time.Second
	if v, err := s.net.VerifyConfig(); err == nil { // the network wrote its genesis
		cfg.Verify = v
	}
	return cfg
}

func (s *showcase) startMembers() error {
	medKey, err := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	if err != nil {
		return err
	}
	med := s.net.Member("mediator")
	if s.med, err = mediatord.StartNode(s.ctx, mediatord.NodeConfig{Driver: s.driverConfig(med), EncryptionKey: medKey}); err != nil {
		return fmt.Errorf("mediator: %w", err)
	}
	fmt.Fprintf(s.out, "  mediator     %s (encryption key on-chain)\n", short(med.ID))
	for _, name := range showcaseParticipants {
		if s.enc[name], err = crypto.GenerateEncryptionKey(crypto.DefaultScheme); err != nil {
			return err
		}
		if err := s.startNode(name); err != nil {
			return err
		}
		fmt.Fprintf(s.out, "  participant  %s (encryption key on-chain)\n", short(s.net.Member(name).ID))
	}
	return nil
}

func (s *showcase) startNode(name string) error {
	n, err := participant.Start(s.ctx, participant.Config{
		Driver: s.driverConfig(s.net.Member(name)), EncryptionKey: s.enc[name], Packages: s.pkgs,
		Mediators: []string{s.net.Member("mediator").ID},
	})
	if err != nil {
		return fmt.Errorf("participant %s: %w", name, err)
	}
	s.nodes[name] = n
	return n.Register(s.ctx)
}

func (s *showcase) allocateParties() error {
	fmt.Fprintln(s.out, "\nparties")
	for _, p := range []struct{ name, node string }{{"Bank", "bank-node"}, {"Registry", "registry-node"}, {"Buyer", "traders-node"}, {"Seller", "traders-node"}} {
		party, err := s.nodes[p.node].AllocateParty(s.ctx, p.name)
		if err != nil {
			return err
		}
		s.party[p.name] = party
		fmt.Fprintf(s.out, "  %-8s hosted on %s\n", p.name, p.node)
	}
	for _, n := range s.nodes {
		for _, p := range s.party {
			if err := n.WaitHosted(s.ctx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *showcase) tid(name string) ledger.TemplateID {
	return ledger.TemplateID{Package: s.pkg.ID, Name: name}
}

// submit runs cmd on node and prints the step.
func (s *showcase) submit(node, what string, cmd ledger.Command) error {
	if _, err := s.nodes[node].Submit(s.ctx, cmd); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	fmt.Fprintf(s.out, "  ok  %s\n", what)
	return nil
}

// find waits until node holds a contract of template matching pred and returns its id.
func (s *showcase) find(node, template string, pred func(*ledger.Contract) bool) (ledger.ContractID, error) {
	var id ledger.ContractID
	err := s.nodes[node].WaitACS(s.ctx, func(acs ledger.ContractMap) bool {
		for cid, c := range acs {
			if c.Template.Name == template && pred(c) {
				id = cid
				return true
			}
		}
		return false
	})
	return id, err
}

func anyContract(*ledger.Contract) bool { return true }

func (s *showcase) settle() error {
	p := s.party
	fmt.Fprintln(s.out, "\nworkflow (each step: views encrypted per informee set, validated, confirmed, verdict)")
	usd := func(v string) ledger.Value { return ledger.DecimalValue{Decimal: ledger.MustParseDecimal(v)} }
	if err := s.submit("bank-node", "Bank offers Buyer a 100 USD IOU", ledger.CreateCommand([]ledger.Party{p["Bank"]}, s.tid("IouOffer"), ledger.Record{
		"issuer": ledger.PartyValue(p["Bank"]), "owner": ledger.PartyValue(p["Buyer"]), "amount": usd("100"), "currency": ledger.TextValue("USD"),
	})); err != nil {
		return err
	}
	offer, err := s.find("traders-node", "IouOffer", anyContract)
	if err != nil {
		return err
	}
	if err := s.submit("traders-node", "Buyer accepts the IOU", ledger.ExerciseCommand([]ledger.Party{p["Buyer"]}, s.tid("IouOffer"), offer, "Accept", ledger.Record{})); err != nil {
		return err
	}
	if err := s.submit("registry-node", "Registry offers Seller 5 ACME shares", ledger.CreateCommand([]ledger.Party{p["Registry"]}, s.tid("AssetOffer"), ledger.Record{
		"issuer": ledger.PartyValue(p["Registry"]), "owner": ledger.PartyValue(p["Seller"]), "description": ledger.TextValue("ACME shares"), "quantity": ledger.IntValue(5),
	})); err != nil {
		return err
	}
	aoffer, err := s.find("traders-node", "AssetOffer", anyContract)
	if err != nil {
		return err
	}
	if err := s.submit("traders-node", "Seller accepts the shares", ledger.ExerciseCommand([]ledger.Party{p["Seller"]}, s.tid("AssetOffer"), aoffer, "Accept", ledger.Record{})); err != nil {
		return err
	}
	cash, err := s.find("traders-node", "Iou", anyContract)
	if err != nil {
		return err
	}
	asset, err := s.find("traders-node", "Asset", anyContract)
	if err != nil {
		return err
	}
	if err := s.submit("traders-node", "Buyer proposes 100 USD for the 5 shares", ledger.CreateCommand([]ledger.Party{p["Buyer"]}, s.tid("DvpProposal"), ledger.Record{
		"buyer": ledger.PartyValue(p["Buyer"]), "seller": ledger.PartyValue(p["Seller"]), "cash": ledger.ContractIDValue(cash),
		"price": usd("100"), "currency": ledger.TextValue("USD"), "description": ledger.TextValue("ACME shares"), "quantity": ledger.IntValue(5),
	})); err != nil {
		return err
	}
	prop, err := s.find("traders-node", "DvpProposal", anyContract)
	if err != nil {
		return err
	}
	return s.submit("traders-node", "Seller settles: cash and shares swap atomically", ledger.ExerciseCommand([]ledger.Party{p["Seller"]}, s.tid("DvpProposal"), prop, "Settle", ledger.Record{"asset": ledger.ContractIDValue(asset)}))
}

// owner returns the owner party name of a contract, for display.
func (s *showcase) name(v ledger.Value) string {
	if pv, ok := v.(ledger.PartyValue); ok {
		for n, p := range s.party {
			if p == ledger.Party(pv) {
				return n
			}
		}
	}
	return fmt.Sprint(v)
}

func (s *showcase) describe(c *ledger.Contract) string {
	a := c.Arguments
	switch c.Template.Name {
	case "Iou":
		return fmt.Sprintf("Iou    %v %v issued by %s, owned by %s", a["amount"], a["currency"], s.name(a["issuer"]), s.name(a["owner"]))
	case "Asset":
		return fmt.Sprintf("Asset  %v %v issued by %s, owned by %s", a["quantity"], a["description"], s.name(a["issuer"]), s.name(a["owner"]))
	}
	return c.Template.Name
}

func (s *showcase) holdings(node string) []string {
	var out []string
	for _, c := range s.nodes[node].ACS() {
		out = append(out, s.describe(c))
	}
	slices.Sort(out)
	return out
}

// report prints every participant's active contracts once the settlement reached it,
// and checks that each issuer saw only its own leg.
func (s *showcase) report() error {
	iou, asset := "Iou    100.0 USD issued by Bank, owned by Seller", "Asset  5 ACME shares issued by Registry, owned by Buyer"
	settled := map[string][]string{"bank-node": {iou}, "registry-node": {asset}, "traders-node": {asset, iou}}
	fmt.Fprintln(s.out, "\nwhat each participant holds after the settlement")
	for _, node := range showcaseParticipants {
		err := s.nodes[node].WaitACS(s.ctx, func(acs ledger.ContractMap) bool {
			var got []string
			for _, c := range acs {
				got = append(got, s.describe(c))
			}
			slices.Sort(got)
			return slices.Equal(got, settled[node])
		})
		if err != nil {
			return fmt.Errorf("%s never reached its settled state: %w", node, err)
		}
		fmt.Fprintf(s.out, "  %s:\n", node)
		for _, h := range s.holdings(node) {
			fmt.Fprintf(s.out, "      %s\n", h)
		}
	}
	bank, registry := strings.Join(s.holdings("bank-node"), " "), strings.Join(s.holdings("registry-node"), " ")
	if strings.Contains(bank, "Asset") || strings.Contains(registry, "Iou") {
		return fmt.Errorf("an issuer saw the other leg: bank %q, registry %q", bank, registry)
	}
	fmt.Fprintln(s.out, "  ok  the bank's participant saw only the cash leg, the registry's only the asset leg")
	return nil
}

// replay wipes the traders' participant and rebuilds it from the chain.
func (s *showcase) replay() error {
	before := engine.ACSHash(s.nodes["traders-node"].ACS())
	s.nodes["traders-node"].Stop()
	fmt.Fprintln(s.out, "\nwiping traders-node (all state in memory is gone) and replaying its stream from the chain...")
	t0 := time.Now()
	if err := s.startNode("traders-node"); err != nil {
		return err
	}
	err := s.nodes["traders-node"].WaitACS(s.ctx, func(acs ledger.ContractMap) bool {
		return string(engine.ACSHash(acs)) == string(before)
	})
	if err != nil {
		return fmt.Errorf("replayed ACS never matched: %w", err)
	}
	fmt.Fprintf(s.out, "  ACS hash before %s\n  ACS hash after  %s  (rebuilt in %s)\n  ok  identical\n",
		hex.EncodeToString(before)[:16], hex.EncodeToString(engine.ACSHash(s.nodes["traders-node"].ACS()))[:16], time.Since(t0).Round(time.Millisecond))
	return nil
}

func (s *showcase) stop() {
	for _, n := range s.nodes {
		n.Stop()
	}
	if s.med != nil {
		s.med.Stop()
	}
	if s.net != nil {
		s.net.Close()
	}
}
