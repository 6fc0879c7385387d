package osc

import "time"

// SetSendAnyLimits sets the cap and the idle timeout of the clients that
// SendAny keeps, for a test, and returns the function that closes the kept
// clients and restores the limits.
func SetSendAnyLimits(capacity int, idle time.Duration) (restore func()) {
	senders.mu.Lock()
	oldCap, oldIdle := sendCap, sendIdle
	sendCap, sendIdle = capacity, idle
	senders.mu.Unlock()
	return func() {
		CloseSendAnyClients()
		senders.mu.Lock()
		sendCap, sendIdle = oldCap, oldIdle
		senders.mu.Unlock()
	}
}

// SendAnyClients returns how many clients SendAny keeps.
func SendAnyClients() int {
	senders.mu.Lock()
	defer senders.mu.Unlock()
	return len(senders.m)
}

// SendAnyClient returns the client that SendAny keeps for url, or nil.
func SendAnyClient(url string) *Client {
	senders.mu.Lock()
	defer senders.mu.Unlock()
	if s := senders.m[url]; s != nil {
		return s.c
	}
	return nil
}

// CloseSendAnyClients closes the clients that SendAny keeps (those in use
// when their call ends).
func CloseSendAnyClients() {
	senders.mu.Lock()
	var unused []*Client
	for _, s := range senders.m {
		if senders.dropLocked(s) {
			unused = append(unused, s.c)
		}
	}
	senders.mu.Unlock()
	for _, c := range unused {
		c.Close()
	}
}
