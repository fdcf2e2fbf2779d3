package ledgerapi

import "errors"

// DefaultAdminUser is the user the node bootstraps with ParticipantAdmin.
const DefaultAdminUser = "participant_admin"

// EnsureAdmin creates user id with the ParticipantAdmin right if no such user exists;
// an existing user is left as it is (its rights may have been changed on purpose). The
// node calls it at start with DefaultAdminUser, so that an operator holding the token
// secret can mint an admin token and create the other users.
func EnsureAdmin(users *Users, id string) error {
	_, err := users.Create(User{ID: id}, ParticipantAdmin)
	if errors.Is(err, ErrUserExists) {
		return nil
	}
	return err
}
