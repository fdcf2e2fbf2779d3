package participant_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/commitments"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// TestMaliciousForgedACSCommitments: a dishonest participant sends the bank forged ACS
// commitments — one claiming to come from the trader, one signed with a key that is not
// its own, one addressed to the trader — to make the bank report a divergence that is not
// there. The bank ignores each with its specific reason and compares nothing; the honest
// participants then transact and agree (settle).
func TestMaliciousForgedACSCommitments(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	w := newByzWorld(t, ctx)
	bankID, traderID := w.net.Member("bankp").ID, w.net.Member("traderp").ID
	malKey := w.net.Member("mallory").Key
	otherKey, _ := crypto.GenerateSigningKey(nil)
	sync := w.mal.SynchronizerID()
	empty := commitments.Empty()
	send := func(content []byte) {
		w.sendRaw(&pb.Batch{Envelopes: []*pb.Envelope{{Recipients: []*pb.Recipient{{Member: bankID}}, Content: content}}})
	}
	forge := func(key crypto.SigningPrivateKey, sender, to string) []byte {
		b, err := commitments.Encode(key, sync, sender, commitments.Commitment{Counter: to, Start: 0, End: time.Second.Microseconds(), Hash: empty})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name    string
		content []byte
		want    error
	}{
		{"impersonates the trader", forge(malKey, traderID, bankID), commitments.ErrWrongSender},
		{"signed with another key", forge(otherKey, w.malID, bankID), commitments.ErrBadSignature},
		{"addressed to the trader", forge(malKey, w.malID, traderID), commitments.ErrNotForUs},
	} {
		send(tc.content)
		ic, err := w.bankNode.WaitIgnoredCommitment(ctx, func(ic participant.IgnoredCommitment) bool { return errors.Is(ic.Reason, tc.want) })
		if err != nil {
			t.Fatalf("%s: the bank never ignored it: %v", tc.name, err)
		}
		if ic.Sender != w.malID {
			t.Fatalf("%s: ignored a commitment of %s, sent by mallory", tc.name, ic.Sender)
		}
	}
	for _, o := range w.bankNode.CommitmentOutcomes() {
		if o.Counter == traderID || o.Counter == w.malID {
			t.Fatalf("a forged commitment was compared: %v", o)
		}
	}
	w.settle()
}
