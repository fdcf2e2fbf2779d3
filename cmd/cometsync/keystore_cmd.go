package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/crypto/keystore"
)

// wrapperFlags select how a key store's wrapper key is obtained: a passphrase (from a
// file or COMETSYNC_KEYSTORE_PASSPHRASE, never a flag value) or a 32-byte key file.
type wrapperFlags struct {
	passphraseFile string
	keyFile        string
}

func (w *wrapperFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&w.passphraseFile, "passphrase-file", "", "file holding the key store passphrase (else $COMETSYNC_KEYSTORE_PASSPHRASE)")
	cmd.Flags().StringVar(&w.keyFile, "wrapper-key-file", "", "32-byte wrapper key file instead of a passphrase")
}

func (w *wrapperFlags) passphrase() ([]byte, error) {
	if w.passphraseFile != "" {
		b, err := os.ReadFile(w.passphraseFile)
		return []byte(strings.TrimRight(string(b), "\r\n")), err
	}
	if p := os.Getenv("COMETSYNC_KEYSTORE_PASSPHRASE"); p != "" {
		return []byte(p), nil
	}
	return nil, errors.New("no passphrase: use --passphrase-file, $COMETSYNC_KEYSTORE_PASSPHRASE or --wrapper-key-file")
}

// open opens the store in dir.
func (w *wrapperFlags) open(dir string) (*keystore.Store, error) {
	if w.keyFile != "" {
		kw, err := keystore.KeyFileWrapper(w.keyFile)
		if err != nil {
			return nil, err
		}
		return keystore.Open(dir, kw)
	}
	pass, err := w.passphrase()
	if err != nil {
		return nil, err
	}
	salt, err := keystore.Salt(dir)
	if err != nil {
		return nil, err
	}
	kw, err := keystore.PassphraseWrapper(pass, salt)
	if err != nil {
		return nil, err
	}
	return keystore.Open(dir, kw)
}

// create makes a store in dir.
func (w *wrapperFlags) create(dir string) (*keystore.Store, error) {
	if w.keyFile != "" {
		if _, err := os.Stat(w.keyFile); errors.Is(err, os.ErrNotExist) {
			if err := keystore.NewKeyFile(w.keyFile); err != nil {
				return nil, err
			}
		}
		kw, err := keystore.KeyFileWrapper(w.keyFile)
		if err != nil {
			return nil, err
		}
		return keystore.Create(dir, kw, nil)
	}
	pass, err := w.passphrase()
	if err != nil {
		return nil, err
	}
	salt := keystore.NewSalt()
	kw, err := keystore.PassphraseWrapper(pass, salt)
	if err != nil {
		return nil, err
	}
	return keystore.Create(dir, kw, salt)
}

func newKeysStoreCmds() []*cobra.Command {
	var w wrapperFlags
	var dir, scheme string
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Create an encrypted key store with a signing key and an encryption key",
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := w.create(dir)
			if err != nil {
				return err
			}
			if _, err := s.NewSigningKey(); err != nil {
				return err
			}
			if _, err := s.NewEncryptionKey(crypto.EncryptionScheme(scheme)); err != nil {
				return err
			}
			return printEntries(cmd, s)
		},
	}
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List the keys of a key store (public halves and status)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := w.open(dir)
			if err != nil {
				return err
			}
			return printEntries(cmd, s)
		},
	}
	var purpose string
	rotateCmd := &cobra.Command{
		Use:   "rotate",
		Short: "Add a new active key of a purpose; the previous one is kept as superseded",
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := w.open(dir)
			if err != nil {
				return err
			}
			switch keystore.Purpose(purpose) {
			case keystore.PurposeSigning:
				_, err = s.NewSigningKey()
			case keystore.PurposeEncryption:
				_, err = s.NewEncryptionKey(crypto.EncryptionScheme(scheme))
			default:
				return fmt.Errorf("--purpose %q: want signing or encryption", purpose)
			}
			if err != nil {
				return err
			}
			return printEntries(cmd, s)
		},
	}
	rotateCmd.Flags().StringVar(&purpose, "purpose", "", "signing or encryption")
	var keyFile string
	importCmd := &cobra.Command{
		Use:   "import",
		Short: "Import a signing key file (e.g. node init's config/namespace_key.json) into a key store, creating it if needed",
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, k, err := crypto.ReadKeyFile(keyFile)
			if err != nil {
				return err
			}
			s, err := w.open(dir)
			if errors.Is(err, os.ErrNotExist) {
				s, err = w.create(dir)
			}
			if err != nil {
				return err
			}
			if err := s.ImportSigningKey(k); err != nil {
				return err
			}
			return printEntries(cmd, s)
		},
	}
	importCmd.Flags().StringVar(&keyFile, "key-file", "", "signing key file to import")
	exportCmd := &cobra.Command{
		Use:   "export-public",
		Short: "Print the public halves of the keys (purpose, status, scheme, fingerprint, base64 public key), e.g. for a key ceremony's topology transactions",
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := w.open(dir)
			if err != nil {
				return err
			}
			for _, e := range s.List() {
				if purpose != "" && string(e.Purpose) != purpose {
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s %s %s %s\n", e.Purpose, e.Status, e.Scheme, e.Fingerprint, base64.StdEncoding.EncodeToString(e.PublicKey))
			}
			return nil
		},
	}
	exportCmd.Flags().StringVar(&purpose, "purpose", "", "only keys of this purpose: signing or encryption")
	_ = importCmd.MarkFlagRequired("key-file")
	for _, c := range []*cobra.Command{initCmd, listCmd, rotateCmd, importCmd, exportCmd} {
		w.add(c)
		c.Flags().StringVar(&dir, "dir", "", "key store directory")
		_ = c.MarkFlagRequired("dir")
	}
	for _, c := range []*cobra.Command{initCmd, rotateCmd} {
		c.Flags().StringVar(&scheme, "scheme", string(crypto.DefaultScheme), "encryption scheme: "+string(crypto.SchemeMLKEM768X25519)+" or "+string(crypto.SchemeX25519))
	}
	return []*cobra.Command{initCmd, listCmd, rotateCmd, importCmd, exportCmd}
}

func printEntries(cmd *cobra.Command, s *keystore.Store) error {
	for _, e := range s.List() {
		fmt.Fprintf(cmd.OutOrStdout(), "%-10s %-11s %-22s %s\n", e.Purpose, e.Status, e.Scheme, e.Fingerprint)
	}
	return nil
}
