package ledgerapi

import (
	"context"
	"fmt"
	"maps"
	"slices"

	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// The update_mask paths UpdateUser accepts.
const (
	pathDeactivated  = "is_deactivated"
	pathPrimaryParty = "primary_party"
	pathAnnotations  = "annotations"
)

// UpdateUser changes the fields update_mask names; ParticipantAdmin only. A deactivated
// user's tokens are refused from its next call on (the interceptor reads the user at
// every call). A caller cannot deactivate itself, so an admin cannot lock itself out.
func (us userService) UpdateUser(ctx context.Context, req *pb.UpdateUserRequest) (*pb.UpdateUserResponse, error) {
	who, err := us.admin(ctx, "UpdateUser")
	if err != nil {
		return nil, statusOf(err)
	}
	in := userFromPB(req.User)
	if err := ValidateUserID(in.ID); err != nil {
		return nil, statusOf(withMeta(err, MetaField, "user.id"))
	}
	if err := checkUserMask(req.UpdateMask); err != nil {
		return nil, statusOf(withMeta(err, MetaUserID, in.ID, MetaField, "update_mask"))
	}
	if in.Deactivated && in.ID == who.user.ID && slices.Contains(req.UpdateMask, pathDeactivated) {
		return nil, statusOf(fmt.Errorf("%w: user %s cannot deactivate itself", ErrInvalidUser, in.ID))
	}
	u, err := us.s.users.Update(in.ID, func(u *User) error {
		applyUserMask(u, in, req.UpdateMask)
		return nil
	})
	if err != nil {
		return nil, statusOf(withMeta(err, MetaUserID, in.ID))
	}
	us.s.logger.Info("user updated", "user", u.ID, "fields", req.UpdateMask, "by", who.user.ID)
	return &pb.UpdateUserResponse{User: userPB(u)}, nil
}

// checkUserMask requires a non-empty mask of known paths; errors wrap ErrInvalidUser.
func checkUserMask(mask []string) error {
	if len(mask) == 0 {
		return fmt.Errorf("%w: update_mask is empty (want some of %s, %s, %s)", ErrInvalidUser, pathDeactivated, pathPrimaryParty, pathAnnotations)
	}
	for _, p := range mask {
		switch p {
		case pathDeactivated, pathPrimaryParty, pathAnnotations:
		default:
			return fmt.Errorf("%w: update_mask path %q cannot be updated (want %s, %s or %s)", ErrInvalidUser, p, pathDeactivated, pathPrimaryParty, pathAnnotations)
		}
	}
	return nil
}

// applyUserMask copies the masked fields of in into u. Annotations merge: a key with an
// empty value removes it.
func applyUserMask(u *User, in User, mask []string) {
	for _, p := range mask {
		switch p {
		case pathDeactivated:
			u.Deactivated = in.Deactivated
		case pathPrimaryParty:
			u.PrimaryParty = in.PrimaryParty
		case pathAnnotations:
			u.Annotations = mergeAnnotations(u.Annotations, in.Annotations)
		}
	}
}

// mergeAnnotations returns old with the keys of changes set, or removed where their
// value is empty; nil when none remain.
func mergeAnnotations(old, changes map[string]string) map[string]string {
	merged := maps.Clone(old)
	if merged == nil {
		merged = map[string]string{}
	}
	for k, v := range changes {
		if v == "" {
			delete(merged, k)
		} else {
			merged[k] = v
		}
	}
	if len(merged) == 0 {
		return nil
	}
	return merged
}
