// Package bench measures the sequencer against CometBFT's own kvstore example
// application on the same CometBFT settings, with the same transaction sizes.
//
// For each workload (payload size, number of recipients) and each system it runs, on a
// fresh one-validator chain:
//
//  1. saturation: steps with a window of submissions in flight, doubling from
//     Options.Window up to Options.MaxWindow unless a step falls 10 % below the best;
//     the best step's completions per second is the saturation rate;
//  2. latency: submissions offered open-loop at half that rate, recording per submission
//     the time from submit to completion.
//
// Systems: "kvstore" (transactions put into the node's mempool in-process: CometBFT's
// ceiling), "kvstore-rpc" (the same app driven through CometBFT's RPC broadcast_tx_sync,
// as a client would) and "sequencer" (signed submissions through the gRPC API by a driver
// client, as a participant would). Completion means committed in a block for kvstore,
// and delivered on the subscription stream of every recipient for the sequencer. The
// kvstore load generator sends again, after 5 s, a transaction CometBFT's mempool
// dropped after admitting it, as the driver does for the sequencer. The report is a
// table with the process CPU time per submission of the best step and the sequencer's
// ratio to each kvstore (see docs/performance.md).
package bench
