package router

// The causes a *wire.ParseError from this package wraps, for errors.Is in
// the external tests.
var (
	ErrAddress       = errAddress
	ErrEmptyPart     = errEmptyPart
	ErrNestedBrace   = errNestedBrace
	ErrReserved      = errReserved
	ErrTypes         = errTypes
	ErrUnclosedSet   = errUnclosedSet
	ErrUnmatched     = errUnmatched
	ErrTooLong       = errTooLong
	ErrEmptySet      = errEmptySet
	ErrUnclosedBrace = errUnclosedBrace
	ErrSlashInBrace  = errSlashInBrace
	ErrPatternChar   = errPatternChar
)
