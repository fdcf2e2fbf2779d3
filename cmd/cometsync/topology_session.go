package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/crypto/keystore"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/topology"
)

// signerFlags select a signing key in an encrypted key store: the store's active signing
// key, optionally checked against --key (a fingerprint or a prefix of one).
type signerFlags struct {
	w   wrapperFlags
	dir string
	key string
}

func (s *signerFlags) add(cmd *cobra.Command) {
	s.w.add(cmd)
	cmd.Flags().StringVar(&s.dir, "keystore", "", "key store directory holding the signing key")
	cmd.Flags().StringVar(&s.key, "key", "", "fingerprint (or prefix) of the signing key to use; must be the store's active signing key (default: that key)")
}

// open opens the key store in dir with the wrapper flags.
func (s *signerFlags) open(dir string) (*keystore.Store, error) {
	if dir == "" {
		return nil, errors.New("--keystore is required")
	}
	return s.w.open(dir)
}

// signingKey returns the selected signing key of the store in dir.
func (s *signerFlags) signingKey(dir string) (crypto.SigningPrivateKey, error) {
	st, err := s.open(dir)
	if err != nil {
		return crypto.SigningPrivateKey{}, err
	}
	k, err := st.SigningKey()
	if err != nil {
		return k, err
	}
	if s.key != "" && !strings.HasPrefix(string(k.Fingerprint()), s.key) {
		return k, fmt.Errorf("--key %s is not the active signing key %s of %s (only the active key signs)", s.key, k.Fingerprint(), dir)
	}
	return k, nil
}

// sign adds the selected key's signature to every transaction.
func (s *signerFlags) sign(stxs []*topology.SignedTransaction) ([]*topology.SignedTransaction, crypto.Fingerprint, error) {
	k, err := s.signingKey(s.dir)
	if err != nil {
		return nil, "", err
	}
	out := make([]*topology.SignedTransaction, len(stxs))
	for i, x := range stxs {
		out[i] = x.AddSignatures(k)
	}
	return out, k.Fingerprint(), nil
}

// connFlags select a sequencer and the member identity to talk to it as. The sequencer
// API serves the topology state to authenticated members only, so reading needs a
// member whose key is on-chain; sending topology transactions without a token is
// allowed for onboarding (the batch carries the member's own OwnerToKeyMapping).
type connFlags struct {
	endpoints      []string
	syncID         string
	member         string
	memberKeystore string
	timeout        time.Duration
	tls            driver.TLS // --sequencer-ca-file, --sequencer-server-name, --sequencer-cert, --sequencer-key
}

func (c *connFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&c.endpoints, "sequencer", nil, "sequencer API address host:port (repeatable: tried in order)")
	cmd.Flags().StringVar(&c.syncID, "synchronizer-id", "", "expected synchronizer id (default: whatever the sequencer serves)")
	cmd.Flags().StringVar(&c.member, "member", "", "member id (PAR::name::ns, ...) to connect as")
	cmd.Flags().StringVar(&c.memberKeystore, "member-keystore", "", "key store of --member (default: --keystore; same wrapper flags)")
	cmd.Flags().DurationVar(&c.timeout, "timeout", time.Minute, "how long to wait for the sequencer")
	cmd.Flags().StringVar(&c.tls.CAFile, "sequencer-ca-file", "", "PEM CA to verify the sequencer's certificate with (dials TLS; default: plaintext)")
	cmd.Flags().StringVar(&c.tls.ServerName, "sequencer-server-name", "", "name the sequencer's certificate must hold (default: --sequencer's host)")
	cmd.Flags().StringVar(&c.tls.CertFile, "sequencer-cert", "", "PEM client certificate, for a sequencer that requires one (with --sequencer-key)")
	cmd.Flags().StringVar(&c.tls.KeyFile, "sequencer-key", "", "PEM key of --sequencer-cert")
}

func (c *connFlags) given() bool { return len(c.endpoints) > 0 }

// session is a connection to the sequencer as a member.
type session struct {
	member string
	key    crypto.SigningPrivateKey
	conn   *connFlags
	client *driver.Client
}

// dial prepares a session; it does not connect yet.
func (c *connFlags) dial(sf *signerFlags) (*session, error) {
	if !c.given() {
		return nil, errors.New("--sequencer is required")
	}
	if c.member == "" {
		return nil, errors.New("--member is required: the sequencer serves topology to members only")
	}
	dir := c.memberKeystore
	if dir == "" {
		dir = sf.dir
	}
	st, err := sf.open(dir)
	if err != nil {
		return nil, fmt.Errorf("key store of %s: %w", c.member, err)
	}
	k, err := st.SigningKey()
	if err != nil {
		return nil, err
	}
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.SynchronizerID, cfg.Member, cfg.SigningKey, cfg.TLS = c.endpoints, c.syncID, c.member, k, c.tls
	cfg.ResubmitInterval = 2 * time.Second
	client, err := driver.New(cfg, nil)
	if err != nil {
		return nil, err
	}
	return &session{member: c.member, key: k, conn: c, client: client}, nil
}

func (s *session) Close() { _ = s.client.Close() }

// download fetches the committed topology state.
func (s *session) download(ctx context.Context) (*topology.State, error) {
	ts, err := s.client.DownloadTopologyState(ctx)
	if err != nil {
		return nil, fmt.Errorf("download topology state from %v as %s: %w", s.conn.endpoints, s.member, err)
	}
	return ts.State, nil
}

// downloadState dials, downloads and closes: for commands that only read.
func downloadState(ctx context.Context, c *connFlags, sf *signerFlags) (*topology.State, error) {
	s, err := c.dial(sf)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return s.download(ctx)
}
