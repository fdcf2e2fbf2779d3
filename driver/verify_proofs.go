package driver

import (
	"errors"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// errNoSeqproof stands in until the seqproof package is merged.
var errNoSeqproof = errors.New("seqproof not merged yet")

// checkEvent checks that ev is event ev.Counter of member's stream as proof shows it
// against appHash, the app hash after the proof's block.
func checkEvent(member string, ev *pb.SequencedEvent, proof *pb.EventProof, appHash []byte) error {
	return errNoSeqproof
}

// checkHead checks the stream head of member against appHash, the app hash after block
// head.Height.
func checkHead(member string, head *pb.GetStreamHeadResponse, appHash []byte) error {
	return errNoSeqproof
}

// checkTopology checks a topology download against appHash, the app hash after block
// res.Height.
func checkTopology(res *pb.DownloadTopologyStateForInitResponse, stateHash, appHash []byte) error {
	return errNoSeqproof
}
