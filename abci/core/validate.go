package core

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// Submission is a decoded and authenticated SignedSubmission.
type Submission struct {
	Signed  *pb.SignedSubmission
	Request *pb.SubmissionRequest
	Size    int
	// digest is SHA-256 of Signed.Request, computed once at decoding: the signature
	// cache is keyed by it rather than by the whole request.
	digest [sha256.Size]byte
}

// DecodeSubmission decodes a transaction without checking it against any state. It is
// the decoder reachable from the network and is fuzzed.
func DecodeSubmission(tx []byte) (*Submission, *SubmissionError) {
	var signed pb.SignedSubmission
	if err := signed.Unmarshal(tx); err != nil {
		return nil, reject(seqapi.CodeMalformed, "not a SignedSubmission: %v", err)
	}
	var req pb.SubmissionRequest
	if err := req.Unmarshal(signed.Request); err != nil {
		return nil, reject(seqapi.CodeMalformed, "request is not a SubmissionRequest: %v", err)
	}
	if _, err := crypto.ParseMember(req.Sender); err != nil {
		return nil, reject(seqapi.CodeMalformed, "sender: %v", err)
	}
	return &Submission{Signed: &signed, Request: &req, Size: len(tx), digest: sha256.Sum256(signed.Request)}, nil
}

// authenticateAny authenticates a member's submission, or a non-member's onboarding
// submission to the topology manager.
func authenticateAny(s *Submission, m Membership, sigs *sigCache) *SubmissionError {
	if !m.IsMember(s.Request.Sender) {
		return authenticateOnboarding(s, sigs)
	}
	return authenticate(s, m, sigs)
}

// authenticate checks that the sender is a member and that the signature verifies
// under the named key of that member.
func authenticate(s *Submission, m Membership, sigs *sigCache) *SubmissionError {
	sender := s.Request.Sender
	if !m.IsMember(sender) {
		return reject(seqapi.CodeUnknownSender, "sender %s is not a member of this synchronizer", sender)
	}
	key, ok := m.SigningKey(sender, crypto.Fingerprint(s.Signed.SigningKey))
	if !ok {
		return reject(seqapi.CodeUnknownKey, "key %q is not a current signing key of %s", s.Signed.SigningKey, sender)
	}
	if err := sigs.verify(key, s); err != nil {
		return reject(seqapi.CodeBadSignature, "signature of %s: %v", sender, err)
	}
	return nil
}

// validateRequest checks limits, recipients and timing of an authenticated submission
// to be sequenced at ts, and returns for each addressed member the indexes of the
// envelopes naming it.
func validateRequest(s *Submission, m Membership, p Parameters, ts int64) (*routing, *SubmissionError) {
	req := s.Request
	if int64(s.Size) > p.MaxRequestSize {
		return nil, reject(seqapi.CodeTooLarge, "submission of %d bytes exceeds max_request_size %d", s.Size, p.MaxRequestSize)
	}
	if req.MessageId == "" || int64(len(req.MessageId)) > p.MaxMessageIDLength {
		return nil, reject(seqapi.CodeInvalidBatch, "message id must have 1 to %d bytes, has %d", p.MaxMessageIDLength, len(req.MessageId))
	}
	if req.MaxSequencingTimeMicros < ts {
		return nil, reject(seqapi.CodeExpired, "max sequencing time %d passed: sequencing time is %d", req.MaxSequencingTimeMicros, ts)
	}
	if req.MaxSequencingTimeMicros > ts+p.MaxSequencingHorizonMicros {
		return nil, reject(seqapi.CodeInvalidBatch, "max sequencing time %d is more than %dµs after the sequencing time %d", req.MaxSequencingTimeMicros, p.MaxSequencingHorizonMicros, ts)
	}
	return route(req.Batch, m, p)
}

// routing is where a batch goes: for each member the indexes of the envelopes naming it,
// and the indexes of the envelopes that carry topology transactions for the topology
// manager (which are broadcast to every member when accepted).
type routing struct {
	members  map[string][]uint32
	topology []int
}

func route(b *pb.Batch, m Membership, p Parameters) (*routing, *SubmissionError) {
	out := &routing{members: make(map[string][]uint32)}
	if b == nil {
		return out, nil
	}
	if int64(len(b.Envelopes)) > p.MaxEnvelopes {
		return nil, reject(seqapi.CodeInvalidBatch, "batch has %d envelopes, max_envelopes is %d", len(b.Envelopes), p.MaxEnvelopes)
	}
	for i, env := range b.Envelopes {
		members, err := resolveRecipients(env.Recipients, m, p)
		if err == nil && namesTopologyManager(env.Recipients) {
			err = checkTopologyContent(env.Content)
			out.topology = append(out.topology, i)
		}
		if err != nil {
			err.Reason = fmt.Sprintf("envelope %d: %s", i, err.Reason)
			return nil, err
		}
		for _, mem := range members {
			out.members[mem] = append(out.members[mem], uint32(i))
		}
	}
	return out, nil
}

func resolveRecipients(rs []*pb.Recipient, m Membership, p Parameters) ([]string, *SubmissionError) {
	if len(rs) == 0 {
		return nil, reject(seqapi.CodeInvalidBatch, "no recipients")
	}
	if int64(len(rs)) > p.MaxRecipients {
		return nil, reject(seqapi.CodeInvalidBatch, "%d recipients, max_recipients is %d", len(rs), p.MaxRecipients)
	}
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		var err *SubmissionError
		if out, err = appendRecipient(out, r, m); err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// appendRecipient appends the members r names to out.
func appendRecipient(out []string, r *pb.Recipient, m Membership) ([]string, *SubmissionError) {
	if r == nil || (r.Member == "") == (r.Group == pb.GroupKind_GROUP_KIND_UNSPECIFIED) {
		return nil, reject(seqapi.CodeInvalidBatch, "a recipient names exactly one member or one group")
	}
	if r.Member != "" {
		if !m.IsMember(r.Member) {
			return nil, reject(seqapi.CodeUnknownRecipient, "recipient %s is not a member", r.Member)
		}
		return append(out, r.Member), nil
	}
	if r.Group == pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER {
		return append(out, m.Members()...), nil // an accepted topology transaction is broadcast to everyone
	}
	members := m.Group(r.Group, r.GroupIndex)
	if len(members) == 0 {
		return nil, reject(seqapi.CodeUnknownRecipient, "group %s(%d) has no members", r.Group, r.GroupIndex)
	}
	return append(out, members...), nil
}

// checkDedupe fails when (sender, message id) was sequenced and has not expired at ts.
func checkDedupe(get func([]byte) ([]byte, error), sender, msgID string, ts int64) (*SubmissionError, error) {
	v, err := get(keyDedupe(sender, msgID))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) >= ts {
		return reject(seqapi.CodeDuplicate, "message id %q of %s was already sequenced", msgID, sender), nil
	}
	return nil, nil
}
