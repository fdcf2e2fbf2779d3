package ledgerapi

import (
	"encoding/base64"
	"fmt"
	"sort"
)

// Paging of ListUsers and ListKnownParties: the items are in a stable (sorted) order and
// a page token is the opaque encoding of the last item of the previous page, so a page
// starts after it even when items were added or removed in between.
const (
	// DefaultPageSize is the page size of a request with page_size 0.
	DefaultPageSize = 1000
	// MaxPageSize caps page_size.
	MaxPageSize = 1000
)

const pageTokenPrefix = "after:"

// pageRequest is a decoded page request: items after After (all when empty), at most Size.
type pageRequest struct {
	After string
	Size  int
}

// parsePage validates page_size and decodes page_token; errors wrap ErrInvalidPage.
func parsePage(size int32, token string) (pageRequest, error) {
	if size < 0 {
		return pageRequest{}, fmt.Errorf("%w: page_size %d is negative", ErrInvalidPage, size)
	}
	p := pageRequest{Size: int(size)}
	if p.Size == 0 {
		p.Size = DefaultPageSize
	}
	p.Size = min(p.Size, MaxPageSize)
	if token == "" {
		return p, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) <= len(pageTokenPrefix) || string(b[:len(pageTokenPrefix)]) != pageTokenPrefix {
		return pageRequest{}, fmt.Errorf("%w: page_token %q was not issued by this server", ErrInvalidPage, token)
	}
	p.After = string(b[len(pageTokenPrefix):])
	return p, nil
}

// pageToken is the token of the page after the one ending with last.
func pageToken(last string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(pageTokenPrefix + last))
}

// page returns the items of sorted after p.After, at most p.Size, and the next page
// token (empty on the last page).
func page[T any](sorted []T, key func(T) string, p pageRequest) ([]T, string) {
	start := sort.Search(len(sorted), func(i int) bool { return key(sorted[i]) > p.After })
	end := min(start+p.Size, len(sorted))
	out := sorted[start:end]
	if end == len(sorted) || len(out) == 0 {
		return out, ""
	}
	return out, pageToken(key(out[len(out)-1]))
}
