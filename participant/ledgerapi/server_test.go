package ledgerapi_test

import (
	"encoding/json"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/cometsync/cometsync/participant/ledgerapi"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// scenario commits: 1 bank proposes an IOU to alice, 2 alice accepts it (archives the
// proposal, creates the Iou), 3 bank proposes an IOU to bob. It returns the contract ids.
func (e *env) scenario(t *testing.T) (aliceIou, bobProposal string) {
	t.Helper()
	e.submit(t, "bank", proposeJSON(bank, alice, "10"))
	prop := e.onlyContract(t, "alice", "IouProposal")
	e.submit(t, "alice", exerciseJSON(alice, "IouProposal", prop.ContractId, "Accept"))
	e.submit(t, "bank", proposeJSON(bank, bob, "20"))
	return e.onlyContract(t, "alice", "Iou").ContractId, e.onlyContract(t, "bob", "IouProposal").ContractId
}

func (e *env) acs(t *testing.T, user string, req *pb.GetActiveContractsRequest) []*pb.ActiveContract {
	t.Helper()
	resp, err := e.state.GetActiveContracts(as(t, user), req)
	if err != nil {
		t.Fatalf("acs as %s: %v", user, err)
	}
	return resp.Contracts
}

func (e *env) onlyContract(t *testing.T, user, template string) *pb.ActiveContract {
	t.Helper()
	cs := e.acs(t, user, &pb.GetActiveContractsRequest{Template: template})
	if len(cs) != 1 {
		t.Fatalf("%s sees %d %s contracts, want 1", user, len(cs), template)
	}
	return cs[0]
}

func TestSubmitActAs(t *testing.T) {
	e := newEnv(t, nil)
	// Admin does not imply act-as; reading as a party does not either.
	for _, user := range []string{"participant_admin", "auditor", "alice"} {
		_, err := e.cmd.SubmitAndWait(as(t, user), &pb.SubmitAndWaitRequest{CommandJson: proposeJSON(bank, alice, "1")})
		wantCode(t, err, codes.PermissionDenied, "user "+user+" lacks CanActAs(Bank::1220aa)")
	}
	if got := e.backend.LedgerEnd(); got != 0 {
		t.Fatalf("a refused command committed: ledger end %d", got)
	}
	if off := e.submit(t, "bank", proposeJSON(bank, alice, "1")); off != 1 {
		t.Fatalf("offset %d, want 1", off)
	}
	// Several actAs parties need CanActAs for each.
	twoParties := `{"actAs":["Alice::1220bb","Bank::1220aa"],"create":{"template":"iou:IouProposal","arguments":{"issuer":"Bank::1220aa","owner":"Alice::1220bb","amount":"1","currency":"USD"}}}`
	_, err := e.cmd.SubmitAndWait(as(t, "bank"), &pb.SubmitAndWaitRequest{CommandJson: twoParties})
	wantCode(t, err, codes.PermissionDenied, "lacks CanActAs(Alice::1220bb)")
}

func TestSubmitErrors(t *testing.T) {
	e := newEnv(t, nil)
	ctx := as(t, "bank")
	_, err := e.cmd.SubmitAndWait(ctx, &pb.SubmitAndWaitRequest{CommandJson: `{"actAs":["Bank::1220aa"]}`})
	wantCode(t, err, codes.InvalidArgument, "invalid command: want exactly one of create and exercise")
	_, err = e.cmd.SubmitAndWait(ctx, &pb.SubmitAndWaitRequest{CommandJson: `{"actAs":["Bank::1220aa"],"create":{"template":"iou:Nope"}}`})
	wantCode(t, err, codes.InvalidArgument, "unknown template")
	_, err = e.cmd.SubmitAndWait(ctx, &pb.SubmitAndWaitRequest{CommandJson: proposeJSON(bank, alice, "-1")})
	wantCode(t, err, codes.FailedPrecondition, "ensure failed")
	e.backend.mu.Lock()
	e.backend.rejectReason = "mediator timeout"
	e.backend.mu.Unlock()
	_, err = e.cmd.SubmitAndWait(ctx, &pb.SubmitAndWaitRequest{CommandJson: proposeJSON(bank, alice, "1")})
	wantCode(t, err, codes.Aborted, "transaction rejected: mediator timeout")
}

func TestActiveContractsFiltering(t *testing.T) {
	e := newEnv(t, nil)
	aliceIou, bobProp := e.scenario(t)
	ids := func(cs []*pb.ActiveContract) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ContractId)
		}
		slices.Sort(out)
		return out
	}
	all := ids(e.acs(t, "participant_admin", &pb.GetActiveContractsRequest{}))
	want := []string{aliceIou, bobProp}
	slices.Sort(want)
	if !slices.Equal(all, want) {
		t.Fatalf("admin sees %v, want %v", all, want)
	}
	for _, tt := range []struct {
		user    string
		parties []string
		want    []string
	}{
		{"alice", nil, []string{aliceIou}},
		{"auditor", nil, []string{aliceIou}},
		{"bob", nil, []string{bobProp}},
		{"bank", nil, want},
		{"bank", []string{string(bob)}, nil}, // bank cannot read as bob
		{"participant_admin", []string{string(bob)}, []string{bobProp}},
	} {
		resp, err := e.state.GetActiveContracts(as(t, tt.user), &pb.GetActiveContractsRequest{Parties: tt.parties})
		if tt.want == nil {
			wantCode(t, err, codes.PermissionDenied, "user bank lacks CanReadAs(Bob::1220cc)")
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(resp.Contracts); !slices.Equal(got, tt.want) {
			t.Errorf("%s %v sees %v, want %v", tt.user, tt.parties, got, tt.want)
		}
		if resp.Offset != 3 {
			t.Errorf("offset %d, want 3", resp.Offset)
		}
	}
	c := e.onlyContract(t, "alice", "iou:Iou")
	var args map[string]any
	if err := json.Unmarshal([]byte(c.ArgumentsJson), &args); err != nil {
		t.Fatal(err)
	}
	if args["amount"] != "10.0" || args["owner"] != string(alice) || !slices.Equal(c.Signatories, []string{string(alice), string(bank)}) {
		t.Fatalf("contract %+v", c)
	}
	// A user with no read rights is refused rather than shown nothing.
	if _, err := e.users.Create(ledgerapi.User{ID: "nobody"}); err != nil {
		t.Fatal(err)
	}
	_, err := e.state.GetActiveContracts(as(t, "nobody"), &pb.GetActiveContractsRequest{})
	wantCode(t, err, codes.PermissionDenied, "no CanReadAs or CanActAs right")
}

