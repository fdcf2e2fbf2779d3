// Package api is the gRPC sequencer API that every sequencer node serves to participants
// and mediators.
//
// A Server serves four services over a Backend (the node it runs in):
//
//   - SequencerConnectService (open): Handshake on the protocol version,
//     GetSynchronizerId and GetSynchronizerParameters.
//   - SequencerAuthenticationService (open): Challenge returns a single-use random nonce
//     for any well-formed member id, member or not, and no key fingerprints (it is no
//     membership oracle); Authenticate checks the member's signature over
//     AuthenticationHash(nonce, synchronizerID) and returns an opaque bearer token that
//     expires after Config.TokenTTL. Every refusal of the signature (unknown member,
//     key not current, bad signature) is the same Unauthenticated status; AuthRefusal
//     tells it (ReasonSignatureRefused) from a refused nonce (ReasonNonceRefused).
//   - SequencerService (token required): Send offers a SignedSubmission to the backend;
//     SendBatch offers up to MaxSendBatch of the caller's submissions at once, verifies
//     their signatures as one batch (spread over the cores) and answers one SendResult
//     per submission, what Send would have answered for it; Subscribe streams a member's
//     own events from a counter and follows new commits, several events per response
//     when the subscriber asks for it (max_events_per_response), with the decoded
//     batches shared between subscriptions, and with with_proofs one EventProof per
//     event (core.BlockProof, cached per block); Acknowledge records how far a member
//     has processed its stream.
//   - SequencerProofService (open): GetLightBlock serves CometBFT light blocks (signed
//     header with the block's commit, validator set) from a Backend that is a
//     LightBlockSource, GetStreamHead proves a member's stream length at the latest
//     height a header with a commit carries (core.Machine.ProveStreamHeadAt). With
//     DownloadTopologyStateForInit's app-hash inputs, a member checks everything a node
//     tells it with package seqproof against headers its light client verified.
//
// Tokens travel in gRPC metadata: "authorization: Bearer <token>" and "member: <id>"
// (see MetadataAuthorization and MetadataMember). The interceptors installed by
// ServerOptions reject calls to SequencerService without a valid, unexpired token of the
// named member with codes.Unauthenticated.
//
// Membership changes cut streams and tokens on sequencer time. A token records the
// signing key it was issued against. An open Subscribe stream outlives its token's
// expiry, but when a topology change that removes the member (core.Membership.IsMember
// no longer holds) or takes that key from it (rotation, revocation) takes effect, the
// server revokes the tokens concerned and cuts the streams concerned: a stream delivers
// every event sequenced up to the change's effective time, then ends with
// PermissionDenied (member removed) or Unauthenticated (key revoked: authenticate again
// with a current key and resubscribe from the next counter); later calls with a revoked
// token get Unauthenticated "token revoked: <reason>" (see RevokedError). The server
// learns of the change from the committed state only (revocations: the membership in
// force after the last committed event, re-derived only when the topology state
// changed), so every node cuts after the same event, whatever its clock or its lag.
//
// The calls that need no token (Challenge, Authenticate, Send of an onboarding request)
// are rate-limited per caller (a token bucket: Config.UnauthenticatedRate and
// UnauthenticatedBurst; see callerKey for what a caller is) and answered
// ResourceExhausted with a RetryInfo detail (RetryDelay reads it) beyond. Pending
// challenges are bounded per member, per caller and in all; a new challenge displaces
// an older one instead of being refused, chosen so that one caller's flood displaces
// only its own (see challengeStore).
//
// Refusals of a submission by the sequencer core (*core.SubmissionError) come back as gRPC
// statuses whose details carry an errdetails.ErrorInfo with Domain seqapi.Codespace and
// Reason the seqapi.Code name; SubmissionCode recovers the code on the client side. Node
// failures of Backend.Submit are answered by cause (Backend.SubmitFailure): too large
// for the node's mempool is InvalidArgument with seqapi.CodeTooLarge (the submitter's
// error), a full mempool ResourceExhausted with a RetryInfo, anything else Unavailable
// (another node may take it).
//
// ServerOptions also installs the gogoproto codec (package internal/gogocodec), which
// marshals the generated messages directly instead of through protobuf-go's legacy
// wrapper; the bytes on the wire are the same, so clients with gRPC's default codec work.
// The backend hands the decoded form of a submission on to CheckTx (Backend.Submit) and
// fills the batch cache as blocks commit (Backend.Batches).
//
// Usage:
//
//	srv, err := api.NewServer(backend, api.DefaultConfig(), logger)
//	gs := grpc.NewServer(srv.ServerOptions()...)
//	srv.Register(gs)
//	go gs.Serve(lis)
//	defer srv.Close() // ends open subscriptions
//
// Tokens, challenges and acknowledgements live in memory: a restarted node forgets them
// and clients authenticate again.
package api
