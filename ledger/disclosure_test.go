package ledger

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// quoteSetup publishes the dealer's (bank's) price quote and returns the ledger, the
// package and the quote as a disclosed contract (its creating node's seed).
func quoteSetup(t testing.TB) (*ledgerState, PackageID, DisclosedContract) {
	pkg := loadExample(t, "quote.yaml")
	l := newLedger(t, mustSet(t, pkg))
	tx := l.mustSubmit(CreateCommand([]Party{bank}, TemplateID{pkg.ID, "PriceQuote"}, Record{
		"dealer": PartyValue(bank), "asset": TextValue("XAU"), "price": dec("2000.5"),
	}))
	root := tx.Roots[0]
	return l, pkg.ID, DisclosedContract{Contract: l.acs[root.ContractID], Seed: root.Seed}
}

func buy(pkg PackageID, quote ContractID, buyer Party) Command {
	return ExerciseCommand([]Party{buyer}, TemplateID{pkg, "PriceQuote"}, quote, "Buy",
		Record{"buyer": PartyValue(buyer), "quantity": IntValue(3)})
}

// A buyer that is not a stakeholder of the quote cannot exercise it from its own active
// contracts; with the quote disclosed it can, and the trade carries the quoted price.
func TestDisclosedQuoteBuy(t *testing.T) {
	l, pkg, quote := quoteSetup(t)
	own := ContractMap{} // alice's participant holds nothing
	cmd := buy(pkg, quote.Contract.ID, alice)
	if _, err := Interpret(l.pkgs, cmd, own, testTime, seedOf(9)); !errors.Is(err, ErrContractNotFound) {
		t.Fatalf("without disclosure: %v, want contract not found", err)
	}
	ds, err := NewDisclosures(quote)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := Interpret(l.pkgs, cmd, WithDisclosures(own, ds), testTime, seedOf(9))
	if err != nil {
		t.Fatalf("with the quote disclosed: %v", err)
	}
	root := tx.Roots[0]
	checkInformees(t, root, bank, alice)
	eff := tx.Effects()
	if len(eff.Created) != 1 || len(eff.Archived) != 0 || eff.Inputs[0] != quote.Contract.ID {
		t.Fatalf("effects %+v", eff)
	}
	if trade := eff.Created[0]; ValueString(trade.Arguments["price"]) != "2000.5" || !equalParties(trade.Signatories, bank, alice) {
		t.Fatalf("trade %+v", trade)
	}
	if s, ok := WithDisclosures(own, ds).(SeedLookup).CreationSeed(quote.Contract.ID); !ok || s != quote.Seed {
		t.Fatal("the layered lookup must give the disclosed contract's seed")
	}
}

// The participant's own copy wins over a disclosure of the same id.
func TestDisclosuresLayerUnderOwnContracts(t *testing.T) {
	l, _, quote := quoteSetup(t)
	ds, _ := NewDisclosures(quote)
	mine := *quote.Contract
	mine.Arguments = Record{"dealer": PartyValue(bank), "asset": TextValue("XAU"), "price": dec("1")}
	got, err := WithDisclosures(ContractMap{}.Add(&mine), ds).LookupContract(quote.Contract.ID)
	if err != nil || got != &mine {
		t.Fatalf("got %v, %v; want the own copy", got, err)
	}
	if _, err := WithDisclosures(l.acs, ds).LookupContract(ContractID("00" + strings.Repeat("1", 64))); !errors.Is(err, ErrContractNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestCreatedEventBlob(t *testing.T) {
	_, _, quote := quoteSetup(t)
	blob := EncodeCreatedEventBlob(quote.Contract, quote.Seed)
	got, err := DecodeCreatedEventBlob(blob)
	if err != nil {
		t.Fatal(err)
	}
	if got.Seed != quote.Seed || !bytes.Equal(EncodeContract(got.Contract), EncodeContract(quote.Contract)) {
		t.Fatal("round trip changed the blob")
	}
	tampered := *quote.Contract
	tampered.Arguments = Record{"dealer": PartyValue(bank), "asset": TextValue("XAU"), "price": dec("1")}
	otherSeed := quote.Seed
	otherSeed[0] ^= 1
	for name, tc := range map[string]struct {
		blob []byte
		want error
	}{
		"tampered content": {EncodeCreatedEventBlob(&tampered, quote.Seed), ErrContractIDMismatch},
		"other seed":       {EncodeCreatedEventBlob(quote.Contract, otherSeed), ErrContractIDMismatch},
		"empty":            {nil, ErrMalformedEncoding},
		"version":          {append([]byte{2}, blob[1:]...), ErrMalformedEncoding},
		"truncated":        {blob[:len(blob)-1], ErrMalformedEncoding},
		"trailing":         {append(append([]byte(nil), blob...), 0), ErrMalformedEncoding},
	} {
		_, err := DecodeCreatedEventBlob(tc.blob)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
		if tc.want == ErrContractIDMismatch && !strings.Contains(err.Error(), string(quote.Contract.ID)) {
			t.Errorf("%s: %v does not name the contract", name, err)
		}
	}
	if _, err := NewDisclosures(DisclosedContract{Contract: &tampered, Seed: quote.Seed}); !errors.Is(err, ErrContractIDMismatch) {
		t.Fatalf("NewDisclosures of a tampered contract: %v", err)
	}
}

// blobSeeds are created-event blobs of real contracts, valid and tampered.
func blobSeeds(t testing.TB) [][]byte {
	_, _, quote := quoteSetup(t)
	blob := EncodeCreatedEventBlob(quote.Contract, quote.Seed)
	tampered := append([]byte(nil), blob...)
	tampered[len(tampered)-10] ^= 1
	return [][]byte{blob, tampered, blob[:33], {blobVersion}}
}

func FuzzDecodeCreatedEventBlob(f *testing.F) {
	for _, s := range blobSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := DecodeCreatedEventBlob(data)
		if err != nil {
			return
		}
		if !bytes.Equal(EncodeCreatedEventBlob(d.Contract, d.Seed), data) {
			t.Fatal("blob decoding is not canonical")
		}
		if DeriveContractID(d.Seed, d.Contract) != d.Contract.ID {
			t.Fatal("a decoded blob's id does not derive from its seed and content")
		}
	})
}
