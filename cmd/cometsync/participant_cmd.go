package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/app"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/participant/daemon"
)

func init() { subcommands = append(subcommands, newParticipantCmd) }

func newParticipantCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "participant", Short: "Run a participant node: init, start, recover from the chain"}
	cmd.AddCommand(newParticipantInitCmd(), newParticipantStartCmd(), newParticipantRecoverCmd(), newParticipantCommitmentsCmd(),
		newParticipantSnapshotCmd(), newParticipantPruneCmd())
	return cmd
}

func newParticipantInitCmd() *cobra.Command {
	var w wrapperFlags
	var home, name, scheme string
	var existing bool
	var reads readFlags
	c := daemon.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a participant home: encrypted key store (namespace/signing and encryption keys), Ledger API secret, participant.toml",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := os.MkdirAll(home, 0o700); err != nil {
				return err
			}
			if err := reads.apply(home, &c.Reads); err != nil {
				return err
			}
			var out daemon.Config
			if existing {
				ks, err := w.open(filepath.Join(home, c.KeyStore))
				if err != nil {
					return fmt.Errorf("existing key store: %w", err)
				}
				c.AutoInit = false
				if out, err = daemon.InitWithKeys(home, name, c, ks); err != nil {
					return err
				}
			} else {
				ks, err := w.create(filepath.Join(home, c.KeyStore))
				if err != nil {
					return err
				}
				if out, err = daemon.Init(home, name, c, ks, crypto.EncryptionScheme(scheme)); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "participant %s\nhome %s\nledger API %s (admin user %q; tokens: cometsync ledger token --secret-file %s --user participant_admin)\n",
				out.Member, home, out.LedgerAPIAddress, "participant_admin", filepath.Join(home, out.JWTSecretFile))
			return nil
		},
	}
	w.add(cmd)
	f := cmd.Flags()
	f.StringVar(&home, "home", "", "participant home directory")
	f.StringVar(&name, "name", "", "participant name (its id is PAR::name::<namespace>)")
	f.StringArrayVar(&c.Sequencers, "sequencer", nil, "sequencer API endpoint host:port (repeatable)")
	f.StringVar(&c.SynchronizerID, "synchronizer-id", "", "pin this synchronizer id (default: the first one connected to)")
	f.StringArrayVar(&c.Mediators, "mediator", nil, "mediator member id of the group (repeatable; default: from the topology)")
	f.StringArrayVar(&c.Packages, "package", nil, "package file (YAML) to run (repeatable; default: the built-in examples)")
	f.StringVar(&c.LedgerAPIAddress, "ledger-api", c.LedgerAPIAddress, "Ledger API listen address")
	f.StringVar(&c.MetricsAddress, "metrics-address", "", "serve Prometheus metrics at http://ADDRESS/metrics, e.g. 127.0.0.1:5012 (default: none)")
	f.StringVar(&c.LedgerAPITLSCertFile, "ledger-api-tls-cert", "", "serve the Ledger API with TLS: certificate file (ledger_api_tls_cert_file)")
	f.StringVar(&c.LedgerAPITLSKeyFile, "ledger-api-tls-key", "", "the certificate's key file (ledger_api_tls_key_file)")
	f.StringVar(&c.LedgerAPITLSClientCAFile, "ledger-api-tls-client-ca", "", "require Ledger API client certificates signed by this CA (ledger_api_tls_client_ca_file)")
	f.BoolVar(&c.LedgerAPIAllowPlaintext, "ledger-api-allow-plaintext", false, "allow a plaintext Ledger API on a non-loopback address (ledger_api_allow_plaintext)")
	addSequencerTLSFlags(f, &c.SequencerTLSCAFile, &c.SequencerTLSServerName, &c.SequencerTLSCertFile, &c.SequencerTLSKeyFile)
	f.StringVar(&scheme, "scheme", string(crypto.DefaultScheme), "encryption key scheme")
	f.BoolVar(&existing, "existing-keys", false, "use the key store already in HOME/keys (external key ceremony) and set auto_init = false")
	reads.add(f, &c.Reads)
	for _, n := range []string{"home", "name", "sequencer"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

// openParticipant loads a participant home and unlocks its key store.
func openParticipant(home string, w *wrapperFlags) (daemon.Options, error) {
	c, err := daemon.Load(home)
	if err != nil {
		return daemon.Options{}, err
	}
	dir := c.KeyStore
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(home, dir)
	}
	ks, err := w.open(dir)
	if err != nil {
		return daemon.Options{}, fmt.Errorf("key store: %w", err)
	}
	return daemon.Options{Home: home, Config: c, Keys: ks, Logger: app.NewLogger(os.Stderr, c.LogLevel, c.LogFormat)}, nil
}

func newParticipantStartCmd() *cobra.Command {
	var w wrapperFlags
	var home string
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run the participant in --home until SIGINT or SIGTERM (an empty database is rebuilt from the chain first)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := openParticipant(home, &w)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			d, err := daemon.Start(ctx, o)
			if err != nil {
				return err
			}
			o.Logger.Info("participant started", "member", o.Config.Member, "ledger_api", d.LedgerAPI.String(), "metrics", d.MetricsURL)
			<-ctx.Done()
			o.Logger.Info("shutting down")
			return d.Stop()
		},
	}
	w.add(cmd)
	cmd.Flags().StringVar(&home, "home", "", "participant home directory")
	_ = cmd.MarkFlagRequired("home")
	return cmd
}

func newParticipantRecoverCmd() *cobra.Command {
	var w wrapperFlags
	var home string
	var wipe bool
	var every, verify time.Duration
	var fromSnapshot string
	cmd := &cobra.Command{
		Use:   "recover",
		Short: "Rebuild the participant's database from its event stream on the chain (keys and config stay), then print the ACS hash",
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := openParticipant(home, &w)
			if err != nil {
				return err
			}
			if wipe {
				if err := daemon.WipeDatabase(home, o.Config); err != nil {
					return err
				}
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			if fromSnapshot != "" {
				r, err := daemon.RecoverFromSnapshot(ctx, o, fromSnapshot, verify)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), r)
				return nil
			}
			r, err := daemon.Recover(ctx, o, cmd.OutOrStdout(), every)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), r)
			return nil
		},
	}
	w.add(cmd)
	cmd.Flags().StringVar(&home, "home", "", "participant home directory")
	cmd.Flags().BoolVar(&wipe, "wipe", false, "remove the existing database first")
	cmd.Flags().DurationVar(&every, "progress", 2*time.Second, "progress line interval")
	cmd.Flags().StringVar(&fromSnapshot, "from-snapshot", "", "rebuild from this signed ACS snapshot (participant snapshot export) and the stream after it")
	cmd.Flags().DurationVar(&verify, "verify-timeout", 2*time.Minute, "with --from-snapshot: how long to wait for each counter-participant's commitment for the snapshot's tick")
	_ = cmd.MarkFlagRequired("home")
	return cmd
}
