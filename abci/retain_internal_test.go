package abci

import "testing"

func TestRetainHeight(t *testing.T) {
	for _, tc := range []struct{ keep, height, want int64 }{
		{0, 100, 0}, {10, 5, 0}, {10, 10, 0}, {10, 11, 2}, {10, 100, 91},
	} {
		a := &App{retainBlocks: tc.keep}
		if got := a.retainHeight(tc.height); got != tc.want {
			t.Errorf("keep %d at height %d: retain height %d, want %d", tc.keep, tc.height, got, tc.want)
		}
	}
}

func TestRetainHeightWithPruningPoint(t *testing.T) {
	for _, tc := range []struct{ keep, prune, height, want int64 }{
		{0, 50, 100, 50},  // pruning point only
		{10, 50, 100, 50}, // min_retain_blocks keeps fewer than the point drops
		{80, 50, 100, 21}, // min_retain_blocks keeps the last 80
		{0, 1, 100, 0},    // nothing below height 1
	} {
		a := &App{retainBlocks: tc.keep, pruneHeight: tc.prune}
		if got := a.retainHeight(tc.height); got != tc.want {
			t.Errorf("keep %d, pruning height %d, at height %d: retain height %d, want %d", tc.keep, tc.prune, tc.height, got, tc.want)
		}
	}
}
