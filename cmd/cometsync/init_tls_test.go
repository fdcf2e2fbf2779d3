package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitTLSFlags: participant init and mediator init write the TLS settings of their
// flags, and a participant Ledger API on a non-loopback address needs TLS or the
// explicit allow-plaintext flag.
func TestInitTLSFlags(t *testing.T) {
	dir := t.TempDir()
	c := &cli{t: t, dir: dir, wrapper: filepath.Join(dir, "wrapper.key")}
	wrap := []string{"--wrapper-key-file", c.wrapper}
	if _, err := c.run(append([]string{"participant", "init", "--home", filepath.Join(dir, "p0"), "--name", "p0", "--sequencer", "127.0.0.1:1",
		"--ledger-api", "0.0.0.0:5011"}, wrap...)...); err == nil || !strings.Contains(err.Error(), "ledger_api_allow_plaintext") {
		t.Fatalf("a plaintext Ledger API off loopback: %v", err)
	}
	c.must(append([]string{"participant", "init", "--home", filepath.Join(dir, "p1"), "--name", "p1", "--sequencer", "127.0.0.1:1",
		"--ledger-api", "0.0.0.0:5011", "--ledger-api-allow-plaintext", "--sequencer-ca-file", "ca.crt", "--sequencer-server-name", "seq.example"}, wrap...)...)
	p, err := os.ReadFile(filepath.Join(dir, "p1", "participant.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`ledger_api_allow_plaintext = true`, `sequencer_tls_ca_file = "ca.crt"`, `sequencer_tls_server_name = "seq.example"`} {
		if !strings.Contains(string(p), want) {
			t.Errorf("participant.toml lacks %s:\n%s", want, p)
		}
	}
	c.must(append([]string{"mediator", "init", "--home", filepath.Join(dir, "m"), "--name", "m", "--sequencer", "127.0.0.1:1",
		"--sequencer-ca-file", "ca.crt", "--sequencer-cert", "m.crt", "--sequencer-key", "m.key"}, wrap...)...)
	m, err := os.ReadFile(filepath.Join(dir, "m", "mediator.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`sequencer_tls_ca_file = "ca.crt"`, `sequencer_tls_cert_file = "m.crt"`, `sequencer_tls_key_file = "m.key"`} {
		if !strings.Contains(string(m), want) {
			t.Errorf("mediator.toml lacks %s:\n%s", want, m)
		}
	}
}
