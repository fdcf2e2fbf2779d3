package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
)

func init() { subcommands = append(subcommands, newKeysCmd) }

func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage member keys: key files and encrypted key stores"}
	cmd.AddCommand(newKeysGenerateCmd(), newKeysShowCmd())
	cmd.AddCommand(newKeysStoreCmds()...)
	return cmd
}

func newKeysGenerateCmd() *cobra.Command {
	var kind, name, out string
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Create a member signing key (Ed25519) in its own namespace and write it to --out",
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := crypto.GenerateSigningKey(nil)
			if err != nil {
				return err
			}
			m, err := crypto.NewMember(crypto.MemberKind(kind), name, k.Fingerprint())
			if err != nil {
				return err
			}
			if err := crypto.WriteKeyFile(out, crypto.NewKeyFile(m.String(), k)); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "member %s\nkey file %s (mode 0600)\ngenesis flag: --member %s=%s\n", m, out, m, core.EncodeKey(k.Public()))
			return nil
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "PAR", "member kind: PAR, MED or SEQ")
	cmd.Flags().StringVar(&name, "name", "", "member name")
	cmd.Flags().StringVar(&out, "out", "", "key file to write")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func newKeysShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show FILE",
		Short: "Print the member, fingerprint and public key of a key file",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kf, k, err := crypto.ReadKeyFile(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "member %s\nfingerprint %s\npublic key %s\n", kf.Member, k.Fingerprint(), core.EncodeKey(k.Public()))
			return nil
		},
	}
}
