package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/testnet"
)

// TestOwnersGovernValidatorsThroughTheCLI: a synchronizer whose namespace is a
// decentralized namespace of three owners with threshold 2 (generated genesis). One
// owner proposes a new validator set with `synchronizer set-validators`: with one
// signature it is only a pending proposal naming the namespace that must still sign;
// a second owner signs with `synchronizer sign` and the submission applies it, after
// which CometBFT's validator set carries the new power.
func TestOwnersGovernValidatorsThroughTheCLI(t *testing.T) {
	net, err := testnet.New(testnet.Options{Dir: t.TempDir(), Validators: 1, Owners: 3, OwnerThreshold: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(net.Close)
	if err := net.StartAll(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c := &cli{t: t, dir: dir, wrapper: filepath.Join(dir, "wrapper.key"), endpoint: net.APIAddress(0)}
	p1 := c.newOperator("p1", crypto.KindParticipant)
	c.register(p1)
	owner := func(k int) []string {
		ks := filepath.Join(dir, fmt.Sprintf("owner%d-keys", k))
		c.must("keys", "import", "--dir", ks, "--wrapper-key-file", c.wrapper, "--key-file", filepath.Join(net.Dir, "owners", fmt.Sprintf("owner%d.json", k)))
		return []string{"--keystore", ks, "--wrapper-key-file", c.wrapper}
	}
	owner0, owner1 := owner(0), owner(1)
	pub := net.Homes[0].ValidatorPubKey
	vset := filepath.Join(dir, "vset.json")
	out := c.must(args([]string{"synchronizer", "set-validators", "--validator", base64.StdEncoding.EncodeToString(pub.Bytes()) + "=20", "--sign", "--out", vset}, owner0, c.as(p1))...)
	syncNS := strings.SplitN(net.SynchronizerID, "::", 2)[1]
	if !strings.Contains(missingLine(t, out), syncNS) {
		t.Fatalf("one owner's signature: the proposal should still need the synchronizer namespace %s:\n%s", syncNS, out)
	}
	out = c.must(args([]string{"synchronizer", "submit", "--in", vset}, c.as(p1), c.keys(p1))...)
	if !strings.Contains(out, "pending proposal") {
		t.Fatalf("submitted with one of two signatures:\n%s", out)
	}
	c.must(args([]string{"synchronizer", "sign", "--in", vset}, owner1)...)
	out = c.must(args([]string{"synchronizer", "submit", "--in", vset}, c.as(p1), c.keys(p1))...)
	if !strings.Contains(out, "applied: ") {
		t.Fatalf("submitted with two of two signatures:\n%s", out)
	}
	if vs, ok := download(t, c.endpoint, p1).Head().ValidatorSet(); !ok || len(vs.Validators) != 1 || vs.Validators[0].Power != 20 {
		t.Fatalf("validator set in the topology: %v", vs)
	}
	want := cmttypes.NewValidatorSet([]*cmttypes.Validator{cmttypes.NewValidator(pub, 20)}).Hash()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	bs := net.Node(0).CometBFT().BlockStore()
	for {
		h := bs.Height()
		if meta := bs.LoadBlockMeta(h); meta != nil && bytes.Equal(meta.Header.ValidatorsHash, want) {
			return
		}
		if err := net.WaitHeight(ctx, 0, h+1); err != nil {
			t.Fatalf("the validator's power never became 20: %v", err)
		}
	}
}
