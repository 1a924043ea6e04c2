//go:build !linux

package listen

// setQuickAck does nothing: TCP_QUICKACK is Linux's (gatehouse targets Linux).
func setQuickAck(uintptr) {}
