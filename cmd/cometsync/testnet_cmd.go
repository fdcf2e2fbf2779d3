package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/testnet/procnet"
)

func init() { subcommands = append(subcommands, newTestnetCmd) }

func newTestnetCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "testnet", Short: "Generate and run a consortium network (validators, mediators, participants) as separate processes"}
	var o procnet.Options
	var hosts string
	initCmd := &cobra.Command{
		Use:   "init DIR",
		Short: "Generate every validator's home with one genesis, and a home with an encrypted key store for each mediator and participant",
		Long: `Generate a network in DIR: validator homes (node0, node1, ...) sharing one genesis that
names the mediators and participants as members, a home for each mediator (mediator0,
...) and participant (participant0, ...) with its configuration and encrypted key store
(unlocked by DIR/wrapper.key, shared by the testnet's members for convenience), and
DIR/testnet.json describing it all.

By default every node listens on loopback with free ports. With --hosts h1,h2,... the
nodes are spread over those machines (validator i and member j on host i and j modulo
the number of hosts), listening on all interfaces with fixed ports: 26656 p2p, 26657 RPC,
26690 sequencer API, 26691 metrics, 5011 Ledger API (+10 for each further node on the same host).
Copy DIR to every machine and start there the nodes it runs (see
docs/consortium-testnet.md). Without --tls the APIs of nodes spread over --hosts serve
plaintext on every interface (api_allow_plaintext, ledger_api_allow_plaintext).

With --tls, init makes a CA (DIR/tls/ca.crt) and a certificate for every validator and
member, for its host and loopback: the sequencer APIs serve TLS and require the
members' client certificates, the Ledger APIs serve TLS, and every member verifies its
sequencers with the CA; ledger clients pass --ca-file DIR/tls/ca.crt.

Pruning is on by default: every validator prunes its application state every
--pruning-interval of sequencer time (pruning_interval in cometsync.toml), keeping
--pruning-retention of history (pruning_retention) and what a member has not
acknowledged; every participant prunes its ledger on the same schedule (prune_interval,
prune_retention in participant.toml, on sequencer time, up to a safe point) and every
mediator its audit log (on its own clock). --pruning-interval 0 leaves pruning off;
testnet status shows each validator's earliest block.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if hosts != "" {
				o.Hosts = strings.Split(hosts, ",")
			}
			m, err := procnet.Init(args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "testnet in %s\n  synchronizer %s\n  validators   %d\n  owners       %d, threshold %d (key stores: node<k>/owner-keys)\n",
				args[0], m.SynchronizerID, len(m.Nodes), len(m.Owners), m.OwnerThreshold)
			for _, mem := range m.Members {
				fmt.Fprintf(cmd.OutOrStdout(), "  %-12s %s (%s)\n", mem.Kind, mem.ID, mem.Home)
			}
			if m.PruningInterval != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "  pruning      every %s, keeping %s (validators, mediators, participants)\n", m.PruningInterval, m.PruningRetention)
			} else {
				fmt.Fprintln(cmd.OutOrStdout(), "  pruning      off")
			}
			switch {
			case m.TLSCAFile != "":
				fmt.Fprintf(cmd.OutOrStdout(), "  tls          CA %s (ledger --ca-file %s)\n", m.TLSCAFile, m.TLSCAFile)
			case len(o.Hosts) > 0:
				fmt.Fprintln(cmd.OutOrStdout(), "  tls          off: the APIs serve plaintext on every interface (use --tls across machines)")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "start it with: cometsync testnet start %s\n", args[0])
			return nil
		},
	}
	initCmd.Flags().IntVar(&o.Validators, "validators", 4, "number of validators")
	initCmd.Flags().IntVar(&o.Participants, "participants", 3, "participants (genesis members, each with its home)")
	initCmd.Flags().IntVar(&o.Mediators, "mediators", 1, "mediators (genesis members, each with its home)")
	initCmd.Flags().StringVar(&hosts, "hosts", "", "comma-separated hosts to spread the nodes over (default: all on loopback)")
	initCmd.Flags().BoolVar(&o.TLS, "tls", false, "make a CA and certificates: TLS (and client certificates) on every sequencer and Ledger API")
	initCmd.Flags().BoolVar(&o.Permissioned, "permissioned", false, "permissioned onboarding of further participants (default: open)")
	initCmd.Flags().IntVar(&o.Owners, "owners", 0, "synchronizer owners of the decentralized namespace (default: one per validator)")
	initCmd.Flags().Uint32Var(&o.OwnerThreshold, "owner-threshold", 0, "owner signatures a synchronizer change needs (default: a majority)")
	initCmd.Flags().DurationVar(&o.PruningInterval, "pruning-interval", time.Hour, "prune every validator and participant this often on sequencer time, and every mediator on its clock (0: no pruning)")
	initCmd.Flags().DurationVar(&o.PruningRetention, "pruning-retention", 24*time.Hour, "the history pruning keeps (what is older and acknowledged goes)")

	var only string
	startCmd := &cobra.Command{
		Use:   "start DIR",
		Short: "Start every validator, then every mediator and participant, each as its own process (logs in each home)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := procnet.Load(args[0])
			if err != nil {
				return err
			}
			bin, err := os.Executable()
			if err != nil {
				return err
			}
			var started []int
			for i, n := range m.Nodes {
				if only != "" && n.Host != only {
					continue
				}
				if err := procnet.StartNode(m, i, bin); err != nil {
					return err
				}
				started = append(started, i)
				fmt.Fprintf(cmd.OutOrStdout(), "started node %d (%s)\n", i, n.Home)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
			defer cancel()
			for _, i := range started {
				if only != "" {
					break // the other hosts may not be up yet: the members wait for their sequencers
				}
				if err := procnet.WaitHeight(ctx, m, i, 1); err != nil {
					return err
				}
			}
			for j, mem := range m.Members {
				if only != "" && mem.Host != only {
					continue
				}
				if err := procnet.StartMember(m, j, bin); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "started %s (%s)\n", mem.ID, mem.Home)
			}
			return printStatus(cmd, m)
		},
	}
	startCmd.Flags().StringVar(&only, "host", "", "start only the nodes of this host (a testnet made with --hosts)")
	stopCmd := &cobra.Command{
		Use:   "stop DIR",
		Short: "Stop every participant, mediator and validator (SIGTERM, then SIGKILL after 10s)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := procnet.Load(args[0])
			if err != nil {
				return err
			}
			for j := len(m.Members) - 1; j >= 0; j-- {
				if err := procnet.StopMember(m, j, 10*time.Second); err != nil {
					return err
				}
			}
			for i := range m.Nodes {
				if err := procnet.StopNode(m, i, 10*time.Second); err != nil {
					return err
				}
			}
			fmt.Fprintln(cmd.OutOrStdout(), "stopped")
			return nil
		},
	}
	statusCmd := &cobra.Command{
		Use:   "status DIR",
		Short: "Show each validator's process, height, app hash and peers, and each member's process (and a participant's ledger end)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := procnet.Load(args[0])
			if err != nil {
				return err
			}
			return printStatus(cmd, m)
		},
	}
	cmd.AddCommand(initCmd, startCmd, stopCmd, statusCmd)
	return cmd
}

func printStatus(cmd *cobra.Command, m *procnet.Manifest) error {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "node\tprocess\theight\tearliest\tapp hash\tpeers\tapi\tmetrics")
	for i, s := range procnet.Status(cmd.Context(), m) {
		hash := s.AppHash
		if len(hash) > 12 {
			hash = hash[:12]
		}
		if s.Err != nil {
			hash = "rpc: " + s.Err.Error()
		}
		metrics := "-" // a testnet made before nodes exported metrics
		if m.Nodes[i].Metrics != "" {
			metrics = "http://" + m.Nodes[i].Metrics + "/metrics"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%d\t%s\t%s\n", i, running(s.Running), s.Height, s.EarliestHeight, hash, s.Peers, m.Nodes[i].API, metrics)
	}
	if len(m.Members) > 0 {
		fmt.Fprintln(tw, "\nmember\tprocess\tledger end\tledger api\t\t\t\t")
		for j, s := range procnet.MemberStatuses(cmd.Context(), m) {
			end := "-"
			switch {
			case status.Code(s.Err) == codes.Unavailable:
				end = "not serving yet"
			case s.Err != nil:
				end = "api: " + status.Convert(s.Err).Message()
			case m.Members[j].LedgerAPI != "" && s.Running:
				end = fmt.Sprint(s.LedgerEnd)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\t\t\t\n", m.Members[j].ID, running(s.Running), end, m.Members[j].LedgerAPI)
		}
	}
	return tw.Flush()
}

func running(ok bool) string {
	if ok {
		return "running"
	}
	return "stopped"
}
