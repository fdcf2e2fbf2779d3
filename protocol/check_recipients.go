package protocol

import "slices"

// CheckRecipients checks that every participant hosting an informee of v is among
// recipients, the recipient list of the envelope v arrived in (which the sequencer shows
// every recipient). A participant left out was denied a view it must see: a
// *MissingRecipientError naming the first one (informees and participants in sorted
// order); an informee hosted nowhere is an *UnhostedPartyError.
func CheckRecipients(v *View, recipients []string, hosting Hosting) error {
	got := slices.Clone(recipients)
	slices.Sort(got)
	for _, inf := range v.Common.Informees {
		hosts := slices.Clone(hosting.Participants(string(inf.Party)))
		if len(hosts) == 0 {
			return &UnhostedPartyError{View: v.Path, Party: inf.Party}
		}
		slices.Sort(hosts)
		for _, h := range hosts {
			if _, ok := slices.BinarySearch(got, h); !ok {
				return &MissingRecipientError{View: v.Path, Party: inf.Party, Participant: h}
			}
		}
	}
	return nil
}
