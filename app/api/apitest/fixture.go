package apitest

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// Member is a synchronizer member with its signing key.
type Member struct {
	ID  string
	Key crypto.SigningPrivateKey
}

// Fixture is a genesis with its members' private keys.
type Fixture struct {
	Genesis *core.Genesis
	Members map[string]Member // by short spec, e.g. "PAR::alice"
}

// NewFixture builds a genesis whose members are given as "KIND::name" (PAR, MED or SEQ).
// Keys derive deterministically from the spec, so two fixtures with the same specs are
// equal. Each member's namespace is its own key's fingerprint; mediators join group 0.
func NewFixture(specs ...string) (*Fixture, error) {
	syncKey := keyFor("synchronizer")
	f := &Fixture{
		Genesis: &core.Genesis{
			SynchronizerID:  "sync::" + syncKey.Fingerprint().String(),
			ProtocolVersion: seqapi.ProtocolVersion,
			Parameters:      core.DefaultParameters(),
		},
		Members: make(map[string]Member),
	}
	for _, spec := range specs {
		kind, name, ok := strings.Cut(spec, crypto.Delimiter)
		if !ok {
			return nil, fmt.Errorf("member spec %q: want KIND::name", spec)
		}
		key := keyFor(spec)
		m, err := crypto.NewMember(crypto.MemberKind(kind), name, key.Fingerprint())
		if err != nil {
			return nil, fmt.Errorf("member spec %q: %w", spec, err)
		}
		f.Members[spec] = Member{ID: m.String(), Key: key}
		f.Genesis.Members = append(f.Genesis.Members, core.GenesisMember{
			ID: m.String(), SigningKeys: []string{core.EncodeKey(key.Public())},
		})
	}
	return f, f.Genesis.Validate()
}

// Member returns the member of spec; it panics on an unknown spec (a test bug).
func (f *Fixture) Member(spec string) Member {
	m, ok := f.Members[spec]
	if !ok {
		panic(fmt.Sprintf("apitest: no member %q in fixture", spec))
	}
	return m
}

func keyFor(seed string) crypto.SigningPrivateKey {
	s := sha256.Sum256([]byte("apitest/" + seed))
	k, err := crypto.SigningKeyFromSeed(s[:])
	if err != nil {
		panic(err)
	}
	return k
}

// Request returns a SubmissionRequest from m with the given message id, addressed to the
// recipients (member ids) with one envelope carrying content, valid until maxSeq.
func (m Member) Request(msgID string, maxSeq time.Time, content []byte, recipients ...string) *pb.SubmissionRequest {
	env := &pb.Envelope{Content: content}
	for _, r := range recipients {
		env.Recipients = append(env.Recipients, &pb.Recipient{Member: r})
	}
	return &pb.SubmissionRequest{
		Sender: m.ID, MessageId: msgID, Batch: &pb.Batch{Envelopes: []*pb.Envelope{env}},
		MaxSequencingTimeMicros: maxSeq.UnixMicro(),
	}
}

// Sign serializes req and signs it with m's key, returning SignedSubmission bytes.
func (m Member) Sign(req *pb.SubmissionRequest) []byte {
	reqBytes, err := req.Marshal()
	if err != nil {
		panic(err)
	}
	s := &pb.SignedSubmission{
		Request:    reqBytes,
		Signature:  m.Key.Sign(crypto.PurposeSubmissionRequest, reqBytes),
		SigningKey: m.Key.Fingerprint().String(),
	}
	b, err := s.Marshal()
	if err != nil {
		panic(err)
	}
	return b
}
