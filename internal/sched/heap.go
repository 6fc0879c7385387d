package sched

// less orders queue entries by due time, then by submission order, so that
// groups due at the same time keep their arrival order.
func (e *entry[T]) less(f *entry[T]) bool {
	if e.due != f.due {
		return e.due.Before(f.due)
	}
	return e.seq < f.seq
}

// push adds e to the heap. s.mu is held.
func (s *Scheduler[T]) push(e entry[T]) {
	s.q = append(s.q, e)
	q := s.q
	i := len(q) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q[i].less(&q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

// pop removes and returns the earliest entry. s.mu is held and the heap is
// not empty.
func (s *Scheduler[T]) pop() entry[T] {
	q := s.q
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q[n] = entry[T]{}
	q = q[:n]
	s.q = q
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q[r].less(&q[l]) {
			m = r
		}
		if !q[m].less(&q[i]) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	return top
}
