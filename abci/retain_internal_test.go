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
