// Package bench measures the sequencer against CometBFT's own kvstore example
// application on the same CometBFT settings, with the same transaction sizes.
//
// For each workload (payload size, number of recipients) and each system it runs two
// phases on a fresh one-validator chain:
//
//  1. saturation: keep a window of submissions in flight and count completions per second;
//  2. latency: submit at half the measured saturation rate and record, per submission,
//     the time from submit to completion.
//
// Completion means committed in a block for kvstore, and delivered on the subscription
// stream of every recipient for the sequencer (submitted through the gRPC API by a driver
// client, as a participant would). The report is a table (see docs/performance.md).
package bench
