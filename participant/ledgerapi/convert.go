package ledgerapi

import (
	"fmt"
	"maps"

	"github.com/cometsync/cometsync/ledger"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// activeContractPB renders c with its arguments as JSON.
func activeContractPB(pkgs *ledger.PackageSet, c *ledger.Contract) (*pb.ActiveContract, error) {
	args, err := ledger.ContractArgumentsJSON(pkgs, c)
	if err != nil {
		return nil, fmt.Errorf("render contract %s: %w", c.ID, err)
	}
	return &pb.ActiveContract{
		ContractId:    string(c.ID),
		Template:      c.Template.String(),
		Signatories:   partyStrings(c.Signatories),
		Observers:     partyStrings(c.Observers),
		ArgumentsJson: string(args),
	}, nil
}

func partyStrings(ps ledger.PartySet) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

func userPB(u User) *pb.User {
	return &pb.User{Id: u.ID, PrimaryParty: string(u.PrimaryParty), IsDeactivated: u.Deactivated, Annotations: maps.Clone(u.Annotations)}
}

func userFromPB(u *pb.User) User {
	if u == nil {
		return User{}
	}
	return User{ID: u.Id, PrimaryParty: ledger.Party(u.PrimaryParty), Deactivated: u.IsDeactivated, Annotations: maps.Clone(u.Annotations)}
}

var kindToPB = map[RightKind]pb.Right_Kind{
	KindCanActAs:         pb.Right_KIND_CAN_ACT_AS,
	KindCanReadAs:        pb.Right_KIND_CAN_READ_AS,
	KindParticipantAdmin: pb.Right_KIND_PARTICIPANT_ADMIN,
}

// RightsToPB converts rights to their protobuf form.
func RightsToPB(rs []Right) []*pb.Right {
	out := make([]*pb.Right, len(rs))
	for i, r := range rs {
		out[i] = &pb.Right{Kind: kindToPB[r.Kind], Party: string(r.Party)}
	}
	return out
}

// RightsFromPB converts and validates protobuf rights; errors wrap ErrInvalidRight.
func RightsFromPB(rs []*pb.Right) ([]Right, error) {
	out := make([]Right, 0, len(rs))
	for _, r := range rs {
		var kind RightKind
		for k, v := range kindToPB {
			if v == r.GetKind() {
				kind = k
			}
		}
		right := Right{Kind: kind, Party: ledger.Party(r.GetParty())}
		if kind == 0 {
			return nil, fmt.Errorf("%w: kind %s", ErrInvalidRight, r.GetKind())
		}
		if err := right.Validate(); err != nil {
			return nil, err
		}
		out = append(out, right)
	}
	return out, nil
}
