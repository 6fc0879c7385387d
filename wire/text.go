package wire

// AppendText appends the message in the layout of liblo's oscdump,
// "/address types value...", with the type tags written without the comma
// and each argument as Arg.AppendText writes it. A message without
// arguments is written as its address alone.
func (m Message) AppendText(dst []byte) []byte {
	dst = append(dst, m.Address()...)
	tags := m.TypeTags()
	if len(tags) == 0 {
		return dst
	}
	dst = append(dst, ' ')
	dst = append(dst, tags...)
	r := m.Args()
	for r.Next() {
		dst = append(dst, ' ')
		dst = r.Arg().AppendText(dst)
	}
	return dst
}

// String returns the text form written by AppendText. Its receiver is a
// value, so that fmt prints a Message held by value (fmt.Println(m)) in
// this form too, not as a struct; the other methods keep their pointer
// receivers, which cost nothing to call.
func (m Message) String() string { return string(m.AppendText(nil)) }
