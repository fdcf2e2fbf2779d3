package core

import "errors"

// ReadTopologyState returns the serialized topology state committed in r (the genesis
// state when no block changed it yet).
func ReadTopologyState(r Reader, g *Genesis) ([]byte, error) {
	b, err := r.Get(KeyTopology())
	if err == nil {
		return b, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	st, err := g.TopologyState()
	if err != nil {
		return nil, err
	}
	return st.Marshal(), nil
}
