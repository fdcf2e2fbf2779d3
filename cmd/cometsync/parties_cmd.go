package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

func init() { subcommands = append(subcommands, newPartiesCmd) }

func newPartiesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "parties", Short: "Host parties on participants (PartyToParticipant) and list them"}
	cmd.AddCommand(newPartiesChangeCmd(false), newPartiesChangeCmd(true), newPartiesListCmd(), newPartiesReplicateCmd())
	return cmd
}

// newPartiesChangeCmd is `parties enable` (a PartyToParticipant REPLACE) or `parties
// disable` (a REMOVE of the one in force), with serial = current + 1, signed by the key
// store's key and submitted; what other namespaces still have to sign is reported, and
// --out keeps the transaction for them (topology sign, topology submit).
func newPartiesChangeCmd(remove bool) *cobra.Command {
	var sf signerFlags
	var cf connFlags
	var mf mappingFlags
	var out string
	use, short := "enable PARTY", "Host PARTY (name::namespace, or a name in the signing key's namespace) on --participant with --threshold"
	if remove {
		use, short = "disable PARTY", "Remove the hosting of PARTY"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			mf.party = args[0]
			env, err := loadEnv(cmd.Context(), &sf, &cf)
			if err != nil {
				return err
			}
			stx, err := buildTx(cmd, pb.MappingCode_MAPPING_CODE_PARTY_TO_PARTICIPANT, &mf, env, cf.member, txOptions{remove: remove, proposal: true})
			if err != nil {
				return err
			}
			return signAndSubmit(cmd, &sf, &cf, stx, out)
		},
	}
	sf.add(cmd)
	cf.add(cmd)
	if !remove {
		fl := cmd.Flags()
		fl.StringArrayVar(&mf.participants, "participant", nil, "hosting participant PAR::name::ns[=permission] (repeatable)")
		fl.Uint32Var(&mf.threshold, "threshold", 1, "confirmation threshold")
		fl.StringVar(&mf.permission, "permission", "submission", "permission of --participant without =permission: submission, confirmation or observation")
		_ = cmd.MarkFlagRequired("participant")
	}
	cmd.Flags().StringVar(&out, "out", "", "also write the signed transaction to this file (for the other signers)")
	_ = cmd.MarkFlagRequired("keystore")
	_ = cmd.MarkFlagRequired("sequencer")
	_ = cmd.MarkFlagRequired("member")
	return cmd
}

// signAndSubmit signs stx with --keystore, writes it to out (if set), submits it as
// --member and prints the outcome.
func signAndSubmit(cmd *cobra.Command, sf *signerFlags, cf *connFlags, stx *topology.SignedTransaction, out string) error {
	stxs, _, err := sf.sign([]*topology.SignedTransaction{stx})
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if out != "" {
		if err := writeTxFile(out, stxs); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %s\n", out)
	}
	s, err := cf.dial(sf)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.submit(cmd.Context(), w, stxs)
	if err != nil {
		return err
	}
	for _, st := range res.statuses {
		printTxStatus(w, st)
	}
	return nil
}

func newPartiesListCmd() *cobra.Command {
	var sf signerFlags
	var cf connFlags
	var participant string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the hosted parties (all, or those --participant hosts) from the downloaded topology state",
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := downloadState(cmd.Context(), &cf, &sf)
			if err != nil {
				return err
			}
			ptps := hostedParties(st.Head(), participant)
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), ptps)
			}
			printParties(cmd.OutOrStdout(), ptps)
			return nil
		},
	}
	sf.add(cmd)
	cf.add(cmd)
	cmd.Flags().StringVar(&participant, "participant", "", "only parties this participant hosts")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (PartyToParticipant mappings)")
	_ = cmd.MarkFlagRequired("sequencer")
	return cmd
}

// hostedParties returns the PartyToParticipant mappings in force at snap, ordered by
// party, restricted to those hosted on participant when it is not empty.
func hostedParties(snap *topology.Snapshot, participant string) []*pb.PartyToParticipant {
	var out []*pb.PartyToParticipant
	for _, x := range snap.Transactions() {
		ptp := x.Tx.Mapping().GetPartyToParticipant()
		if ptp == nil {
			continue
		}
		if participant == "" || hosts(ptp, participant) {
			out = append(out, ptp)
		}
	}
	return out
}

func hosts(ptp *pb.PartyToParticipant, participant string) bool {
	for _, h := range ptp.Participants {
		if h.Participant == participant {
			return true
		}
	}
	return false
}

func printParties(w io.Writer, ptps []*pb.PartyToParticipant) {
	for _, p := range ptps {
		fmt.Fprintf(w, "%s threshold %d\n", p.Party, p.Threshold)
		for _, h := range p.Participants {
			fmt.Fprintf(w, "  %s %s\n", h.Participant, permissionName(h.Permission))
		}
	}
}
