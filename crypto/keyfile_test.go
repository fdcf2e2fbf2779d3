package crypto_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/crypto"
)

func TestKeyFileRoundTrip(t *testing.T) {
	k := seedKey(t, 3)
	member := "PAR::alice::" + string(k.Fingerprint())
	path := filepath.Join(t.TempDir(), "nested", "dir", "key.json")
	kf := crypto.NewKeyFile(member, k)
	if err := crypto.WriteKeyFile(path, kf); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	got, key, err := crypto.ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != kf {
		t.Fatalf("read %+v, wrote %+v", got, kf)
	}
	if got.Algorithm != crypto.AlgorithmEd25519 || got.Member != member || got.Fingerprint != string(k.Fingerprint()) {
		t.Fatalf("key file fields: %+v", got)
	}
	if !key.Key.Equal(k.Key) {
		t.Fatal("read key differs from the written one")
	}
}

func TestKeyFileTamper(t *testing.T) {
	k, other := seedKey(t, 3), seedKey(t, 4)
	good := crypto.NewKeyFile("", k)
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		name    string
		edit    func(kf *crypto.KeyFile)
		raw     string // file content instead of the edited key file
		wantErr string
	}{
		{name: "seed of another key", edit: func(kf *crypto.KeyFile) { kf.Seed = b64(other.Seed()) }, wantErr: "public key does not match"},
		{name: "seed and public key of another key", edit: func(kf *crypto.KeyFile) {
			kf.Seed, kf.PublicKey = b64(other.Seed()), b64(other.Public().Key)
		}, wantErr: "fingerprint does not match"},
		{name: "fingerprint of another key", edit: func(kf *crypto.KeyFile) { kf.Fingerprint = string(other.Fingerprint()) }, wantErr: "fingerprint does not match"},
		{name: "public key of another key", edit: func(kf *crypto.KeyFile) { kf.PublicKey = b64(other.Public().Key) }, wantErr: "public key does not match"},
		{name: "public key not base64", edit: func(kf *crypto.KeyFile) { kf.PublicKey = "!!" }, wantErr: "public key does not match"},
		{name: "algorithm", edit: func(kf *crypto.KeyFile) { kf.Algorithm = "rsa" }, wantErr: `algorithm "rsa"`},
		{name: "no algorithm", edit: func(kf *crypto.KeyFile) { kf.Algorithm = "" }, wantErr: `algorithm ""`},
		{name: "seed not base64", edit: func(kf *crypto.KeyFile) { kf.Seed = "not base64!" }, wantErr: "seed:"},
		{name: "short seed", edit: func(kf *crypto.KeyFile) { kf.Seed = b64(k.Seed()[:16]) }, wantErr: "16 bytes, want 32"},
		{name: "not json", raw: "{", wantErr: "unexpected end of JSON"},
		{name: "wrong json type", raw: `{"seed": 5}`, wantErr: "cannot unmarshal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key.json")
			content := []byte(tc.raw)
			if tc.edit != nil {
				kf := good
				tc.edit(&kf)
				var err error
				if content, err = json.Marshal(kf); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			_, key, err := crypto.ReadKeyFile(path)
			if !errors.Is(err, crypto.ErrKeyFile) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ReadKeyFile = %v, want ErrKeyFile containing %q", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			if key.Key != nil {
				t.Fatal("a key was returned with an error")
			}
		})
	}
}

func TestKeyFileMissing(t *testing.T) {
	_, _, err := crypto.ReadKeyFile(filepath.Join(t.TempDir(), "absent.json"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadKeyFile of a missing file = %v, want ErrNotExist", err)
	}
}
