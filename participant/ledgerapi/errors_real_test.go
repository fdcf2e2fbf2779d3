package ledgerapi_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/examples"
	"github.com/cometsync/cometsync/internal/chaintest"
	"github.com/cometsync/cometsync/ledger"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/ledgerapi"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
	"github.com/cometsync/cometsync/testnet"
)

// realAPI is a Ledger API server over a real participant node on a one-validator chain
// with a mediator.
type realAPI struct {
	conn  *grpc.ClientConn
	users *ledgerapi.Users
	bank  ledger.Party // hosted here
}

func startRealAPI(t *testing.T, ctx context.Context) *realAPI {
	t.Helper()
	net0 := chaintest.Start(t, testnet.Options{Validators: 1, Members: []testnet.MemberSpec{
		{Kind: crypto.KindParticipant, Name: "p1"}, {Kind: crypto.KindMediator, Name: "mediator"}}})
	dcfg := func(name string) driver.Config {
		m := net0.Member(name)
		c := driver.DefaultConfig()
		c.Endpoints, c.Member, c.SigningKey = net0.APIAddresses(), m.ID, m.Key
		return c
	}
	medEnc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	med, err := mediatord.StartNode(ctx, mediatord.NodeConfig{Driver: dcfg("mediator"), EncryptionKey: medEnc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(med.Stop)
	src, err := examples.FS.ReadFile("iou.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := ledger.ParsePackage(src)
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := ledger.NewPackageSet(pkg)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	node, err := participant.Start(ctx, participant.Config{Driver: dcfg("p1"), EncryptionKey: enc, Packages: pkgs,
		Mediators: []string{net0.Member("mediator").ID}, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Stop)
	if err := node.Register(ctx); err != nil {
		t.Fatal(err)
	}
	bank, err := node.AllocateParty(ctx, "Bank")
	if err != nil {
		t.Fatal(err)
	}
	users := openUsers(t, t.TempDir())
	if err := ledgerapi.EnsureAdmin(users, ledgerapi.DefaultAdminUser); err != nil {
		t.Fatal(err)
	}
	for id, rights := range map[string][]ledgerapi.Right{
		"bank":  {ledgerapi.CanActAs(bank)},
		"ghost": {ledgerapi.CanActAs(ledger.Party("Ghost::1220" + strings.Repeat("ab", 32)))},
	} {
		if _, err := users.Create(ledgerapi.User{ID: id}, rights...); err != nil {
			t.Fatal(err)
		}
	}
	srv := ledgerapi.New(participant.LedgerBackend{N: node}, users, ledgerapi.Auth{Secret: testSecret}, testLogger(t))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, lis) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &realAPI{conn: conn, users: users, bank: bank}
}

// Every service answers bad input on a real participant with the documented gRPC code,
// ErrorInfo reason and metadata (docs/ledger-api.md, "Errors"); none is Internal. Among
// them the causes that used to be Internal: an informee hosted nowhere, a malformed
// party id hint.
func TestErrorsOnARealParticipant(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	r := startRealAPI(t, ctx)
	bank := string(r.bank)
	cmdc, subc := pb.NewCommandServiceClient(r.conn), pb.NewCommandSubmissionServiceClient(r.conn)
	state, upd, comp := pb.NewStateServiceClient(r.conn), pb.NewUpdateServiceClient(r.conn), pb.NewCommandCompletionServiceClient(r.conn)
	party, users, vers := pb.NewPartyManagementServiceClient(r.conn), pb.NewUserManagementServiceClient(r.conn), pb.NewVersionServiceClient(r.conn)
	admin, bankCtx := as(t, "participant_admin"), as(t, "bank")

	nobody := "Nobody::1220" + strings.Repeat("cd", 32)
	ghost := "Ghost::1220" + strings.Repeat("ab", 32)
	missing := "00" + strings.Repeat("ef", 32)
	propose := func(owner, amount string) string { return proposeJSON(r.bank, ledger.Party(owner), amount) }
	first, err := cmdc.SubmitAndWait(bankCtx, &pb.SubmitAndWaitRequest{CommandJson: propose(bank, "1"), CommandId: "once"})
	if err != nil {
		t.Fatalf("a good command: %v", err)
	}
	submit := func(user, cmd, id string) error {
		_, err := cmdc.SubmitAndWait(as(t, user), &pb.SubmitAndWaitRequest{CommandJson: cmd, CommandId: id})
		return err
	}

	tests := []struct {
		name   string
		call   func() error
		code   codes.Code
		reason string
		md     map[string]string
	}{
		{"submit: malformed json", func() error { return submit("bank", `{"actAs":`, "c1") },
			codes.InvalidArgument, ledgerapi.ReasonInvalidCommand, map[string]string{"command_id": "c1"}},
		{"submit: unknown template", func() error {
			return submit("bank", fmt.Sprintf(`{"actAs":[%q],"create":{"template":"iou:Nope","arguments":{}}}`, bank), "c2")
		}, codes.InvalidArgument, ledgerapi.ReasonTemplateNotFound, map[string]string{"command_id": "c2"}},
		{"submit: informee hosted nowhere", func() error { return submit("bank", propose(nobody, "5"), "c3") },
			codes.InvalidArgument, ledgerapi.ReasonPartyNotKnown, map[string]string{"command_id": "c3", "party": nobody}},
		{"submit: actAs party not hosted here", func() error {
			return submit("ghost", fmt.Sprintf(`{"actAs":[%q],"create":{"template":"iou:IouProposal","arguments":{"issuer":%q,"owner":%q,"amount":"1","currency":"USD"}}}`, ghost, ghost, ghost), "c4")
		}, codes.InvalidArgument, ledgerapi.ReasonPartyNotKnown, map[string]string{"command_id": "c4", "party": ghost}},
		{"submit: no CanActAs", func() error { return submit("participant_admin", propose(bank, "5"), "c5") },
			codes.PermissionDenied, ledgerapi.ReasonPermissionDenied, map[string]string{"command_id": "c5", "party": bank, "user_id": "participant_admin"}},
		{"submit: unknown contract", func() error { return submit("bank", exerciseJSON(r.bank, "IouProposal", missing, "Accept"), "c6") },
			codes.NotFound, ledgerapi.ReasonContractNotFound, map[string]string{"command_id": "c6", "contract_id": missing}},
		{"submit: ensure fails", func() error { return submit("bank", propose(bank, "-1"), "c7") },
			codes.FailedPrecondition, ledgerapi.ReasonEnsureFailed, map[string]string{"command_id": "c7"}},
		{"submit: duplicate command id", func() error { return submit("bank", propose(bank, "1"), "once") },
			codes.AlreadyExists, ledgerapi.ReasonDuplicateCommand, map[string]string{"command_id": "once",
				"offset": strconv.FormatInt(first.Offset, 10), "request_id_micros": strconv.FormatInt(first.RequestIdMicros, 10)}},
		{"async submit: no command id", func() error {
			_, err := subc.Submit(bankCtx, &pb.SubmitRequest{CommandJson: propose(bank, "1")})
			return err
		}, codes.InvalidArgument, ledgerapi.ReasonInvalidArgument, map[string]string{"field": "command_id"}},
		{"completions: negative offset", func() error {
			s, err := comp.CompletionStream(bankCtx, &pb.CompletionStreamRequest{BeginOffset: -1})
			if err == nil {
				_, err = s.Recv()
			}
			return err
		}, codes.InvalidArgument, ledgerapi.ReasonInvalidArgument, map[string]string{"field": "begin_offset", "offset": "-1"}},
		{"acs: malformed party", func() error {
			_, err := state.GetActiveContracts(admin, &pb.GetActiveContractsRequest{Parties: []string{"not a party"}})
			return err
		}, codes.InvalidArgument, ledgerapi.ReasonInvalidArgument, map[string]string{"field": "parties", "party": "not a party"}},
		{"acs: unknown package", func() error {
			_, err := state.GetActiveContracts(admin, &pb.GetActiveContractsRequest{Template: "nopkg:Iou"})
			return err
		}, codes.InvalidArgument, ledgerapi.ReasonPackageNotFound, map[string]string{"field": "template", "template": "nopkg:Iou"}},
		{"updates: negative end", func() error {
			s, err := upd.GetUpdates(bankCtx, &pb.GetUpdatesRequest{EndOffset: -2})
			if err == nil {
				_, err = s.Recv()
			}
			return err
		}, codes.InvalidArgument, ledgerapi.ReasonInvalidArgument, map[string]string{"field": "end_offset", "offset": "-2"}},
		{"update by offset: none", func() error {
			_, err := upd.GetUpdateByOffset(bankCtx, &pb.GetUpdateByOffsetRequest{Offset: 999})
			return err
		}, codes.NotFound, ledgerapi.ReasonUpdateNotFound, map[string]string{"offset": "999"}},
		{"update by id: none", func() error {
			_, err := upd.GetUpdateById(bankCtx, &pb.GetUpdateByIdRequest{UpdateId: "zz"})
			return err
		}, codes.NotFound, ledgerapi.ReasonUpdateNotFound, map[string]string{"update_id": "zz"}},
		{"allocate: empty hint", func() error {
			_, err := party.AllocateParty(admin, &pb.AllocatePartyRequest{})
			return err
		}, codes.InvalidArgument, ledgerapi.ReasonInvalidArgument, map[string]string{"field": "party_id_hint"}},
		{"allocate: malformed hint", func() error {
			_, err := party.AllocateParty(admin, &pb.AllocatePartyRequest{PartyIdHint: "a::b"})
			return err
		}, codes.InvalidArgument, ledgerapi.ReasonInvalidArgument, map[string]string{"party_id_hint": "a::b"}},
		{"list parties: foreign page token", func() error {
			_, err := party.ListKnownParties(admin, &pb.ListKnownPartiesRequest{PageToken: "junk"})
			return err
		}, codes.InvalidArgument, ledgerapi.ReasonInvalidPage, nil},
		{"update party details: not hosted", func() error {
			_, err := party.UpdatePartyDetails(admin, &pb.UpdatePartyDetailsRequest{PartyDetails: &pb.PartyDetails{Party: nobody}, UpdateMask: []string{"display_name"}})
			return err
		}, codes.InvalidArgument, ledgerapi.ReasonPartyNotKnown, map[string]string{"party": nobody}},
		{"update party details: empty mask", func() error {
			_, err := party.UpdatePartyDetails(admin, &pb.UpdatePartyDetailsRequest{PartyDetails: &pb.PartyDetails{Party: bank}})
			return err
		}, codes.InvalidArgument, ledgerapi.ReasonInvalidPartyDetails, map[string]string{"party": bank, "field": "update_mask"}},
		{"get user: unknown", func() error {
			_, err := users.GetUser(admin, &pb.GetUserRequest{UserId: "nobody"})
			return err
		}, codes.NotFound, ledgerapi.ReasonUserNotFound, map[string]string{"user_id": "nobody"}},
		{"create user: taken", func() error {
			_, err := users.CreateUser(admin, &pb.CreateUserRequest{User: &pb.User{Id: "bank"}})
			return err
		}, codes.AlreadyExists, ledgerapi.ReasonUserAlreadyExists, map[string]string{"user_id": "bank"}},
		{"create user: bad id", func() error {
			_, err := users.CreateUser(admin, &pb.CreateUserRequest{User: &pb.User{Id: "Bad User"}})
			return err
		}, codes.InvalidArgument, ledgerapi.ReasonInvalidUserID, map[string]string{"user_id": "Bad User"}},
		{"grant: unknown kind", func() error {
			_, err := users.GrantUserRights(admin, &pb.GrantUserRightsRequest{UserId: "bank", Rights: []*pb.Right{{}}})
			return err
		}, codes.InvalidArgument, ledgerapi.ReasonInvalidRight, nil},
		{"update user: not admin", func() error {
			_, err := users.UpdateUser(bankCtx, &pb.UpdateUserRequest{User: &pb.User{Id: "bank"}, UpdateMask: []string{"annotations"}})
			return err
		}, codes.PermissionDenied, ledgerapi.ReasonPermissionDenied, map[string]string{"user_id": "bank"}},
		{"version: no token", func() error {
			_, err := vers.GetLedgerApiVersion(ctx, &pb.GetLedgerApiVersionRequest{})
			return err
		}, codes.Unauthenticated, ledgerapi.ReasonMissingToken, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantReason(t, tt.call(), tt.code, tt.reason, tt.md) })
	}
}
