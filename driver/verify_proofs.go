package driver

import (
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqproof"
)

// checkEvent checks that ev is event ev.Counter of member's stream as proof shows it
// against appHash, the app hash after the proof's block.
func checkEvent(member string, ev *pb.SequencedEvent, proof *pb.EventProof, appHash []byte) error {
	return seqproof.VerifyEvent(member, ev, proof, appHash)
}

// checkHead checks the stream head of member against appHash, the app hash after block
// head.Height.
func checkHead(member string, head *pb.GetStreamHeadResponse, appHash []byte) error {
	return seqproof.VerifyStreamHead(member, head, appHash)
}

// checkTopology checks a topology download, whose state hashes to stateHash, against
// appHash, the app hash after block res.Height.
func checkTopology(res *pb.DownloadTopologyStateForInitResponse, stateHash, appHash []byte) error {
	return seqproof.VerifyTopology(res, stateHash, appHash)
}
