// SPDX-License-Identifier: GPL-2.0
// Test control over the fake include/kvmx/host.h (fake_host.cpp): allocation accounting,
// fd table, injected failures and captured log lines.
#pragma once

#include <kvmx/core.h>
#include <string>
#include <vector>

namespace fake_host {

// Reset all fake state; call between tests (the Core fixture does).
void reset();

long live_allocs();
// Make the n-th next allocation (0 = the very next) fail.
void fail_alloc_after(int n);

// VM fds handed out by kvmx_host_vm_fd_install: fd -> VM, nullptr once closed.
struct kvmx_vm *vm_of_fd(int fd);
int open_vm_fds();
// Close the fd: drops the fd's reference through kvmx_vm_release, as the kernel does.
void close_fd(int fd);
// Make the next kvmx_host_vm_fd_install fail with this -errno.
void fail_next_fd_install(int err);

// User memory: addresses below this are unmapped and fault.
constexpr unsigned long fault_below = 0x10000;
inline kvmx_uptr uptr(const void *p)
{
	return reinterpret_cast<kvmx_uptr>(p);
}

const std::vector<std::string> &log_lines();
int guest_log_lines();

} // namespace fake_host
