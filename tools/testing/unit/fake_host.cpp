// SPDX-License-Identifier: GPL-2.0
// The fake host: include/kvmx/host.h over malloc, memcpy and a table of pretend fds, so
// the C++ core runs as an ordinary process under GoogleTest.
#include "fake_host.hpp"

#include <asm/errno.h>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>

namespace fake_host {
namespace {

long allocs;
int alloc_countdown = -1;
std::vector<struct kvmx_vm *> fds; // index = fd - first_fd
constexpr int first_fd = 3;
int fd_install_error;
std::vector<std::string> lines;
int guest_lines;

} // namespace

void reset()
{
	allocs = 0;
	alloc_countdown = -1;
	fds.clear();
	fd_install_error = 0;
	lines.clear();
	guest_lines = 0;
}

long live_allocs()
{
	return allocs;
}
void fail_alloc_after(int n)
{
	alloc_countdown = n;
}

struct kvmx_vm *vm_of_fd(int fd)
{
	size_t i = fd - first_fd;
	return fd >= first_fd && i < fds.size() ? fds[i] : nullptr;
}

int open_vm_fds()
{
	int n = 0;
	for (auto *vm : fds)
		n += vm != nullptr;
	return n;
}

void close_fd(int fd)
{
	struct kvmx_vm *vm = vm_of_fd(fd);
	if (vm) {
		fds[fd - first_fd] = nullptr;
		kvmx_vm_release(vm);
	}
}

void fail_next_fd_install(int err)
{
	fd_install_error = err;
}
const std::vector<std::string> &log_lines()
{
	return lines;
}
int guest_log_lines()
{
	return guest_lines;
}

} // namespace fake_host

using namespace fake_host;

extern "C" {

void *kvmx_host_zalloc(kvmx_size_t size)
{
	if (alloc_countdown >= 0 && alloc_countdown-- == 0)
		return nullptr;
	void *p = calloc(1, size);
	if (p)
		allocs++;
	return p;
}

void kvmx_host_free(void *ptr)
{
	if (ptr)
		allocs--;
	free(ptr);
}

void *kvmx_host_alloc_page(void)
{
	if (alloc_countdown >= 0 && alloc_countdown-- == 0)
		return nullptr;
	void *p = aligned_alloc(4096, 4096);
	if (p) {
		memset(p, 0, 4096);
		allocs++;
	}
	return p;
}

void kvmx_host_free_page(void *page)
{
	kvmx_host_free(page);
}

// The fake "physical" address space is the process's own: identity translation.
kvmx_u64 kvmx_host_virt_to_phys(const void *va)
{
	return reinterpret_cast<kvmx_u64>(va);
}

void *kvmx_host_phys_to_virt(kvmx_u64 pa)
{
	return reinterpret_cast<void *>(pa);
}

unsigned long kvmx_host_irq_save(void)
{
	return 0;
}

void kvmx_host_irq_restore(unsigned long flags) {}

struct kvmx_mutex {
	pthread_mutex_t mutex;
};

struct kvmx_mutex *kvmx_host_mutex_create(void)
{
	auto *m = static_cast<struct kvmx_mutex *>(kvmx_host_zalloc(sizeof(struct kvmx_mutex)));
	if (m)
		pthread_mutex_init(&m->mutex, nullptr);
	return m;
}

void kvmx_host_mutex_destroy(struct kvmx_mutex *m)
{
	if (m)
		pthread_mutex_destroy(&m->mutex);
	kvmx_host_free(m);
}

void kvmx_host_mutex_lock(struct kvmx_mutex *m)
{
	pthread_mutex_lock(&m->mutex);
}

void kvmx_host_mutex_unlock(struct kvmx_mutex *m)
{
	pthread_mutex_unlock(&m->mutex);
}

// The fake user address space: everything from fault_below up to the 48-bit limit.
int kvmx_host_user_range_ok(kvmx_uptr addr, kvmx_size_t len)
{
	return addr >= fault_below && addr + len >= addr && addr + len <= (1UL << 48);
}

int kvmx_host_copy_from_user(void *dst, kvmx_uptr src, kvmx_size_t len)
{
	if (src < fault_below || src + len < src)
		return -EFAULT;
	memcpy(dst, reinterpret_cast<const void *>(src), len);
	return 0;
}

int kvmx_host_copy_to_user(kvmx_uptr dst, const void *src, kvmx_size_t len)
{
	if (dst < fault_below || dst + len < dst)
		return -EFAULT;
	memcpy(reinterpret_cast<void *>(dst), src, len);
	return 0;
}

int kvmx_host_vm_fd_install(struct kvmx_vm *vm)
{
	if (fd_install_error) {
		int err = fd_install_error;
		fd_install_error = 0;
		return err;
	}
	fds.push_back(vm);
	return first_fd + static_cast<int>(fds.size()) - 1;
}

static void vlog(const char *fmt, va_list ap)
{
	char buf[512];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	lines.emplace_back(buf);
}

void kvmx_host_log(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void kvmx_host_log_guest(int level, unsigned int vm_id, int vcpu_id, const char *fmt, ...)
{
	va_list ap;
	guest_lines++;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

} // extern "C"
