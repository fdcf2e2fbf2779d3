package ledgerapi

import (
	"context"

	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// userService manages users: ParticipantAdmin only, except that a user may read itself
// (GetUser and ListUserRights with its own id, or an empty id meaning the caller).
type userService struct{ s *Server }

// admin returns the caller when it holds ParticipantAdmin.
func (us userService) admin(ctx context.Context, what string) (*caller, error) {
	who, err := callerOf(ctx)
	if err == nil {
		err = who.requireAdmin(what)
	}
	return who, err
}

// self resolves id (empty means the caller) and checks the caller may read it.
func (us userService) self(ctx context.Context, what, id string) (string, error) {
	who, err := callerOf(ctx)
	if err != nil {
		return "", err
	}
	if id == "" {
		id = who.user.ID
	}
	return id, who.requireAdminOrSelf(what, id)
}

func (us userService) CreateUser(ctx context.Context, req *pb.CreateUserRequest) (*pb.CreateUserResponse, error) {
	who, err := us.admin(ctx, "CreateUser")
	if err != nil {
		return nil, statusOf(err)
	}
	rights, err := RightsFromPB(req.Rights)
	if err != nil {
		return nil, statusOf(err)
	}
	u, err := us.s.users.Create(userFromPB(req.User), rights...)
	if err != nil {
		return nil, statusOf(withMeta(err, MetaUserID, req.GetUser().GetId()))
	}
	us.s.logger.Info("user created", "user", u.ID, "rights", rights, "by", who.user.ID)
	return &pb.CreateUserResponse{User: userPB(u)}, nil
}

func (us userService) GetUser(ctx context.Context, req *pb.GetUserRequest) (*pb.GetUserResponse, error) {
	id, err := us.self(ctx, "GetUser", req.UserId)
	if err != nil {
		return nil, statusOf(err)
	}
	u, err := us.s.users.Get(id)
	if err != nil {
		return nil, statusOf(withMeta(err, MetaUserID, id))
	}
	return &pb.GetUserResponse{User: userPB(u)}, nil
}

// ListUsers lists the users sorted by id, a page at a time.
func (us userService) ListUsers(ctx context.Context, req *pb.ListUsersRequest) (*pb.ListUsersResponse, error) {
	if _, err := us.admin(ctx, "ListUsers"); err != nil {
		return nil, statusOf(err)
	}
	p, err := parsePage(req.PageSize, req.PageToken)
	if err != nil {
		return nil, statusOf(err)
	}
	users, err := us.s.users.ListAfter(p.After, p.Size+1) // one more tells whether a next page exists
	if err != nil {
		return nil, statusOf(err)
	}
	resp := &pb.ListUsersResponse{}
	if len(users) > p.Size {
		users = users[:p.Size]
		resp.NextPageToken = pageToken(users[p.Size-1].ID)
	}
	for _, u := range users {
		resp.Users = append(resp.Users, userPB(u))
	}
	return resp, nil
}

func (us userService) DeleteUser(ctx context.Context, req *pb.DeleteUserRequest) (*pb.DeleteUserResponse, error) {
	who, err := us.admin(ctx, "DeleteUser")
	if err != nil {
		return nil, statusOf(err)
	}
	if err := us.s.users.Delete(req.UserId); err != nil {
		return nil, statusOf(withMeta(err, MetaUserID, req.UserId))
	}
	us.s.logger.Info("user deleted", "user", req.UserId, "by", who.user.ID)
	return &pb.DeleteUserResponse{}, nil
}

func (us userService) GrantUserRights(ctx context.Context, req *pb.GrantUserRightsRequest) (*pb.GrantUserRightsResponse, error) {
	who, err := us.admin(ctx, "GrantUserRights")
	if err != nil {
		return nil, statusOf(err)
	}
	rights, err := RightsFromPB(req.Rights)
	if err != nil {
		return nil, statusOf(err)
	}
	granted, err := us.s.users.Grant(req.UserId, rights...)
	if err != nil {
		return nil, statusOf(withMeta(err, MetaUserID, req.UserId))
	}
	us.s.logger.Info("rights granted", "user", req.UserId, "rights", granted, "by", who.user.ID)
	return &pb.GrantUserRightsResponse{Rights: RightsToPB(granted)}, nil
}

func (us userService) RevokeUserRights(ctx context.Context, req *pb.RevokeUserRightsRequest) (*pb.RevokeUserRightsResponse, error) {
	who, err := us.admin(ctx, "RevokeUserRights")
	if err != nil {
		return nil, statusOf(err)
	}
	rights, err := RightsFromPB(req.Rights)
	if err != nil {
		return nil, statusOf(err)
	}
	revoked, err := us.s.users.Revoke(req.UserId, rights...)
	if err != nil {
		return nil, statusOf(withMeta(err, MetaUserID, req.UserId))
	}
	us.s.logger.Info("rights revoked", "user", req.UserId, "rights", revoked, "by", who.user.ID)
	return &pb.RevokeUserRightsResponse{Rights: RightsToPB(revoked)}, nil
}

func (us userService) ListUserRights(ctx context.Context, req *pb.ListUserRightsRequest) (*pb.ListUserRightsResponse, error) {
	id, err := us.self(ctx, "ListUserRights", req.UserId)
	if err != nil {
		return nil, statusOf(err)
	}
	rights, err := us.s.users.Rights(id)
	if err != nil {
		return nil, statusOf(withMeta(err, MetaUserID, id))
	}
	return &pb.ListUserRightsResponse{Rights: RightsToPB(rights)}, nil
}
