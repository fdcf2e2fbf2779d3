package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
	"github.com/cometsync/cometsync/topology/txfile"
)

func init() { subcommands = append(subcommands, newTopologyCmd) }

func newTopologyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topology",
		Short: "Propose, sign, submit and inspect topology transactions (see docs/topology-cli.md)",
	}
	cmd.AddCommand(newTopologyProposeCmd(), newTopologySignCmd(), newTopologySubmitCmd("submit"),
		newTopologyListCmd(), newTopologyExportCmd(), newTopologySubmitCmd("import"))
	return cmd
}

// txOptions are the transaction-level flags of propose.
type txOptions struct {
	serial   uint64
	remove   bool
	proposal bool
	sign     bool
	out      string
}

func (o *txOptions) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Uint64Var(&o.serial, "serial", 0, "serial (default: the current serial + 1 read from --sequencer, else 1)")
	fl.BoolVar(&o.remove, "remove", false, "remove the mapping (with --sequencer: the one in force) instead of replacing it")
	fl.BoolVar(&o.proposal, "proposal", true, "mark as a proposal: the topology manager stores it until enough signatures are merged")
	fl.BoolVar(&o.sign, "sign", false, "sign with the key of --keystore")
	fl.StringVar(&o.out, "out", "", "file to write the transaction to")
}

func newTopologyProposeCmd() *cobra.Command {
	var sf signerFlags
	var cf connFlags
	var mf mappingFlags
	var o txOptions
	cmd := &cobra.Command{
		Use:   "propose MAPPING",
		Short: "Build a topology transaction (namespace-delegation, owner-to-key-mapping, party-to-participant, decentralized-namespace, synchronizer-parameters, participant-permission) and write it to --out",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := parseMappingName(args[0])
			if err != nil {
				return err
			}
			env, err := loadEnv(cmd.Context(), &sf, &cf)
			if err != nil {
				return err
			}
			stx, err := buildTx(cmd, code, &mf, env, cf.member, o)
			if err != nil {
				return err
			}
			return finishProposal(cmd.OutOrStdout(), &sf, env, o, stx)
		},
	}
	sf.add(cmd)
	cf.add(cmd)
	mf.add(cmd)
	o.add(cmd)
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// buildTx builds the transaction of code from the flags: for a REMOVE with a state, of
// the mapping in force; the serial defaults to the current one + 1.
func buildTx(cmd *cobra.Command, code pb.MappingCode, mf *mappingFlags, env *proposeEnv, member string, o txOptions) (*topology.SignedTransaction, error) {
	op := pb.Operation_OPERATION_REPLACE
	var m *pb.TopologyMapping
	var err error
	if o.remove && env.state != nil {
		op = pb.Operation_OPERATION_REMOVE
		key, err := mf.keyFor(code, env, member)
		if err != nil {
			return nil, err
		}
		var ok bool
		if m, ok = env.state.Head().Mapping(key); !ok {
			return nil, fmt.Errorf("no %s in force for %s", mappingName(code), key.ID)
		}
	} else {
		if o.remove {
			op = pb.Operation_OPERATION_REMOVE
		}
		if m, err = mf.build(cmd, code, env, member); err != nil {
			return nil, err
		}
	}
	serial, err := serialFor(o.serial, env.state, m)
	if err != nil {
		return nil, err
	}
	tx, err := topology.NewTransaction(op, serial, m)
	if err != nil {
		return nil, err
	}
	return &topology.SignedTransaction{Tx: tx, Proposal: o.proposal}, nil
}

// serialFor is the serial of a transaction of m: serial when set, else the current
// serial of m's unique key in st + 1 (1 without a state).
func serialFor(serial uint64, st *topology.State, m *pb.TopologyMapping) (uint64, error) {
	if serial != 0 {
		return serial, nil
	}
	key, err := topology.KeyOf(m)
	if err != nil || st == nil {
		return 1, err
	}
	return st.Serial(key) + 1, nil
}

