package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/app"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/internal/badgerx"
)

func init() { subcommands = append(subcommands, newNodeCmd) }

func newNodeCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "node", Short: "Run a sequencer node (CometBFT validator + cometsync ABCI app + sequencer API)"}
	cmd.AddCommand(newNodeInitCmd(), newNodeStartCmd(), newNodeRecoverCmd(), newNodeShowValidatorCmd(), newNodePruneCmd())
	return cmd
}

func newNodeInitCmd() *cobra.Command {
	var (
		home, moniker, chainID, syncName string
		p2p, rpc                         string
		members                          []string
		policy                           string
		cfg                              = app.DefaultConfig()
	)
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a one-validator synchronizer in --home (config, keys, genesis)",
		Long: `Create a node home for a new synchronizer with this node as its only validator.

Members are named with --member ID=KEY, where KEY is the base64 Ed25519 public key;
'cometsync keys generate' prints that flag for a new key. The node's own sequencer
member and the synchronizer namespace key are created in <home>/config.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			gms, err := parseMemberFlags(members)
			if err != nil {
				return err
			}
			pol, err := app.ParseOnboardingPolicy(policy)
			if err != nil {
				return err
			}
			info, err := app.InitHome(app.HomeOptions{Home: home, Moniker: moniker, P2PAddress: p2p, RPCAddress: rpc, Config: cfg, CometBFTMetrics: cfg.MetricsListenAddress != ""})
			if err != nil {
				return err
			}
			g, err := app.NewSynchronizerGenesis(syncName, filepath.Join(home, "config", app.NamespaceKeyFile), append(gms, info.Sequencer), pol)
			if err != nil {
				return err
			}
			doc, err := app.NewGenesisDoc(chainID, g, []*app.HomeInfo{info})
			if err != nil {
				return err
			}
			if err := app.WriteGenesis(doc, home); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "initialized %s\n  synchronizer %s\n  sequencer    %s\n  members      %d\n  api          %s\nstart it with: cometsync node start --home %s\n",
				home, g.SynchronizerID, info.Sequencer.ID, len(g.Members), cfg.APIListenAddress, home)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&home, "home", defaultHome(), "node home directory")
	f.StringVar(&moniker, "moniker", "node0", "node name (also the sequencer member name)")
	f.StringVar(&chainID, "chain-id", "cometsync-1", "CometBFT chain id")
	f.StringVar(&syncName, "synchronizer-name", "cometsync", "name part of the synchronizer id")
	f.StringVar(&p2p, "p2p-laddr", "tcp://127.0.0.1:26656", "CometBFT p2p listen address")
	f.StringVar(&rpc, "rpc-laddr", "tcp://127.0.0.1:26657", "CometBFT RPC listen address (empty disables)")
	f.StringVar(&cfg.APIListenAddress, "api-laddr", cfg.APIListenAddress, "gRPC sequencer API listen address")
	f.StringVar(&cfg.MetricsListenAddress, "metrics-laddr", cfg.MetricsListenAddress, "Prometheus metrics listen address (empty disables)")
	f.StringVar(&cfg.APITLSCertFile, "api-tls-cert", "", "PEM certificate the sequencer API serves TLS with (api_tls_cert_file; relative to --home)")
	f.StringVar(&cfg.APITLSKeyFile, "api-tls-key", "", "PEM key of --api-tls-cert (api_tls_key_file)")
	f.StringVar(&cfg.APITLSClientCAFile, "api-tls-client-ca", "", "PEM CA that must sign every client's certificate (mutual TLS; api_tls_client_ca_file)")
	f.BoolVar(&cfg.APIAllowPlaintext, "api-allow-plaintext", false, "allow a plaintext API on a non-loopback --api-laddr (api_allow_plaintext)")
	f.StringArrayVar(&members, "member", nil, "genesis member as ID=BASE64_PUBLIC_KEY (repeatable)")
	f.StringVar(&policy, "onboarding", "permissioned", "onboarding policy for new participants: open or permissioned")
	return cmd
}

func parseMemberFlags(flags []string) ([]core.GenesisMember, error) {
	var out []core.GenesisMember
	for _, f := range flags {
		id, key, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("--member %q: want ID=BASE64_PUBLIC_KEY", f)
		}
		if _, err := crypto.ParseMember(id); err != nil {
			return nil, fmt.Errorf("--member: %w", err)
		}
		out = append(out, core.GenesisMember{ID: id, SigningKeys: []string{key}})
	}
	return out, nil
}

func newNodeStartCmd() *cobra.Command {
	var home string
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run the node in --home until SIGINT or SIGTERM",
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, cfg, err := app.LoadConfig(home)
			if err != nil {
				return err
			}
			logger := app.NewLogger(os.Stderr, cfg.LogLevel, cfg.LogFormat)
			n, err := app.Open(home, logger)
			if err == nil {
				err = n.Start()
			}
			if badgerx.Locked(err) {
				return fmt.Errorf("%w: a node already runs in %s (stop it first): %v", badgerx.ErrInUse, home, err)
			}
			if err != nil {
				return err
			}
			logger.Info("node started", "home", home, "synchronizer", n.SynchronizerID(), "api", n.APIAddress())
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			select {
			case <-ctx.Done():
			case <-n.Done():
				return n.Err() // it stopped itself: a damaged database or a consensus failure
			}
			logger.Info("shutting down")
			n.Stop()
			return nil
		},
	}
	cmd.Flags().StringVar(&home, "home", defaultHome(), "node home directory")
	return cmd
}

func newNodeRecoverCmd() *cobra.Command {
	var home string
	var wipe bool
	cmd := &cobra.Command{
		Use:   "recover",
		Short: "Check the node's application database (data/app); with --wipe remove it so that the next start rebuilds it from the block store",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !wipe {
				if err := app.CheckAppDB(home); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "application database %s: no damage found\n", app.AppDBDir(home))
				return nil
			}
			if err := app.WipeAppDB(home); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %s\nstart the node (cometsync node start --home %s): it replays every block of its block store into a new application database; a node that prunes blocks (min_retain_blocks) must state-sync instead\n", app.AppDBDir(home), home)
			return nil
		},
	}
	cmd.Flags().StringVar(&home, "home", defaultHome(), "node home directory")
	cmd.Flags().BoolVar(&wipe, "wipe", false, "remove the application database (refused while the node runs)")
	return cmd
}

func defaultHome() string {
	if h := os.Getenv("COMETSYNC_HOME"); h != "" {
		return h
	}
	dir, err := os.UserHomeDir()
	if err != nil {
		return ".cometsync"
	}
	return filepath.Join(dir, ".cometsync")
}
