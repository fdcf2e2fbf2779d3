package main

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cometbft/cometbft/privval"
	"github.com/spf13/cobra"

	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

// newSynchronizerValidatorsCmd proposes a ValidatorSetState: the owners decide CometBFT's
// validator set, which the sequencer application applies from the effective time.
func newSynchronizerValidatorsCmd() *cobra.Command {
	var sf signerFlags
	var cf connFlags
	var o txOptions
	var validators []string
	cmd := &cobra.Command{
		Use:   "set-validators",
		Short: "Propose the consensus validator set (every validator: --validator BASE64_ED25519_KEY=POWER; `cometsync node show-validator` prints a node's key)",
		Long: `Propose a ValidatorSetState for the synchronizer: the complete CometBFT validator set.
From the transaction's effective time, the sequencer application returns the changes to
CometBFT (validators not listed get power 0), which applies them two blocks later. Before
the first ValidatorSetState the genesis validators stay in place. The synchronizer
owners must sign it (threshold of a decentralized namespace); the usual flow is
set-validators --out, synchronizer sign by the other owners, synchronizer submit.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := loadEnv(cmd.Context(), &sf, &cf)
			if err != nil {
				return err
			}
			sync, err := env.synchronizer()
			if err != nil {
				return err
			}
			var vs []*pb.Validator
			for _, v := range validators {
				i := strings.LastIndex(v, "=") // base64 keys end in '=' padding
				key, power, ok := v[:max(i, 0)], v[i+1:], i > 0
				if !ok {
					return fmt.Errorf("--validator %q: want BASE64_ED25519_KEY=POWER", v)
				}
				pk, err := base64.StdEncoding.DecodeString(key)
				if err != nil {
					return fmt.Errorf("--validator %q: key: %w", v, err)
				}
				p, err := strconv.ParseInt(power, 10, 64)
				if err != nil {
					return fmt.Errorf("--validator %q: power: %w", v, err)
				}
				vs = append(vs, &pb.Validator{PubKeyEd25519: pk, Power: p})
			}
			m := topology.NewValidatorSet(sync, vs...)
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
	cmd.Flags().StringArrayVar(&validators, "validator", nil, "a validator as BASE64_ED25519_KEY=POWER (repeatable; the whole set)")
	_ = cmd.MarkFlagRequired("validator")
	_ = cmd.MarkFlagRequired("out")
	_ = cmd.MarkFlagRequired("sequencer")
	return cmd
}

// newNodeShowValidatorCmd prints a node's consensus public key for set-validators.
func newNodeShowValidatorCmd() *cobra.Command {
	var home string
	cmd := &cobra.Command{
		Use:   "show-validator",
		Short: "Print the node's CometBFT validator public key (base64 Ed25519), as synchronizer set-validators takes it",
		RunE: func(cmd *cobra.Command, _ []string) error {
			pv := privval.LoadFilePVEmptyState(filepath.Join(home, "config", "priv_validator_key.json"), filepath.Join(home, "data", "priv_validator_state.json"))
			pk, err := pv.GetPubKey()
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), base64.StdEncoding.EncodeToString(pk.Bytes()))
			return nil
		},
	}
	cmd.Flags().StringVar(&home, "home", defaultHome(), "node home directory")
	return cmd
}
