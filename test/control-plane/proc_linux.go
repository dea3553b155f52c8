package main

import "syscall"

// childSysProcAttr: each child leads its own process group (so a terminal's
// Ctrl-C reaches only `up`, which stops the children in order) and gets
// SIGKILL if `up` dies. Pdeathsig fires when the forking *thread* exits; the
// Go runtime never exits threads unless a goroutine that called
// runtime.LockOSThread returns while locked, which this program never does.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
