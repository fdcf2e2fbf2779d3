package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/app"
	"github.com/cometsync/cometsync/crypto"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
)

func init() { subcommands = append(subcommands, newMediatorCmd) }

func newMediatorCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "mediator", Short: "Run a mediator node: init, start, recover from the chain, prune its audit log"}
	cmd.AddCommand(newMediatorInitCmd(), newMediatorStartCmd(), newMediatorRecoverCmd(), newMediatorPruneCmd())
	return cmd
}

func newMediatorInitCmd() *cobra.Command {
	var w wrapperFlags
	var home, name, scheme string
	var reads readFlags
	c := mediatord.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a mediator home: encrypted key store (signing and encryption keys) and mediator.toml",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := os.MkdirAll(home, 0o700); err != nil {
				return err
			}
			if err := reads.apply(home, &c.Reads); err != nil {
				return err
			}
			ks, err := w.create(filepath.Join(home, c.KeyStore))
			if err != nil {
				return err
			}
			out, pub, err := mediatord.Init(home, name, c, ks, crypto.EncryptionScheme(scheme))
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "mediator %s\nhome %s\ngenesis flag: --member %s=%s\n", out.Member, home, out.Member, core.EncodeKey(pub))
			return nil
		},
	}
	w.add(cmd)
	f := cmd.Flags()
	f.StringVar(&home, "home", "", "mediator home directory")
	f.StringVar(&name, "name", "", "mediator name (its id is MED::name::<namespace>)")
	f.StringArrayVar(&c.Sequencers, "sequencer", nil, "sequencer API endpoint host:port (repeatable)")
	f.StringVar(&c.SynchronizerID, "synchronizer-id", "", "pin this synchronizer id (default: the first one connected to)")
	f.StringVar(&scheme, "scheme", string(crypto.DefaultScheme), "encryption key scheme")
	f.StringVar(&c.MetricsAddress, "metrics-address", "", "serve Prometheus metrics at http://ADDRESS/metrics, e.g. 127.0.0.1:5021 (default: none)")
	addSequencerTLSFlags(f, &c.SequencerTLSCAFile, &c.SequencerTLSServerName, &c.SequencerTLSCertFile, &c.SequencerTLSKeyFile)
	reads.add(f, &c.Reads)
	for _, n := range []string{"home", "name", "sequencer"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

// openMediator loads the mediator's configuration and opens its key store.
func openMediator(home string, w *wrapperFlags, logger func(mediatord.Config) *slog.Logger) (mediatord.Options, error) {
	c, err := mediatord.Load(home)
	if err != nil {
		return mediatord.Options{}, err
	}
	dir := c.KeyStore
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(home, dir)
	}
	ks, err := w.open(dir)
	if err != nil {
		return mediatord.Options{}, fmt.Errorf("key store: %w", err)
	}
	return mediatord.Options{Home: home, Config: c, Keys: ks, Logger: logger(c)}, nil
}

func newMediatorStartCmd() *cobra.Command {
	var w wrapperFlags
	var home string
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run the mediator in --home until SIGINT or SIGTERM (from where its database stands; an empty one is rebuilt from its stream first)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := openMediator(home, &w, func(c mediatord.Config) *slog.Logger { return app.NewLogger(os.Stderr, c.LogLevel, c.LogFormat) })
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			d, err := mediatord.Start(ctx, o)
			if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
				o.Logger.Info("shutting down before the start completed") // SIGINT or SIGTERM while starting
				return nil
			}
			if err != nil {
				return err
			}
			o.Logger.Info("mediator started", "member", o.Config.Member, "resumed_from", d.Node.ResumedFrom(), "metrics", d.Node.MetricsURL())
			<-ctx.Done()
			o.Logger.Info("shutting down")
			return d.Stop()
		},
	}
	w.add(cmd)
	cmd.Flags().StringVar(&home, "home", "", "mediator home directory")
	_ = cmd.MarkFlagRequired("home")
	return cmd
}

func newMediatorRecoverCmd() *cobra.Command {
	var w wrapperFlags
	var home string
	var wipe bool
	var every time.Duration
	cmd := &cobra.Command{
		Use:   "recover",
		Short: "Rebuild the mediator's database from its stream on the chain (keys and config stay)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := openMediator(home, &w, func(c mediatord.Config) *slog.Logger { return app.NewLogger(os.Stderr, c.LogLevel, c.LogFormat) })
			if err != nil {
				return err
			}
			if wipe {
				if err := mediatord.WipeDatabase(home, o.Config); err != nil {
					return err
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			r, err := mediatord.Recover(ctx, o, cmd.OutOrStdout(), every)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), r)
			return nil
		},
	}
	w.add(cmd)
	f := cmd.Flags()
	f.StringVar(&home, "home", "", "mediator home directory")
	f.BoolVar(&wipe, "wipe", false, "remove the existing database first (refused while the mediator runs)")
	f.DurationVar(&every, "progress", 5*time.Second, "print progress this often")
	_ = cmd.MarkFlagRequired("home")
	return cmd
}

// addSequencerTLSFlags adds the flags of a member home's sequencer_tls_* settings (how
// it dials TLS sequencer endpoints) to an init command.
func addSequencerTLSFlags(f *pflag.FlagSet, ca, serverName, cert, key *string) {
	f.StringVar(ca, "sequencer-ca-file", "", "dial the sequencers with TLS, trusting this CA (sequencer_tls_ca_file)")
	f.StringVar(serverName, "sequencer-server-name", "", "the name the sequencers' certificates must carry (sequencer_tls_server_name; default: the endpoint's host)")
	f.StringVar(cert, "sequencer-cert", "", "client certificate for sequencers that require one (sequencer_tls_cert_file)")
	f.StringVar(key, "sequencer-key", "", "the client certificate's key (sequencer_tls_key_file)")
}

func newMediatorPruneCmd() *cobra.Command {
	var home, before string
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove the audit records of finished requests older than --before from a stopped mediator's database (never a request still held)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			at, err := parsePruneBefore(before, time.Now())
			if err != nil {
				return err
			}
			c, err := mediatord.Load(home)
			if err != nil {
				return err
			}
			r, err := mediatord.Prune(home, c, at)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%v (%s)\n", r, at.UTC().Format(time.RFC3339))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&home, "home", "", "mediator home directory")
	f.StringVar(&before, "before", "", "the pruning point: an RFC 3339 time (2026-01-31T00:00:00Z), or a duration ago (720h)")
	_ = cmd.MarkFlagRequired("home")
	_ = cmd.MarkFlagRequired("before")
	return cmd
}

// parsePruneBefore reads a pruning point: an RFC 3339 time, or a duration before now.
func parsePruneBefore(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--before %q: want an RFC 3339 time (2026-01-31T00:00:00Z) or a duration ago (720h)", s)
}
