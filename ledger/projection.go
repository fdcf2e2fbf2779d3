package ledger

// Projection returns what party p sees of tx under the Daml ledger model: every top-most
// node of which p is an informee, with its whole subtree, paired with its path, in
// execution order. A party that is informee of no node sees nothing.
func (tx *Transaction) Projection(p Party) []ProjectedNode {
	var out []ProjectedNode
	for i, r := range tx.Roots {
		out = project(NodePath{i}, r, p, out)
	}
	return out
}

// ProjectedNode is a node of a projection and its path in the full transaction.
type ProjectedNode struct {
	Path NodePath
	Node *Node
}

func project(path NodePath, n *Node, p Party, out []ProjectedNode) []ProjectedNode {
	if n.Informees().Contains(p) {
		return append(out, ProjectedNode{Path: path, Node: n})
	}
	for i, c := range n.Children {
		out = project(path.Child(i), c, p, out)
	}
	return out
}
