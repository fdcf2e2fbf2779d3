package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/crypto/keystore"
	"github.com/cometsync/cometsync/driver"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/testnet"
	"github.com/cometsync/cometsync/topology"
)

// cli runs cometsync commands in-process against one sequencer, with key stores that
// share one wrapper key file.
type cli struct {
	t        *testing.T
	dir      string
	wrapper  string
	endpoint string
}

func (c *cli) run(args ...string) (string, error) {
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(c.t.Context())
	c.t.Logf("$ cometsync %s\n%s", strings.Join(args, " "), out.String())
	return out.String(), err
}

func (c *cli) must(args ...string) string {
	c.t.Helper()
	out, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("cometsync %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// operator is a key store: a participant's (with its member id) or a party owner's.
type operator struct {
	name   string
	store  string
	fp     crypto.Fingerprint
	member string
	key    crypto.SigningPrivateKey
}

func (c *cli) newOperator(name string, kind crypto.MemberKind) operator {
	c.t.Helper()
	dir := filepath.Join(c.dir, name)
	c.must("keys", "init", "--dir", dir, "--wrapper-key-file", c.wrapper)
	kw, err := keystore.KeyFileWrapper(c.wrapper)
	if err != nil {
		c.t.Fatal(err)
	}
	st, err := keystore.Open(dir, kw)
	if err != nil {
		c.t.Fatal(err)
	}
	k, err := st.SigningKey()
	if err != nil {
		c.t.Fatal(err)
	}
	o := operator{name: name, store: dir, fp: k.Fingerprint(), key: k}
	if kind != "" {
		m, err := crypto.NewMember(kind, name, k.Fingerprint())
		if err != nil {
			c.t.Fatal(err)
		}
		o.member = m.String()
	}
	return o
}

// keys are the flags selecting o's key store as the signing key.
func (c *cli) keys(o operator) []string {
	return []string{"--keystore", o.store, "--wrapper-key-file", c.wrapper}
}

// as are the flags connecting to the sequencer as participant p.
func (c *cli) as(p operator) []string {
	return []string{"--sequencer", c.endpoint, "--member", p.member, "--member-keystore", p.store}
}

func args(parts ...[]string) []string { return slices.Concat(parts...) }

// register puts a participant's root certificate and OwnerToKeyMapping on-chain through
// the CLI: it is not a member yet, so submit sends them without a token.
func (c *cli) register(p operator) {
	c.t.Helper()
	root, otk := filepath.Join(c.dir, p.name+"-root.json"), filepath.Join(c.dir, p.name+"-otk.json")
	c.must(args([]string{"topology", "propose", "namespace-delegation", "--root", "--sign", "--out", root}, c.keys(p))...)
	c.must(args([]string{"topology", "propose", "owner-to-key-mapping", "--member", p.member, "--sign", "--out", otk}, c.keys(p))...)
	out := c.must(args([]string{"topology", "submit", "--in", root, "--in", otk}, c.as(p), c.keys(p))...)
	if !strings.Contains(out, "sent without authentication") || strings.Count(out, "applied: ") != 2 {
		c.t.Fatalf("registration of %s: want an onboarding send and two applied transactions, got:\n%s", p.member, out)
	}
}

// missingLine returns the "missing signatures of namespaces" line of a submit report.
func missingLine(t *testing.T, out string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "missing signatures of namespaces") {
			return l
		}
	}
	t.Fatalf("no missing namespaces reported in:\n%s", out)
	return ""
}