// finishProposal signs (with --sign), writes --out and says what the transaction still
// needs when the state is known.
func finishProposal(w io.Writer, sf *signerFlags, env *proposeEnv, o txOptions, stx *topology.SignedTransaction) error {
	stxs := []*topology.SignedTransaction{stx}
	if o.sign {
		var err error
		if stxs, _, err = sf.sign(stxs); err != nil {
			return err
		}
	}
	if err := writeTxFile(o.out, stxs); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\n", o.out)
	for _, x := range stxs {
		printTx(w, x)
		if env.state != nil {
			printPreview(w, env.state, x)
		}
	}
	return nil
}

func printTx(w io.Writer, x *topology.SignedTransaction) {
	fmt.Fprintf(w, "%s\n  hash %s\n  signed by %v\n", describe(x.Tx), x.Tx.HashHex(), fingerprintStrings(x.SignedBy()))
}

// printPreview says what submitting x would do at the state's head.
func printPreview(w io.Writer, st *topology.State, x *topology.SignedTransaction) {
	out, err := st.Preview(&topology.SignedTransaction{Tx: x.Tx, Signatures: x.Signatures, Proposal: true})
	var ue *topology.UnauthorizedError
	switch {
	case err == nil && out.Kind == topology.OutcomeApplied:
		fmt.Fprintln(w, "  the signatures suffice: submitting applies it")
	case err == nil:
		printMissing(w, out.Missing, false)
	case errors.As(err, &ue):
		printMissing(w, ue, false)
	default:
		fmt.Fprintf(w, "  would be rejected: %v\n", err)
	}
}

func newTopologySignCmd() *cobra.Command {
	var sf signerFlags
	var in []string
	var out string
	cmd := &cobra.Command{
		Use:   "sign",
		Short: "Add the key store's signature to the transactions of --in files (merging the signatures of equal transactions)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			stxs, err := txfile.ReadFiles(in)
			if err != nil {
				return err
			}
			stxs, fp, err := sf.sign(stxs)
			if err != nil {
				return err
			}
			if out == "" {
				out = in[0]
			}
			if err := writeTxFile(out, stxs); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "signed %d transaction(s) with key %s, wrote %s\n", len(stxs), fp, out)
			for _, x := range stxs {
				printTx(w, x)
			}
			return nil
		},
	}
	sf.add(cmd)
	cmd.Flags().StringArrayVar(&in, "in", nil, "transaction file (repeatable)")
	cmd.Flags().StringVar(&out, "out", "", "file to write (default: the first --in)")
	_ = cmd.MarkFlagRequired("in")
	_ = cmd.MarkFlagRequired("keystore")
	return cmd
}

// newTopologySubmitCmd is `topology submit` and its alias for exported files, `import`.
func newTopologySubmitCmd(use string) *cobra.Command {
	var sf signerFlags
	var cf connFlags
	var in []string
	short := "Send signed transactions to the topology manager, wait for the receipt and report whether each is applied or a pending proposal (and which signatures it lacks)"
	if use == "import" {
		short = "Submit a file of several signed transactions (for example from topology export) in one batch"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stxs, err := txfile.ReadFiles(in)
			if err != nil {
				return err
			}
			s, err := cf.dial(&sf)
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := s.submit(cmd.Context(), cmd.OutOrStdout(), stxs)
			if err != nil {
				return err
			}
			for _, st := range res.statuses {
				printTxStatus(cmd.OutOrStdout(), st)
			}
			return nil
		},
	}
	sf.add(cmd)
	cf.add(cmd)
	cmd.Flags().StringArrayVar(&in, "in", nil, "transaction file (repeatable)")
	_ = cmd.MarkFlagRequired("in")
	_ = cmd.MarkFlagRequired("sequencer")
	_ = cmd.MarkFlagRequired("member")
	return cmd
}
