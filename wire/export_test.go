package wire

// Hooks for the external tests (package wire_test) into what the exported
// API hides: the careful decoding passes, which the fast strict ones fall
// back to, and the fields of the views.

// ParseSlow runs the careful pass of ParseMessage directly.
func (o *Options) ParseSlow(b []byte) (Message, error) { return o.parseSlow(b) }

// ParseArgsSlow runs the careful pass of ParseArgs directly.
func (o *Options) ParseArgsSlow(b []byte, dst []Arg) (Message, []Arg, error) {
	return o.parseArgsSlow(b, dst)
}

// Layout returns the offsets and counts a Message records.
func (m Message) Layout() [5]uint32 {
	return [5]uint32{uint32(m.addrLen()), uint32(m.tagOff()), uint32(m.tagLen()), uint32(m.argOff()), uint32(m.nargs())}
}

// View returns an Arg's fields.
func (a Arg) View() ([]byte, uint64) { return a.b, a.x }

// The causes a *ParseError or an encoding error wraps, for errors.Is in
// the external tests.
var (
	ErrAddress        = errAddress
	ErrAlign          = errAlign
	ErrArray          = errArray
	ErrBlobSize       = errBlobSize
	ErrBundle         = errBundle
	ErrElementSize    = errElementSize
	ErrEncoderState   = errEncoderState
	ErrInvalidString  = errInvalidString
	ErrNesting        = errNesting
	ErrPadding        = errPadding
	ErrShort          = errShort
	ErrTimeOrder      = errTimeOrder
	ErrTimetagText    = errTimetagText
	ErrTrailing       = errTrailing
	ErrTypeTags       = errTypeTags
	ErrUnknownType    = errUnknownType
	ErrUnterminated   = errUnterminated
	ErrBufferTooSmall = errBufferTooSmall
	ErrTooLarge       = errTooLarge
)

// ValueOf returns an argument as a Value that owns its bytes.
func ValueOf(a Arg) Value { return valueOf(a) }

// Infer is InferAll for one value.
func Infer(x any) (Value, error) {
	v, err := infer(x, 0)
	if err != nil {
		err.Arg = -1
		return Value{}, err
	}
	return v, nil
}

// HasTypeTags reports whether the message carried a type tag string.
func (m Message) HasTypeTags() bool { return m.hasTypeTags() }

// IsImmediate reports whether t reads as "immediately".
func (t Timetag) IsImmediate() bool { return t.isImmediate() }

// Raw returns an argument's data bytes.
func (a Arg) Raw() []byte { return a.raw() }

// Validate checks one packet strictly.
func Validate(b []byte) error { var o Options; return o.Validate(b) }

// ParseArgs is Options.ParseArgs under the strict rules.
func ParseArgs(b []byte, dst []Arg) (Message, []Arg, error) { return strict.parseArgs(b, dst) }

// ParseBundle is Options.ParseBundle under the strict rules.
func ParseBundle(b []byte) (Bundle, error) { return strict.ParseBundle(b) }
