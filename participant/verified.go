package participant

// VerifiedHeights returns the lowest and highest height whose header the node's driver
// verified to check the events it received (0, 0 when reads are not verified).
func (n *Node) VerifiedHeights() (first, last int64) {
	n.mu.Lock()
	c := n.client
	n.mu.Unlock()
	if c == nil {
		return 0, 0
	}
	return c.VerifiedHeights()
}
