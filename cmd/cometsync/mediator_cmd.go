package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/app"
	"github.com/cometsync/cometsync/crypto"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
)

func init() { subcommands = append(subcommands, newMediatorCmd) }

func newMediatorCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "mediator", Short: "Run a mediator node: init, start"}
	cmd.AddCommand(newMediatorInitCmd(), newMediatorStartCmd())
	return cmd
}

func newMediatorInitCmd() *cobra.Command {
	var w wrapperFlags
	var home, name, scheme string
	c := mediatord.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a mediator home: encrypted key store (signing and encryption keys) and mediator.toml",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := os.MkdirAll(home, 0o700); err != nil {
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
	for _, n := range []string{"home", "name", "sequencer"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

func newMediatorStartCmd() *cobra.Command {
	var w wrapperFlags
	var home string
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run the mediator in --home until SIGINT or SIGTERM (its state is rebuilt from its stream first)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := mediatord.Load(home)
			if err != nil {
				return err
			}
			dir := c.KeyStore
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(home, dir)
			}
			ks, err := w.open(dir)
			if err != nil {
				return fmt.Errorf("key store: %w", err)
			}
			logger := app.NewLogger(os.Stderr, c.LogLevel, c.LogFormat)
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			p, err := mediatord.StartFromHome(ctx, c, ks, mediatord.NodeConfig{Logger: logger})
			if err != nil {
				return err
			}
			logger.Info("mediator started", "member", c.Member, "metrics", p.MetricsURL())
			<-ctx.Done()
			logger.Info("shutting down")
			p.Stop()
			return nil
		},
	}
	w.add(cmd)
	cmd.Flags().StringVar(&home, "home", "", "mediator home directory")
	_ = cmd.MarkFlagRequired("home")
	return cmd
}
