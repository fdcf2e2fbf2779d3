package topology

import (
	"strings"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
)

func validatePartyToParticipant(m *pb.PartyToParticipant) error {
	const field = "party_to_participant"
	if _, err := validateUID(field+".party", m.Party); err != nil {
		return err
	}
	if err := validateListLength(field+".participants", len(m.Participants), false); err != nil {
		return err
	}
	confirming := 0
	for i, p := range m.Participants {
		f := fieldAt(field+".participants", i)
		if p == nil {
			return invalid(f, "missing")
		}
		if _, err := validateMember(f+".participant", p.Participant, crypto.KindParticipant); err != nil {
			return err
		}
		if err := validatePermission(f+".permission", p.Permission); err != nil {
			return err
		}
		if canConfirm(p.Permission) {
			confirming++
		}
	}
	err := sortDistinct(field+".participants", m.Participants, func(a, b *pb.HostingParticipant) int {
		return strings.Compare(a.Participant, b.Participant)
	})
	if err != nil {
		return err
	}
	return validateThreshold(field+".threshold", m.Threshold, confirming)
}

// canConfirm reports whether a hosting permission lets the participant confirm.
func canConfirm(p pb.ParticipantPermission) bool {
	return p == pb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION ||
		p == pb.ParticipantPermission_PARTICIPANT_PERMISSION_CONFIRMATION
}

func validateVettedPackages(m *pb.VettedPackages) error {
	const field = "vetted_packages"
	if _, err := validateMember(field+".participant", m.Participant, crypto.KindParticipant); err != nil {
		return err
	}
	if err := validateListLength(field+".package_ids", len(m.PackageIds), true); err != nil {
		return err
	}
	for i, id := range m.PackageIds {
		if id == "" || len(id) > crypto.MaxNameLength {
			return invalid(fieldAt(field+".package_ids", i), "must be 1 to %d bytes", crypto.MaxNameLength)
		}
	}
	return sortDistinctStrings(field+".package_ids", m.PackageIds)
}
