package protocol

import (
	"fmt"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
)

// Metadata describes a confirmation request: who submits it, on which synchronizer,
// to which mediator group, at which ledger time.
type Metadata struct {
	// SubmittingParticipant is the submitting participant's member id (PAR::...).
	SubmittingParticipant string
	// Submitters are the actAs parties of the command.
	Submitters ledger.PartySet
	// SynchronizerID identifies the synchronizer the request is for.
	SynchronizerID string
	// MediatorGroup is the index of the mediator group that aggregates the confirmations.
	MediatorGroup uint32
	// LedgerTime is the ledger time the transaction was interpreted at; it must have
	// microsecond precision.
	LedgerTime time.Time
	// UserID and CommandID identify the command, when it has a command id (both empty
	// otherwise): the submitting participant reads them back from its own root views.
	UserID, CommandID string
}

// Validate checks that every field is set and well formed, naming the first bad field.
func (m Metadata) Validate() error {
	switch {
	case m.SubmittingParticipant == "":
		return fmt.Errorf("%w: SubmittingParticipant is empty", ErrInvalidMetadata)
	case m.SynchronizerID == "":
		return fmt.Errorf("%w: SynchronizerID is empty", ErrInvalidMetadata)
	case len(m.Submitters) == 0:
		return fmt.Errorf("%w: Submitters is empty", ErrInvalidMetadata)
	case !m.LedgerTime.Equal(fromMicros(m.LedgerTime.UnixMicro())):
		return fmt.Errorf("%w: LedgerTime %s is finer than a microsecond", ErrInvalidMetadata, m.LedgerTime)
	}
	if err := checkPartySet(m.Submitters); err != nil {
		return fmt.Errorf("%w: Submitters: %v", ErrInvalidMetadata, err)
	}
	return nil
}

// CommonMetadata is the metadata every recipient of a tree sees.
type CommonMetadata struct {
	Salt           Seed
	SynchronizerID string
	MediatorGroup  uint32
}

// Hash returns the common metadata's node hash.
func (c *CommonMetadata) Hash() Hash {
	h := crypto.NewHasher(PurposeCommonMetadata).AddFixed(c.Salt[:])
	return sum(h.AddString(c.SynchronizerID).AddUint32(c.MediatorGroup))
}

// SubmitterMetadata is the metadata visible to the mediator and to root views' recipients.
type SubmitterMetadata struct {
	Salt                  Seed
	SubmittingParticipant string
	Submitters            ledger.PartySet
	LedgerTime            time.Time
	UserID, CommandID     string
}

// Hash returns the submitter metadata's node hash.
func (s *SubmitterMetadata) Hash() Hash {
	h := crypto.NewHasher(PurposeSubmitterMetadata).AddFixed(s.Salt[:]).AddString(s.SubmittingParticipant)
	addParties(h, s.Submitters)
	return sum(h.AddInt64(s.LedgerTime.UnixMicro()).AddString(s.UserID).AddString(s.CommandID))
}

// splitMetadata salts m's two parts with seeds derived from the submission seed.
func splitMetadata(m Metadata, seed Seed) (CommonMetadata, SubmitterMetadata) {
	return CommonMetadata{Salt: derive(seed, labelCommonMetadata, 0), SynchronizerID: m.SynchronizerID, MediatorGroup: m.MediatorGroup},
		SubmitterMetadata{Salt: derive(seed, labelSubmitterMetadata, 0), SubmittingParticipant: m.SubmittingParticipant,
			Submitters: m.Submitters, LedgerTime: m.LedgerTime, UserID: m.UserID, CommandID: m.CommandID}
}

// fromMicros converts microseconds since the Unix epoch to a UTC time.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// addParties appends the count and each party (length-prefixed) to h.
func addParties(h *crypto.Hasher, ps ledger.PartySet) *crypto.Hasher {
	h.AddUint32(uint32(len(ps)))
	for _, p := range ps {
		h.AddString(string(p))
	}
	return h
}

// checkPartySet checks that ps holds valid parties in strictly increasing order.
func checkPartySet(ps ledger.PartySet) error {
	for i, p := range ps {
		if err := ledger.ValidateParty(p); err != nil {
			return err
		}
		if i > 0 && ps[i-1] >= p {
			return fmt.Errorf("parties not strictly sorted at %q", p)
		}
	}
	return nil
}

// partyList formats parties for messages.
func partyList(ps ledger.PartySet) string {
	out := "["
	for i, p := range ps {
		if i > 0 {
			out += " "
		}
		out += string(p)
	}
	return out + "]"
}
