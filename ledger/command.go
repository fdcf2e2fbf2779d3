package ledger

import "fmt"

// CommandKind is the kind of a command.
type CommandKind uint8

// Command kinds.
const (
	CommandCreate   CommandKind = 1
	CommandExercise CommandKind = 2
)

// Command is what a submitter asks the ledger to do, on behalf of the ActAs parties: create
// a contract of Template with Arguments, or exercise Choice of Template on ContractID with
// Arguments (the choice parameters).
type Command struct {
	Kind       CommandKind
	ActAs      PartySet
	Template   TemplateID
	ContractID ContractID // exercise
	Choice     string     // exercise
	Arguments  Record
}

// CreateCommand returns a create command.
func CreateCommand(actAs []Party, t TemplateID, args Record) Command {
	return Command{Kind: CommandCreate, ActAs: NewPartySet(actAs...), Template: t, Arguments: args}
}

// ExerciseCommand returns an exercise command.
func ExerciseCommand(actAs []Party, t TemplateID, cid ContractID, choice string, args Record) Command {
	return Command{Kind: CommandExercise, ActAs: NewPartySet(actAs...), Template: t,
		ContractID: cid, Choice: choice, Arguments: args}
}

// Validate checks the command's form (not its arguments' types, which need the package).
func (c Command) Validate() error {
	if len(c.ActAs) == 0 {
		return fmt.Errorf("%w: no actAs party", ErrInvalidCommand)
	}
	if !c.ActAs.isCanonical() {
		return fmt.Errorf("%w: actAs parties not sorted and distinct (use NewPartySet)", ErrInvalidCommand)
	}
	for _, p := range c.ActAs {
		if err := ValidateParty(p); err != nil {
			return fmt.Errorf("%w: actAs: %w", ErrInvalidCommand, err)
		}
	}
	switch c.Kind {
	case CommandCreate:
		return nil
	case CommandExercise:
		if err := ValidateContractID(c.ContractID); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidCommand, err)
		}
		if c.Choice == "" {
			return fmt.Errorf("%w: exercise without a choice", ErrInvalidCommand)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown command kind %d", ErrInvalidCommand, c.Kind)
}
