// Package ledgerapi is the participant's Ledger API: a gRPC server, in the spirit of the
// Daml Ledger API v2, through which applications submit commands, read the active
// contract set and the update stream, and operators manage parties and users.
//
// The server serves nine services (proto/cometsync/ledger/v1/ledger_api.proto) over a
// Backend, the participant node:
//
//   - CommandService.SubmitAndWait: decode a command (ledger.DecodeCommand's JSON form),
//     run it through the transaction protocol and answer with the offset it committed at.
//   - StateService: GetActiveContracts (filtered by the caller's parties) and GetLedgerEnd.
//   - UpdateService.GetUpdates: stream committed updates from an offset and follow new
//     ones until the client cancels; GetUpdateByOffset and GetUpdateById (root hash hex)
//     return one, reduced alike, NotFound when unknown or invisible to the caller.
//   - PartyManagementService: AllocateParty, ListKnownParties (paged, with each party's
//     details), GetParties, and UpdatePartyDetails (a hosted party's participant-local
//     display name and annotations, kept in the user store's database).
//   - UserManagementService: users and their rights (Users, persisted in badger);
//     ListUsers is paged, UpdateUser changes the fields of an update mask.
//   - PackageService.ListPackages.
//   - VersionService.GetLedgerApiVersion: the API version (APIVersion), the binary's
//     module version and commit, and the sequencer protocol version.
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
//   - GetLedgerEnd, ListPackages and GetLedgerApiVersion: any authenticated user.
//   - Party and user management: ParticipantAdmin, except GetUser and ListUserRights of
//     oneself.
//
// Missing rights are codes.PermissionDenied.
//
// # Errors
//
// Every error is a gRPC status with a google.rpc.ErrorInfo of domain ErrorDomain
// ("cometsync.ledger"): a stable UPPER_SNAKE reason (the Reason constants) chosen by the
// error's sentinel (statusOf's table), and metadata naming what the error is about
// (command_id, contract_id, party, offset, user_id, field, ...: the Meta constants).
// Malformed input and unknown parties are InvalidArgument, rejected transactions
// (ErrRejected) Aborted COMMAND_REJECTED, unknown users, updates and contracts NotFound,
// interpretation failures FailedPrecondition, ended contexts Canceled or
// DeadlineExceeded; only an error with no sentinel is Internal INTERNAL. ReasonOf and
// ErrorInfoOf read them back on the client side. docs/ledger-api.md lists the reasons
// per call.
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
// Serve speaks plaintext gRPC unless SetServerOptions gave it transport credentials:
// participant/daemon serves TLS (and mTLS) from participant.toml's ledger_api_tls_*
// settings, and refuses plaintext on a non-loopback address unless allowed.
package ledgerapi