func download(t *testing.T, endpoint string, p operator) *topology.State {
	t.Helper()
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.Member, cfg.SigningKey = []string{endpoint}, p.member, p.key
	c, err := driver.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ts, err := c.DownloadTopologyState(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return ts.State
}

// TestTopologyCLIHostsPartyOnThreeParticipants drives the operator CLI against a real
// one-validator chain: three participants register their keys, a party owner proposes
// hosting its party on all three with threshold 2, the participants consent by signing
// (locally merged and merged on-chain), and list / parties list / a downloaded state show
// the result. A proposal that lacks signatures is not in force, and submit names the
// namespaces that still have to sign; a non-proposal lacking them is rejected.
func TestTopologyCLIHostsPartyOnThreeParticipants(t *testing.T) {
	net, err := testnet.New(testnet.Options{Dir: t.TempDir(), Validators: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(net.Close)
	if err := net.StartAll(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c := &cli{t: t, dir: dir, wrapper: filepath.Join(dir, "wrapper.key"), endpoint: net.APIAddress(0)}
	owner := c.newOperator("owner", "")
	ps := []operator{c.newOperator("p1", crypto.KindParticipant), c.newOperator("p2", crypto.KindParticipant), c.newOperator("p3", crypto.KindParticipant)}
	for _, p := range ps {
		c.register(p)
	}
	party := "alice::" + string(owner.fp)

	// The party owner is no member: its root certificate goes on-chain through p1.
	ownerRoot := filepath.Join(dir, "owner-root.json")
	c.must(args([]string{"topology", "propose", "namespace-delegation", "--root", "--sign", "--out", ownerRoot}, c.keys(owner))...)
	if out := c.must(args([]string{"topology", "submit", "--in", ownerRoot}, c.as(ps[0]), c.keys(ps[0]))...); !strings.Contains(out, "applied: replace namespace-delegation serial 1: root certificate of "+string(owner.fp)) {
		t.Fatalf("owner's root certificate:\n%s", out)
	}

	// The owner proposes; it needs the consent of the three participants.
	ptp := filepath.Join(dir, "alice.json")
	out := c.must(args([]string{"parties", "enable", "alice", "--participant", ps[0].member, "--participant", ps[1].member + "=confirmation",
		"--participant", ps[2].member + "=confirmation", "--threshold", "2", "--out", ptp}, c.keys(owner), c.as(ps[0]))...)
	line := missingLine(t, out)
	for _, p := range ps {
		if !strings.Contains(line, string(p.fp)) {
			t.Fatalf("missing line %q does not name %s", line, p.member)
		}
	}
	if !strings.Contains(out, "pending proposal: replace party-to-participant serial 1") {
		t.Fatalf("enable did not report a pending proposal:\n%s", out)
	}

	// p2 signs its copy (merged locally with the owner's signature) and submits it:
	// still pending, missing p1 and p3 — and not in force.
	c.must(args([]string{"topology", "sign", "--in", ptp}, c.keys(ps[1]))...)
	if stxs, err := readTxFile(ptp); err != nil || len(stxs) != 1 || !slices.Equal(stxs[0].SignedBy(), sorted(owner.fp, ps[1].fp)) {
		t.Fatalf("signed file: %v, %v; want the owner's and p2's signatures", stxs, err)
	}
	out = c.must(args([]string{"topology", "submit", "--in", ptp}, c.as(ps[1]), c.keys(ps[1]))...)
	line = missingLine(t, out)
	if !strings.Contains(line, string(ps[0].fp)) || !strings.Contains(line, string(ps[2].fp)) || strings.Contains(line, string(ps[1].fp)) || strings.Contains(line, string(owner.fp)) {
		t.Fatalf("after p2 signed, missing line %q: want p1 and p3 only", line)
	}
	st := download(t, c.endpoint, ps[0])
	if _, ok := st.Head().PartyToParticipant(party); ok {
		t.Fatal("a proposal lacking signatures is in force")
	}
	if props := st.Proposals(); len(props) != 1 || len(props[0].Signatures) != 2 {
		t.Fatalf("stored proposals %v: want one with the owner's and p2's signatures", props)
	}

	// A non-proposal lacking signatures is rejected, and submit says what is missing.
	bob := filepath.Join(dir, "bob.json")
	c.must(args([]string{"topology", "propose", "party-to-participant", "--party", "bob", "--participant", ps[0].member, "--proposal=false", "--sign", "--out", bob}, c.keys(owner))...)
	if out, err := c.run(args([]string{"topology", "submit", "--in", bob}, c.as(ps[0]), c.keys(ps[0]))...); err == nil || !strings.Contains(err.Error(), "missing namespace "+ps[0].fp.Short()) {
		t.Fatalf("submit of an unauthorized non-proposal: %v\n%s; want a rejection naming p1's namespace", err, out)
	} else if !strings.Contains(missingLine(t, out), string(ps[0].fp)) {
		t.Fatalf("the rejection report does not name p1's namespace:\n%s", out)
	}

	// p1 and p3 sign the same file; p3 submits: applied.
	c.must(args([]string{"topology", "sign", "--in", ptp}, c.keys(ps[0]))...)
	c.must(args([]string{"topology", "sign", "--in", ptp}, c.keys(ps[2]))...)
	out = c.must(args([]string{"topology", "submit", "--in", ptp}, c.as(ps[2]), c.keys(ps[2]))...)
	if !strings.Contains(out, "applied: replace party-to-participant serial 1: party "+party+" threshold 2") {
		t.Fatalf("final submit:\n%s", out)
	}

	// topology list --json
	out = c.must(args([]string{"topology", "list", "--type", "party-to-participant", "--json"}, c.as(ps[0]), c.keys(ps[0]))...)
	var entries []struct {
		Status  string   `json:"status"`
		Key     string   `json:"key"`
		Serial  uint64   `json:"serial"`
		Signers []string `json:"signers"`
		Mapping struct {
			PartyToParticipant *pb.PartyToParticipant `json:"party_to_participant"`
		} `json:"mapping"`
	}
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("list --json: %v", err)
	}
	if len(entries) != 1 || entries[0].Status != "current" || entries[0].Key != party || entries[0].Serial != 1 || len(entries[0].Signers) != 4 {
		t.Fatalf("list: %+v; want alice's hosting, current, serial 1, four signers", entries)
	}
	checkHosting(t, "topology list", entries[0].Mapping.PartyToParticipant, ps)
	// topology list (table) and parties list
	if out := c.must(args([]string{"topology", "list", "--uid", party}, c.as(ps[1]), c.keys(ps[1]))...); !strings.Contains(out, "current  party-to-participant") {
		t.Fatalf("topology list table:\n%s", out)
	}
	out = c.must(args([]string{"parties", "list", "--participant", ps[2].member}, c.as(ps[2]), c.keys(ps[2]))...)
	want := party + " threshold 2\n  " + ps[0].member + " submission\n"
	if !strings.HasPrefix(out, want) || strings.Count(out, "  PAR::") != 3 {
		t.Fatalf("parties list:\n%s\nwant it to start with\n%s", out, want)
	}
	// The downloaded topology state agrees.
	got, ok := download(t, c.endpoint, ps[1]).Head().PartyToParticipant(party)
	if !ok {
		t.Fatal("downloaded state has no hosting of alice")
	}
	checkHosting(t, "downloaded state", got, ps)

	// export writes the hosting with its four signatures.
	exp := filepath.Join(dir, "export.json")
	c.must(args([]string{"topology", "export", "--type", "party-to-participant", "--out", exp}, c.as(ps[0]), c.keys(ps[0]))...)
	if stxs, err := readTxFile(exp); err != nil || len(stxs) != 1 || len(stxs[0].Signatures) != 4 {
		t.Fatalf("export: %v, %v", stxs, err)
	}

	// Synchronizer parameters: the current ones (genesis, serial 1) with one field
	// changed, and the synchronizer's namespace named as the missing signer.
	sync, err := crypto.ParseUID(net.SynchronizerID)
	if err != nil {
		t.Fatal(err)
	}
	out = c.must(args([]string{"synchronizer", "propose-parameters", "--max-request-size", "2097152", "--out", filepath.Join(dir, "params.json")}, c.as(ps[0]), c.keys(ps[0]))...)
	if !strings.Contains(out, "replace synchronizer-parameters serial 2: synchronizer "+net.SynchronizerID) || !strings.Contains(out, "max-request-size=2097152") ||
		!strings.Contains(missingLine(t, out), string(sync.Namespace)) {
		t.Fatalf("propose-parameters:\n%s", out)
	}
}

func checkHosting(t *testing.T, where string, ptp *pb.PartyToParticipant, ps []operator) {
	t.Helper()
	if ptp == nil || ptp.Threshold != 2 || len(ptp.Participants) != 3 {
		t.Fatalf("%s: hosting %v; want threshold 2 on three participants", where, ptp)
	}
	for _, p := range ps {
		if !hosts(ptp, p.member) {
			t.Fatalf("%s: %s does not host the party: %v", where, p.member, ptp)
		}
	}
}

func sorted(fps ...crypto.Fingerprint) []crypto.Fingerprint {
	slices.Sort(fps)
	return fps
}
