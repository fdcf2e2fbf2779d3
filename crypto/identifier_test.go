package crypto_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/crypto"
)

// fpA and fpB are well-formed fingerprints used as namespaces.
var (
	fpA = "1220" + strings.Repeat("ab", 32)
	fpB = "1220" + strings.Repeat("0f", 32)
)

func TestParseFingerprint(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string // substring of the error; "" for success
	}{
		{"valid", fpA, ""},
		{"valid digits", "1220" + strings.Repeat("09", 32), ""},
		{"empty", "", "followed by 64 hex digits"},
		{"prefix only", "1220", "followed by 64 hex digits"},
		{"one digit short", fpA[:len(fpA)-1], "followed by 64 hex digits"},
		{"one digit long", fpA + "a", "followed by 64 hex digits"},
		{"wrong prefix", "1221" + strings.Repeat("ab", 32), "followed by 64 hex digits"},
		{"no prefix", strings.Repeat("ab", 34), "followed by 64 hex digits"},
		{"upper-case hex", "1220" + strings.Repeat("AB", 32), "not lower-case hex"},
		{"non-hex digit", "1220" + strings.Repeat("ab", 31) + "ag", "not lower-case hex"},
		{"space inside", "1220" + strings.Repeat("ab", 31) + " a", "not lower-case hex"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fp, err := crypto.ParseFingerprint(tc.in)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseFingerprint(%q): %v", tc.in, err)
				}
				if string(fp) != tc.in || fp.String() != tc.in {
					t.Fatalf("ParseFingerprint(%q) = %q", tc.in, fp)
				}
				return
			}
			if !errors.Is(err, crypto.ErrInvalidIdentifier) {
				t.Fatalf("ParseFingerprint(%q) error = %v, want ErrInvalidIdentifier", tc.in, err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ParseFingerprint(%q) error = %q, want it to contain %q", tc.in, err, tc.wantErr)
			}
			if fp != "" {
				t.Fatalf("ParseFingerprint(%q) returned %q with an error", tc.in, fp)
			}
		})
	}
}

func TestParseUID(t *testing.T) {
	long := strings.Repeat("n", crypto.MaxNameLength)
	tests := []struct {
		name     string
		in       string
		wantName string
		wantErr  string
	}{
		{"valid", "alice::" + fpA, "alice", ""},
		{"all allowed characters", "a-b_c.d+E9::" + fpA, "a-b_c.d+E9", ""},
		{"max length name", long + "::" + fpA, long, ""},
		{"no delimiter", "alice" + fpA, "", "want name::namespace"},
		{"single colon", "alice:" + fpA, "", "want name::namespace"},
		{"empty", "", "", "want name::namespace"},
		{"empty name", "::" + fpA, "", "empty name"},
		{"name too long", long + "n::" + fpA, "", "exceeds 185"},
		{"space in name", "al ice::" + fpA, "", `character ' ' at 2 not allowed`},
		{"colon in name", "a:b::" + fpA, "", `character ':' at 1 not allowed`},
		{"non-ascii name", "zoë::" + fpA, "", `character 'ë' at 2 not allowed`},
		{"empty namespace", "alice::", "", "followed by 64 hex digits"},
		{"bad namespace", "alice::1220xyz", "", "followed by 64 hex digits"},
		{"upper-case namespace", "alice::" + strings.ToUpper(fpA), "", "not lower-case hex"},
		{"extra part", "alice::" + fpA + "::x", "", "followed by 64 hex digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			uid, err := crypto.ParseUID(tc.in)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseUID(%q): %v", tc.in, err)
				}
				if uid.Name != tc.wantName || string(uid.Namespace) != fpA {
					t.Fatalf("ParseUID(%q) = %+v", tc.in, uid)
				}
				if uid.String() != tc.in {
					t.Fatalf("String() = %q, want %q", uid.String(), tc.in)
				}
				if uid.IsZero() {
					t.Fatal("IsZero() of a parsed UID")
				}
				return
			}
			if !errors.Is(err, crypto.ErrInvalidIdentifier) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ParseUID(%q) error = %v, want ErrInvalidIdentifier containing %q", tc.in, err, tc.wantErr)
			}
			if !uid.IsZero() {
				t.Fatalf("ParseUID(%q) returned %+v with an error", tc.in, uid)
			}
		})
	}
}

func TestParseMember(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantKind crypto.MemberKind
		wantErr  string
	}{
		{"participant", "PAR::alice::" + fpA, crypto.KindParticipant, ""},
		{"mediator", "MED::med-1::" + fpA, crypto.KindMediator, ""},
		{"sequencer", "SEQ::seq.0::" + fpA, crypto.KindSequencer, ""},
		{"no delimiter", "PAR", "", "want PAR::, MED:: or SEQ::"},
		{"empty", "", "", "want PAR::, MED:: or SEQ::"},
		{"lower-case kind", "par::alice::" + fpA, "", `member kind "par"`},
		{"unknown kind", "ABC::alice::" + fpA, "", `member kind "ABC"`},
		{"empty kind", "::alice::" + fpA, "", `member kind ""`},
		{"party without kind", "alice::" + fpA, "", `member kind "alice"`},
		{"missing namespace", "PAR::alice", "", "want name::namespace"},
		{"empty name", "PAR::::" + fpA, "", "empty name"},
		{"bad name", "PAR::al/ice::" + fpA, "", `character '/' at 2`},
		{"bad namespace", "MED::m::" + fpA[:10], "", "followed by 64 hex digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := crypto.ParseMember(tc.in)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseMember(%q): %v", tc.in, err)
				}
				if m.Kind != tc.wantKind || string(m.UID.Namespace) != fpA || m.String() != tc.in {
					t.Fatalf("ParseMember(%q) = %+v (String %q)", tc.in, m, m.String())
				}
				return
			}
			if !errors.Is(err, crypto.ErrInvalidIdentifier) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ParseMember(%q) error = %v, want ErrInvalidIdentifier containing %q", tc.in, err, tc.wantErr)
			}
			if m != (crypto.Member{}) {
				t.Fatalf("ParseMember(%q) returned %+v with an error", tc.in, m)
			}
		})
	}
}

func TestNewMemberRoundTrip(t *testing.T) {
	for _, k := range []crypto.MemberKind{crypto.KindParticipant, crypto.KindMediator, crypto.KindSequencer} {
		m, err := crypto.NewMember(k, "node-1", crypto.Fingerprint(fpB))
		if err != nil {
			t.Fatalf("NewMember(%s): %v", k, err)
		}
		back, err := crypto.ParseMember(m.String())
		if err != nil || back != m {
			t.Fatalf("ParseMember(%q) = %+v, %v; want %+v", m.String(), back, err, m)
		}
	}
	if _, err := crypto.NewMember("XYZ", "node", crypto.Fingerprint(fpB)); !errors.Is(err, crypto.ErrInvalidIdentifier) {
		t.Fatalf("NewMember with kind XYZ: %v, want ErrInvalidIdentifier", err)
	}
	if _, err := crypto.NewMember(crypto.KindParticipant, "node", "1220"); !errors.Is(err, crypto.ErrInvalidIdentifier) {
		t.Fatalf("NewMember with a short namespace: %v, want ErrInvalidIdentifier", err)
	}
	if _, err := crypto.NewUID("", crypto.Fingerprint(fpB)); !errors.Is(err, crypto.ErrInvalidIdentifier) {
		t.Fatalf("NewUID with an empty name: %v, want ErrInvalidIdentifier", err)
	}
}
