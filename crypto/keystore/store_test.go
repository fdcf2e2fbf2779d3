package keystore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cometsync/cometsync/crypto"
)

func TestStoreLifecycle(t *testing.T) {
	dir := t.TempDir()
	salt := NewSalt()
	w, err := PassphraseWrapper([]byte("correct horse"), salt)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Create(dir, w, salt)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	enc1, err := s.NewEncryptionKey(crypto.SchemeX25519)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := crypto.Seal(enc1.Public(), []byte("i"), []byte("history"))
	if err != nil {
		t.Fatal(err)
	}
	enc2, err := s.NewEncryptionKey(crypto.DefaultScheme) // rotation
	if err != nil {
		t.Fatal(err)
	}

	// The private keys are not on disk in the clear.
	raw, _ := os.ReadFile(filepath.Join(dir, fileName))
	seed1, _ := enc1.Bytes()
	if bytes.Contains(raw, sig.Seed()) || bytes.Contains(raw, seed1) {
		t.Fatal("a private key is stored in the clear")
	}
	if fi, _ := os.Stat(filepath.Join(dir, fileName)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key store mode %v", fi.Mode().Perm())
	}

	if _, err := Create(dir, w, salt); !errors.Is(err, ErrExists) {
		t.Fatalf("create over an existing store: %v", err)
	}
	bad, _ := PassphraseWrapper([]byte("wrong"), salt)
	if _, err := Open(dir, bad); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("open with a wrong passphrase: %v", err)
	}
	gotSalt, err := Salt(dir)
	if err != nil {
		t.Fatal(err)
	}
	w2, _ := PassphraseWrapper([]byte("correct horse"), gotSalt)
	s2, err := Open(dir, w2)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := s2.SigningKey(); err != nil || k.Fingerprint() != sig.Fingerprint() {
		t.Fatalf("signing key after reopen: %v", err)
	}
	if k, err := s2.EncryptionKey(); err != nil || k.Public().Fingerprint() != enc2.Public().Fingerprint() {
		t.Fatalf("active encryption key after rotation: %v", err)
	}
	// The superseded key still opens what was sealed to it.
	old, err := s2.EncryptionKeyByFingerprint(enc1.Public().Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := crypto.Open(old, []byte("i"), sealed); err != nil || string(pt) != "history" {
		t.Fatalf("history with the superseded key: %v", err)
	}
	var statuses []string
	for _, e := range s2.List() {
		statuses = append(statuses, string(e.Purpose)+"/"+e.Status)
	}
	want := []string{"signing/active", "encryption/superseded", "encryption/active"}
	if len(statuses) != 3 || statuses[0] != want[0] || statuses[1] != want[1] || statuses[2] != want[2] {
		t.Fatalf("entries %v, want %v", statuses, want)
	}
	if _, err := s2.EncryptionKeyByFingerprint("1220ff"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("unknown fingerprint: %v", err)
	}
}

func TestKeyFileWrapper(t *testing.T) {
	dir := t.TempDir()
	kf := filepath.Join(dir, "wrapper.key")
	if err := NewKeyFile(kf); err != nil {
		t.Fatal(err)
	}
	w, err := KeyFileWrapper(kf)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Create(filepath.Join(dir, "store"), w, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.NewSigningKey(); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.key")
	_ = NewKeyFile(other)
	ow, _ := KeyFileWrapper(other)
	if _, err := Open(filepath.Join(dir, "store"), ow); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("open with another key file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "short.key"), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := KeyFileWrapper(filepath.Join(dir, "short.key")); err == nil {
		t.Fatal("a short wrapper key file was accepted")
	}
	if err := os.WriteFile(filepath.Join(dir, "store", fileName), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(dir, "store"), w); err == nil {
		t.Fatal("a corrupt store opened")
	}
}

func TestImportSigningKey(t *testing.T) {
	dir := t.TempDir()
	kf := filepath.Join(dir, "wrapper.key")
	if err := NewKeyFile(kf); err != nil {
		t.Fatal(err)
	}
	w, err := KeyFileWrapper(kf)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Create(filepath.Join(dir, "ks"), w, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := crypto.GenerateSigningKey(nil)
	if err := s.ImportSigningKey(k); err != nil {
		t.Fatal(err)
	}
	if err := s.ImportSigningKey(k); err == nil {
		t.Fatal("imported the same key twice")
	}
	reopened, err := Open(filepath.Join(dir, "ks"), w)
	if err != nil {
		t.Fatal(err)
	}
	got, err := reopened.SigningKey()
	if err != nil || got.Fingerprint() != k.Fingerprint() || !bytes.Equal(got.Seed(), k.Seed()) {
		t.Fatalf("active signing key after import: %v %v", got.Fingerprint(), err)
	}
}
