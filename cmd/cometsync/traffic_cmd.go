package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	seqpb "github.com/cometsync/cometsync/proto/sequencerpb"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

func init() { subcommands = append(subcommands, newTrafficCmd) }

// Traffic control (docs/running-a-validator.md, "Traffic control"): a member reads its
// own traffic account; the synchronizer owners grant extra traffic with a
// MemberTrafficLimit proposal, signed and submitted like any synchronizer proposal.
func newTrafficCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "traffic", Short: "Traffic control: a member's traffic state, extra traffic granted by the owners"}
	cmd.AddCommand(newTrafficStatusCmd(), newTrafficGrantCmd())
	return cmd
}

func newTrafficStatusCmd() *cobra.Command {
	var sf signerFlags
	var cf connFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the traffic state of --member (the sequencer answers a member about itself only)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := cf.dial(&sf)
			if err != nil {
				return err
			}
			defer s.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), cf.timeout)
			defer cancel()
			st, err := s.client.TrafficState(ctx)
			if err != nil {
				return fmt.Errorf("traffic state of %s from %v: %w", s.member, cf.endpoints, err)
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			printTrafficState(cmd.OutOrStdout(), st)
			return nil
		},
	}
	sf.add(cmd)
	cf.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the GetTrafficState response as JSON")
	_ = cmd.MarkFlagRequired("sequencer")
	_ = cmd.MarkFlagRequired("member")
	return cmd
}

func printTrafficState(w io.Writer, st *seqpb.GetTrafficStateResponse) {
	fmt.Fprintf(w, "member:     %s\n", st.Member)
	if !st.Metered {
		fmt.Fprintln(w, "traffic:    not metered (no traffic control in the synchronizer parameters, or a sequencer)")
		return
	}
	at := time.UnixMicro(st.AsOfMicros).UTC().Format(time.RFC3339Nano)
	if st.Maintenance {
		fmt.Fprintln(w, "traffic:    MAINTENANCE (base rate 0): every submission is refused with TRAFFIC_EXCEEDED")
	}
	fmt.Fprintf(w, "as of:      %s (sequencer time of the last sequenced submission)\n", at)
	fmt.Fprintf(w, "base:       %d of %d bytes, refilled at %d bytes/s\n", st.BaseTrafficRemaining, st.BurstBytes, st.BaseRateBytesPerSecond)
	fmt.Fprintf(w, "extra:      %d of %d bytes left (%d consumed)\n", st.ExtraTrafficRemaining, st.ExtraTrafficLimit, st.ExtraTrafficConsumed)
	fmt.Fprintf(w, "cost:       submission size + %d bytes per recipient member\n", st.RecipientCostBytes)
	fmt.Fprintf(w, "consumed:   %d bytes in total\n", st.TotalConsumed)
}

// newTrafficGrantCmd proposes a MemberTrafficLimit: the owners grant a member a total
// of extra traffic (and optionally its own base rate; 0 is maintenance).
func newTrafficGrantCmd() *cobra.Command {
	var sf signerFlags
	var cf connFlags
	var o txOptions
	var member string
	var extra, rate int64
	cmd := &cobra.Command{
		Use:   "grant",
		Short: "Propose a MemberTrafficLimit: the total extra traffic of --for (and optionally its own --base-rate; 0 puts it in maintenance)",
		Long: `Propose a MemberTrafficLimit for the synchronizer's owners to sign (synchronizer sign)
and submit (synchronizer submit). --extra-traffic-limit is a total: to grant 1 MB more,
propose the current limit (see traffic status) plus 1 MB. --base-rate replaces the
synchronizer's base rate for this member; --base-rate 0 puts it in maintenance.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := loadEnv(cmd.Context(), &sf, &cf)
			if err != nil {
				return err
			}
			sync, err := env.synchronizer()
			if err != nil {
				return err
			}
			var r *int64
			if cmd.Flags().Changed("base-rate") {
				r = &rate
			}
			m := topology.NewMemberTrafficLimit(sync, member, extra, r)
			if o.remove && env.state != nil { // a REMOVE names the mapping in force
				cur, ok := env.state.Head().MemberTrafficLimit(member)
				if !ok {
					return fmt.Errorf("no MemberTrafficLimit in force for %s", member)
				}
				m = &pb.TopologyMapping{Mapping: &pb.TopologyMapping_MemberTrafficLimit{MemberTrafficLimit: cur}}
			}
			serial, err := serialFor(o.serial, env.state, m)
			if err != nil {
				return err
			}
			op := pb.Operation_OPERATION_REPLACE
			if o.remove {
				op = pb.Operation_OPERATION_REMOVE
			}
			tx, err := topology.NewTransaction(op, serial, m)
			if err != nil {
				return err
			}
			return finishProposal(cmd.OutOrStdout(), &sf, env, o, &topology.SignedTransaction{Tx: tx, Proposal: o.proposal})
		},
	}
	sf.add(cmd)
	cf.add(cmd)
	o.add(cmd)
	cmd.Flags().StringVar(&member, "for", "", "member id (PAR::..., MED::...) to grant traffic to")
	cmd.Flags().Int64Var(&extra, "extra-traffic-limit", 0, "total extra traffic of the member in bytes")
	cmd.Flags().Int64Var(&rate, "base-rate", 0, "the member's own base rate in bytes per second (default: the synchronizer's; 0: maintenance)")
	_ = cmd.MarkFlagRequired("for")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}
