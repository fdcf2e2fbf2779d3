package ledger

// EncodeTransaction returns the canonical encoding of tx. Equal transactions (same nodes,
// seeds, values) have byte-identical encodings.
func EncodeTransaction(tx *Transaction) []byte {
	var e encoder
	e.u8(encodingVersion)
	e.u32(uint32(len(tx.Roots)))
	for _, n := range tx.Roots {
		e.node(n)
	}
	return e.b
}

// DecodeTransaction decodes a canonical transaction encoding. It rejects any input that is
// not exactly what EncodeTransaction produces for some transaction.
func DecodeTransaction(b []byte) (*Transaction, error) {
	d := &decoder{b: b}
	d.version()
	n := d.count()
	tx := &Transaction{}
	for i := 0; i < n && d.err == nil; i++ {
		tx.Roots = append(tx.Roots, d.node())
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return tx, nil
}

// EncodeNode returns the canonical encoding of n and its subtree (a view's action).
func EncodeNode(n *Node) []byte {
	var e encoder
	e.u8(encodingVersion)
	e.node(n)
	return e.b
}

// DecodeNode decodes a canonical node encoding.
func DecodeNode(b []byte) (*Node, error) {
	d := &decoder{b: b}
	d.version()
	n := d.node()
	if err := d.finish(); err != nil {
		return nil, err
	}
	return n, nil
}

// EncodeContract returns the canonical encoding of a contract instance.
func EncodeContract(c *Contract) []byte {
	var e encoder
	e.u8(encodingVersion)
	e.str(string(c.ID))
	e.template(c.Template)
	e.record(c.Arguments)
	e.parties(c.Signatories)
	e.parties(c.Observers)
	return e.b
}

// DecodeContract decodes a canonical contract encoding.
func DecodeContract(b []byte) (*Contract, error) {
	d := &decoder{b: b}
	d.version()
	c := &Contract{ID: ContractID(d.checked(KindContractID, d.str()))}
	c.Template = d.template()
	c.Arguments = d.record()
	c.Signatories = d.parties()
	c.Observers = d.parties()
	if err := d.finish(); err != nil {
		return nil, err
	}
	return c, nil
}

func (e *encoder) template(t TemplateID) {
	e.str(string(t.Package))
	e.str(t.Name)
}

func (d *decoder) template() TemplateID {
	t := TemplateID{Package: PackageID(d.str()), Name: d.str()}
	if d.err == nil && (t.Package == "" || t.Name == "") {
		d.fail("empty template id")
	}
	return t
}

func (e *encoder) node(n *Node) {
	e.u8(uint8(n.Kind))
	e.b = append(e.b, n.Seed[:]...)
	e.str(string(n.ContractID))
	e.template(n.Template)
	e.parties(n.Signatories)
	e.parties(n.Observers)
	switch n.Kind {
	case NodeCreate:
		e.record(n.Arguments)
	case NodeFetch:
		e.parties(n.Actors)
	case NodeExercise:
		e.str(n.Choice)
		e.record(n.ChoiceArgs)
		e.parties(n.Actors)
		e.boolean(n.Consuming)
		e.u32(uint32(len(n.Children)))
		for _, c := range n.Children {
			e.node(c)
		}
		e.boolean(n.Result != nil)
		if n.Result != nil {
			e.value(n.Result)
		}
	}
}

func (d *decoder) node() *Node {
	if !d.enter() {
		return nil
	}
	defer d.leave()
	n := &Node{Kind: NodeKind(d.u8())}
	copy(n.Seed[:], d.take(len(n.Seed)))
	n.ContractID = ContractID(d.checked(KindContractID, d.str()))
	n.Template = d.template()
	n.Signatories = d.parties()
	n.Observers = d.parties()
	switch n.Kind {
	case NodeCreate:
		n.Arguments = d.record()
	case NodeFetch:
		n.Actors = d.parties()
	case NodeExercise:
		d.exercise(n)
	default:
		d.fail("unknown node kind %d", n.Kind)
	}
	return n
}

func (d *decoder) exercise(n *Node) {
	n.Choice = d.str()
	n.ChoiceArgs = d.record()
	n.Actors = d.parties()
	n.Consuming = d.boolean()
	count := d.count()
	for i := 0; i < count && d.err == nil; i++ {
		n.Children = append(n.Children, d.node())
	}
	if d.boolean() {
		n.Result = d.value()
	}
}
