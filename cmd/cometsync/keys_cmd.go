package main

import (
	"errors"
	"fmt"
	"os"

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
	var force bool
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Create a member signing key (Ed25519) in its own namespace and write it to --out",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOverwrite(out, force); err != nil {
				return err
			}
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
	cmd.Flags().StringVar(&out, "out", "", "key file to write (refused when it exists, unless --force)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing --out file (its key is lost)")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// checkOverwrite refuses to replace an existing file unless force is set: a key file
// holds a private key, and overwriting it loses the key for good.
func checkOverwrite(path string, force bool) error {
	if force {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s already exists: refusing to overwrite a key file (pass --force to replace it; its key is lost)", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
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
