package procnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cometsync/cometsync/app"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/testnet"
)

// ManifestFile is the network description Init writes into the testnet directory.
const ManifestFile = "testnet.json"

// NodeInfo describes one validator process.
type NodeInfo struct {
	Home string `json:"home"`
	RPC  string `json:"rpc"`
	API  string `json:"api"`
}

// MemberInfo is a member with its key file.
type MemberInfo struct {
	ID      string `json:"id"`
	KeyFile string `json:"key_file"`
}

// Manifest describes a generated network.
type Manifest struct {
	SynchronizerID string       `json:"synchronizer_id"`
	Nodes          []NodeInfo   `json:"nodes"`
	Members        []MemberInfo `json:"members"`
}

// Init generates a network of validators (with participants and mediators as genesis
// members) in dir, which must not hold one already.
func Init(dir string, validators, participants, mediators int) (*Manifest, error) {
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err == nil {
		return nil, fmt.Errorf("%s already holds a testnet (remove it first)", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var specs []testnet.MemberSpec
	for i := 0; i < participants; i++ {
		specs = append(specs, testnet.MemberSpec{Kind: crypto.KindParticipant, Name: fmt.Sprintf("participant%d", i)})
	}
	for i := 0; i < mediators; i++ {
		specs = append(specs, testnet.MemberSpec{Kind: crypto.KindMediator, Name: fmt.Sprintf("mediator%d", i)})
	}
	net, err := testnet.New(testnet.Options{Dir: dir, Validators: validators, Members: specs, RPC: true})
	if err != nil {
		return nil, err
	}
	m := &Manifest{SynchronizerID: net.SynchronizerID}
	for i, h := range net.Homes {
		cmt, _, err := app.LoadConfig(h.Home)
		if err != nil {
			return nil, err
		}
		m.Nodes = append(m.Nodes, NodeInfo{Home: h.Home, RPC: cmt.RPC.ListenAddress, API: net.APIAddress(i)})
	}
	for _, mem := range net.Members {
		parsed, _ := crypto.ParseMember(mem.ID)
		path := filepath.Join(dir, "members", parsed.UID.Name+".json")
		if err := crypto.WriteKeyFile(path, crypto.NewKeyFile(mem.ID, mem.Key)); err != nil {
			return nil, err
		}
		m.Members = append(m.Members, MemberInfo{ID: mem.ID, KeyFile: path})
	}
	return m, m.write(dir)
}

func (m *Manifest) write(dir string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o600)
}

// Load reads the manifest of dir.
func Load(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s holds no testnet (run cometsync testnet init first)", dir)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	return &m, nil
}
