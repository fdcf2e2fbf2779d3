package ledgerapi_test

import (
	"fmt"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/ledgerapi"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// pages calls list from the first page until next is empty and returns the pages.
func pages(t *testing.T, list func(token string) ([]string, string, error)) [][]string {
	t.Helper()
	var out [][]string
	token := ""
	for range 100 {
		items, next, err := list(token)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, items)
		if next == "" {
			return out
		}
		token = next
	}
	t.Fatal("no last page after 100 pages")
	return nil
}

func TestListUsersPaged(t *testing.T) {
	e := newEnv(t, nil)
	admin := as(t, "participant_admin")
	list := func(size int32) func(string) ([]string, string, error) {
		return func(token string) ([]string, string, error) {
			resp, err := e.user.ListUsers(admin, &pb.ListUsersRequest{PageSize: size, PageToken: token})
			if err != nil {
				return nil, "", err
			}
			var ids []string
			for _, u := range resp.Users {
				ids = append(ids, u.Id)
			}
			return ids, resp.NextPageToken, nil
		}
	}
	all := []string{"alice", "auditor", "bank", "bob", "participant_admin"}
	if got := pages(t, list(0)); len(got) != 1 || !slices.Equal(got[0], all) {
		t.Fatalf("default page: %v", got)
	}
	if got := fmt.Sprint(pages(t, list(2))); got != "[[alice auditor] [bank bob] [participant_admin]]" {
		t.Fatalf("pages of 2: %s", got)
	}
	// A page exactly as large as what is left is the last page (no empty page after it).
	if got := pages(t, list(5)); len(got) != 1 || !slices.Equal(got[0], all) {
		t.Fatalf("pages of 5: %v", got)
	}
	// Users added or removed between pages: the next page starts after the last one seen.
	first, err := e.user.ListUsers(admin, &pb.ListUsersRequest{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.users.Create(ledgerapi.User{ID: "aaron"}); err != nil {
		t.Fatal(err)
	}
	if err := e.users.Delete("bank"); err != nil {
		t.Fatal(err)
	}
	rest, err := e.user.ListUsers(admin, &pb.ListUsersRequest{PageSize: 2, PageToken: first.NextPageToken})
	if err != nil || len(rest.Users) != 2 || rest.Users[0].Id != "bob" || rest.Users[1].Id != "participant_admin" {
		t.Fatalf("second page after changes: %v, %v", rest, err)
	}
}

func TestListKnownPartiesPaged(t *testing.T) {
	e := newEnv(t, nil)
	admin := as(t, "participant_admin")
	e.backend.mu.Lock()
	e.backend.parties = append(e.backend.parties, alice, ledger.Party("Carol::1220dd")) // a duplicate too
	e.backend.mu.Unlock()
	got := pages(t, func(token string) ([]string, string, error) {
		resp, err := e.party.ListKnownParties(admin, &pb.ListKnownPartiesRequest{PageSize: 3, PageToken: token})
		if err != nil {
			return nil, "", err
		}
		return resp.Parties, resp.NextPageToken, nil
	})
	if s := fmt.Sprint(got); s != "[[Alice::1220bb Bank::1220aa Bob::1220cc] [Carol::1220dd]]" {
		t.Fatalf("pages of 3: %s", s)
	}
}

func TestBadPageRequests(t *testing.T) {
	e := newEnv(t, nil)
	admin := as(t, "participant_admin")
	for _, tt := range []struct {
		size  int32
		token string
		msg   string
	}{
		{-1, "", "page_size -1 is negative"},
		{0, "bm90IGEgdG9rZW4", `page_token "bm90IGEgdG9rZW4" was not issued by this server`},
		{0, "%%%", `page_token "%%%" was not issued by this server`},
	} {
		_, err := e.user.ListUsers(admin, &pb.ListUsersRequest{PageSize: tt.size, PageToken: tt.token})
		wantCode(t, err, codes.InvalidArgument, tt.msg)
		_, err = e.party.ListKnownParties(admin, &pb.ListKnownPartiesRequest{PageSize: tt.size, PageToken: tt.token})
		wantCode(t, err, codes.InvalidArgument, tt.msg)
	}
}
