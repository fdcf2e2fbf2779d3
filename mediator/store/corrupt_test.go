package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/cometsync/cometsync/mediator"
	"github.com/cometsync/cometsync/member"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// TestCorruptValues: a value that does not decode makes Load or Records fail with
// ErrCorrupt naming its key.
func TestCorruptValues(t *testing.T) {
	for _, tc := range []struct {
		name  string
		key   []byte
		value []byte
		read  func(s *Store) error
	}{
		{"next counter", keyNext, []byte{1, 2, 3}, load},
		{"meta", keyMeta, []byte(`{"Seq":"x"}`), load},
		{"meta with an unknown field", keyMeta, []byte(`{"Seq":1,"Bogus":2}`), load},
		{"request", requestKey(7), []byte(`{"ID":7,`), load},
		{"request under another id", requestKey(7), []byte(`{"ID":8,"Decision":9,"Decided":true}`), load},
		{"request key", append(append([]byte(nil), prefRequest...), 1, 2), []byte(`{}`), load},
		{"outbox", key(prefOutbox, "tr-1"), []byte(`{"Result":"/w=="}`), load},
		{"record", recordKey(0), []byte{0xff, 0xff}, func(s *Store) error { _, err := s.Records(0, 10); return err }},
		{"identity", keyIdentity, []byte(`[]`), func(s *Store) error { return s.Bind(Identity{Mediator: "MED::m"}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open("", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rd := member.Step[Verdict, Change]{Counter: 0, State: Change{Meta: mediator.Meta{Observed: true},
				Records: []*pb.Record{{Kind: pb.RecordKind_RECORD_KIND_REQUEST_PENDING}}}}
			if err := s.Commit(rd); err != nil {
				t.Fatal(err)
			}
			if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(tc.key, tc.value) }); err != nil {
				t.Fatal(err)
			}
			err = tc.read(s)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.key)) {
				t.Fatalf("read over corrupt %s: %v, want ErrCorrupt naming %q", tc.name, err, tc.key)
			}
		})
	}
}

func load(s *Store) error { _, err := s.Load(); return err }
