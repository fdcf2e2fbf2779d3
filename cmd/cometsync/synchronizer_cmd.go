package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

func init() { subcommands = append(subcommands, newSynchronizerCmd) }

// The synchronizer owners govern the synchronizer's namespace (typically a decentralized
// namespace): these commands are topology propose/sign/submit with the right mappings.
func newSynchronizerCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "synchronizer", Short: "Govern the synchronizer: parameters and the owners of its (decentralized) namespace"}
	sign, submit := newTopologySignCmd(), newTopologySubmitCmd("submit")
	sign.Short = "Sign a synchronizer proposal as one of the owners (topology sign)"
	submit.Short = "Submit signed synchronizer proposals (topology submit)"
	cmd.AddCommand(newSynchronizerParametersCmd(), newSynchronizerOwnerCmd(false), newSynchronizerOwnerCmd(true), newSynchronizerValidatorsCmd(), sign, submit)
	return cmd
}

func newSynchronizerParametersCmd() *cobra.Command {
	var sf signerFlags
	var cf connFlags
	var mf mappingFlags
	var o txOptions
	cmd := &cobra.Command{
		Use:   "propose-parameters",
		Short: "Propose new synchronizer parameters (unset flags keep the current values read from --sequencer)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := loadEnv(cmd.Context(), &sf, &cf)
			if err != nil {
				return err
			}
			stx, err := buildTx(cmd, pb.MappingCode_MAPPING_CODE_SYNCHRONIZER_PARAMETERS_STATE, &mf, env, cf.member, o)
			if err != nil {
				return err
			}
			return finishProposal(cmd.OutOrStdout(), &sf, env, o, stx)
		},
	}
	sf.add(cmd)
	cf.add(cmd)
	mf.params.add(cmd)
	o.add(cmd)
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// newSynchronizerOwnerCmd is add-owner or remove-owner: a new definition of the owners'
// decentralized namespace (read from --sequencer) with serial + 1.
func newSynchronizerOwnerCmd(remove bool) *cobra.Command {
	var sf signerFlags
	var cf connFlags
	var o txOptions
	var namespace string
	var threshold uint32
	use, short := "add-owner NAMESPACE", "Propose adding an owner namespace to the synchronizer's decentralized namespace"
	if remove {
		use, short = "remove-owner NAMESPACE", "Propose removing an owner namespace from the synchronizer's decentralized namespace"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			owner, err := crypto.ParseFingerprint(args[0])
			if err != nil {
				return err
			}
			env, err := loadEnv(cmd.Context(), &sf, &cf)
			if err != nil {
				return err
			}
			m, err := ownersChange(env, namespace, owner, remove, threshold)
			if err != nil {
				return err
			}
			serial, err := serialFor(o.serial, env.state, m)
			if err != nil {
				return err
			}
			tx, err := topology.NewTransaction(pb.Operation_OPERATION_REPLACE, serial, m)
			if err != nil {
				return err
			}
			return finishProposal(cmd.OutOrStdout(), &sf, env, o, &topology.SignedTransaction{Tx: tx, Proposal: o.proposal})
		},
	}
	sf.add(cmd)
	cf.add(cmd)
	o.add(cmd)
	cmd.Flags().StringVar(&namespace, "namespace", "", "the decentralized namespace (default: the synchronizer's)")
	cmd.Flags().Uint32Var(&threshold, "threshold", 0, "new owner threshold (default: unchanged, lowered to the number of owners)")
	_ = cmd.MarkFlagRequired("out")
	_ = cmd.MarkFlagRequired("sequencer")
	return cmd
}

// ownersChange returns the decentralized namespace definition in force with owner added
// or removed.
func ownersChange(env *proposeEnv, namespace string, owner crypto.Fingerprint, remove bool, threshold uint32) (*pb.TopologyMapping, error) {
	if namespace == "" {
		sync, err := env.synchronizer()
		if err != nil {
			return nil, err
		}
		namespace = string(sync.Namespace)
	}
	def, ok := env.state.Head().DecentralizedNamespace(crypto.Fingerprint(namespace))
	if !ok {
		return nil, fmt.Errorf("namespace %s has no decentralized namespace definition in force (a single-key namespace has no owners to change)", namespace)
	}
	owners := def.Owners
	switch i := slices.Index(owners, string(owner)); {
	case remove && i < 0:
		return nil, fmt.Errorf("%s is not an owner of %s", owner, namespace)
	case remove:
		owners = slices.Delete(owners, i, i+1)
	case i >= 0:
		return nil, fmt.Errorf("%s is already an owner of %s", owner, namespace)
	default:
		owners = append(owners, string(owner))
	}
	if len(owners) == 0 {
		return nil, errors.New("a decentralized namespace needs at least one owner")
	}
	if threshold == 0 {
		threshold = min(def.Threshold, uint32(len(owners)))
	}
	fps := make([]crypto.Fingerprint, len(owners))
	for i, o := range owners {
		fps[i] = crypto.Fingerprint(o)
	}
	return topology.NewDecentralizedNamespace(crypto.Fingerprint(namespace), threshold, fps...), nil
}
