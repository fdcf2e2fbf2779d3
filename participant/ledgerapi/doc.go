// Package ledgerapi is the participant's Ledger API: a gRPC server, in the spirit of the
// Daml Ledger API v2, through which applications submit commands, read the active
// contract set and the update stream, and operators manage parties and users.
//
// The server serves eight services (proto/cometsync/ledger/v1/ledger_api.proto) over a
// Backend, the participant node:
//
//   - CommandService.SubmitAndWait: decode a command (ledger.DecodeCommand's JSON form),
//     run it through the transaction protocol and answer with the offset it committed at.
//   - StateService: GetActiveContracts (filtered by the caller's parties) and GetLedgerEnd.
//   - UpdateService.GetUpdates: stream committed updates from an offset and follow new
//     ones until the client cancels; GetUpdateByOffset and GetUpdateById (root hash hex)
//     return one, reduced alike, NotFound when unknown or invisible to the caller.
//   - PartyManagementService: AllocateParty, ListKnownParties (paged).
//   - UserManagementService: users and their rights (Users, persisted in badger);
//     ListUsers is paged, UpdateUser changes the fields of an update mask.
//   - PackageService.ListPackages.
//
// # Authentication
//
// Every call carries "authorization: Bearer <jwt>" metadata. The JWT is signed with HS256
// under a shared secret (Auth.Secret, at least 32 bytes); any other algorithm is refused.
// It must have an "exp" in the future and "sub" naming a user; when Auth.Audience is set,
// "aud" must contain it. The user must exist and not be deactivated. Failures are
// codes.Unauthenticated; MintToken makes such tokens.
//
// # Authorization
//
// A user holds rights: CanActAs(party), CanReadAs(party), ParticipantAdmin.
//
//   - SubmitAndWait needs CanActAs for every actAs party of the command; ParticipantAdmin
//     does not imply it.
//   - GetActiveContracts and the UpdateService calls need, for each requested party, CanReadAs or
//     CanActAs (or ParticipantAdmin). With no parties requested they use every party the
//     user can read as (everything for ParticipantAdmin). Results hold only contracts with
//     a stakeholder among those parties; an update lists only such created and archived
//     contracts and is skipped when none remain.
//   - GetLedgerEnd and ListPackages: any authenticated user.
//   - Party and user management: ParticipantAdmin, except GetUser and ListUserRights of
//     oneself.
//
// Missing rights are codes.PermissionDenied. Other errors map to codes by their
// sentinels: malformed input InvalidArgument, rejected transactions (ErrRejected)
// Aborted, unknown users NotFound, interpretation failures FailedPrecondition, ended
// contexts Canceled or DeadlineExceeded.
//
// # Usage
//
//	users, err := ledgerapi.NewUsers(db) // the node's badger database
//	err = ledgerapi.EnsureAdmin(users, ledgerapi.DefaultAdminUser)
//	auth := ledgerapi.Auth{Secret: secret}
//	err = auth.Validate()
//	srv := ledgerapi.New(node, users, auth, logger)
//	go srv.Serve(ctx, lis) // or grpc.NewServer(srv.ServerOptions()...) and srv.Register
//
// The API speaks plaintext gRPC; put a TLS-terminating proxy in front of it when it is
// reachable beyond the operator's host.
package ledgerapi
