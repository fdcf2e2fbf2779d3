package core

import (
	"fmt"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/seqapi"
	"github.com/cometsync/cometsync/topology"
)

// The sequencer application is the synchronizer's topology manager. A member (or a
// member-to-be, see authenticateOnboarding) sends signed topology transactions as the
// contents of envelopes addressed to the TopologyManager group. Execute applies them, in
// order, to the topology state with effect from the sequencing time plus the topology
// change delay; a submission whose transactions are all accepted (applied, or stored or
// merged as proposals) is delivered to every member, who replays the same transactions
// and reaches the same state; otherwise its sender gets a DeliverError and nothing
// changes. Routing and authentication of a block use the membership in force at the
// block's first sequencing time.

func namesTopologyManager(rs []*pb.Recipient) bool {
	for _, r := range rs {
		if r.GetGroup() == pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER {
			return true
		}
	}
	return false
}

func checkTopologyContent(b []byte) *SubmissionError {
	if _, err := topology.DecodeSignedTransaction(b); err != nil {
		return reject(seqapi.CodeTopologyRejected, "not a signed topology transaction: %v", err)
	}
	return nil
}

// applyTopology applies the submission's topology envelopes to a copy of st and returns
// the copy, or a rejection that leaves st untouched.
func applyTopology(st *topology.State, b *pb.Batch, idx []int, ts, delay int64) (*topology.State, *SubmissionError) {
	trial, err := topology.Unmarshal(st.Marshal())
	if err != nil {
		panic(fmt.Sprintf("topology state does not round-trip: %v", err))
	}
	for _, i := range idx {
		if _, err := trial.ApplyBytes(b.Envelopes[i].Content, ts, ts+delay); err != nil {
			return nil, reject(seqapi.CodeTopologyRejected, "envelope %d: %v", i, err)
		}
	}
	return trial, nil
}

// authenticateOnboarding admits a submission from a sender that is not yet a member when
// it only talks to the topology manager and is signed with a signing key that one of its
// own OwnerToKeyMapping transactions introduces (proof of possession; whether the
// transactions are authorized is decided when they are applied).
func authenticateOnboarding(s *Submission, sigs *sigCache) *SubmissionError {
	b := s.Request.Batch
	if b == nil || len(b.Envelopes) == 0 {
		return reject(seqapi.CodeUnknownSender, "sender %s is not a member of this synchronizer", s.Request.Sender)
	}
	for _, env := range b.Envelopes {
		if len(env.Recipients) != 1 || env.Recipients[0].GetGroup() != pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER {
			return reject(seqapi.CodeUnknownSender, "sender %s is not a member; before onboarding it may only send topology transactions to the topology manager", s.Request.Sender)
		}
	}
	key, ok := onboardingKey(b, s.Request.Sender, crypto.Fingerprint(s.Signed.SigningKey))
	if !ok {
		return reject(seqapi.CodeUnknownKey, "key %q is not introduced by an OwnerToKeyMapping of %s in this submission", s.Signed.SigningKey, s.Request.Sender)
	}
	if err := sigs.verify(key, s); err != nil {
		return reject(seqapi.CodeBadSignature, "signature of %s: %v", s.Request.Sender, err)
	}
	return nil
}

func onboardingKey(b *pb.Batch, member string, fp crypto.Fingerprint) (crypto.SigningPublicKey, bool) {
	for _, env := range b.Envelopes {
		stx, err := topology.DecodeSignedTransaction(env.Content)
		if err != nil || stx.Tx.Code() != topopb.MappingCode_MAPPING_CODE_OWNER_TO_KEY_MAPPING {
			continue
		}
		otk := stx.Tx.Mapping().GetOwnerToKeyMapping()
		if otk.GetMember() != member {
			continue
		}
		for _, k := range otk.SigningKeys {
			if crypto.FingerprintOf(k) == fp {
				return crypto.SigningPublicKey{Key: k}, true
			}
		}
	}
	return crypto.SigningPublicKey{}, false
}