func TestAnyUserReadsLedgerEndAndPackages(t *testing.T) {
	e := newEnv(t, nil)
	e.submit(t, "bank", proposeJSON(bank, alice, "1"))
	if _, err := e.users.Create(ledgerapi.User{ID: "nobody"}); err != nil {
		t.Fatal(err)
	}
	end, err := e.state.GetLedgerEnd(as(t, "nobody"), &pb.GetLedgerEndRequest{})
	if err != nil || end.Offset != 1 {
		t.Fatalf("ledger end %v, %v", end, err)
	}
	pkgs, err := e.pkg.ListPackages(as(t, "nobody"), &pb.ListPackagesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	id := e.backend.pkgs.IDs()[0]
	if len(pkgs.Packages) != 1 || pkgs.Packages[0].PackageId != string(id) ||
		!slices.Equal(pkgs.Packages[0].Templates, []string{"Iou", "IouOffer", "IouProposal", "IouTransferProposal"}) {
		t.Fatalf("packages %+v", pkgs.Packages)
	}
}

func TestPartyManagementIsAdminOnly(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.party.AllocateParty(as(t, "alice"), &pb.AllocatePartyRequest{PartyIdHint: "Carol"})
	wantCode(t, err, codes.PermissionDenied, "AllocateParty needs ParticipantAdmin, which user alice lacks")
	_, err = e.party.ListKnownParties(as(t, "alice"), &pb.ListKnownPartiesRequest{})
	wantCode(t, err, codes.PermissionDenied, "ListKnownParties needs ParticipantAdmin")
	admin := as(t, "participant_admin")
	p, err := e.party.AllocateParty(admin, &pb.AllocatePartyRequest{PartyIdHint: "Carol"})
	if err != nil || p.Party != "Carol::1220ff" {
		t.Fatalf("allocate: %v, %v", p, err)
	}
	_, err = e.party.AllocateParty(admin, &pb.AllocatePartyRequest{})
	wantCode(t, err, codes.InvalidArgument, "party_id_hint is empty")
	ps, err := e.party.ListKnownParties(admin, &pb.ListKnownPartiesRequest{})
	want := []string{string(alice), string(bank), string(bob), "Carol::1220ff"}
	if err != nil || !slices.Equal(ps.Parties, want) {
		t.Fatalf("parties %v, %v; want %v", ps, err, want)
	}
}
