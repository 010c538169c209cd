// SPDX-License-Identifier: GPL-2.0
// The fake host: include/kvmx/host.h over malloc, memcpy and a table of pretend fds, so
// the C++ core runs as an ordinary process under GoogleTest. Single-threaded by design:
// locks are flags, waits never sleep, and misuse of the interface is recorded instead of
// deadlocking (the fixtures fail a test that misused it).
#include "fake_host.hpp"

#include <asm/errno.h>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

struct kvmx_sched_hook {
	void (*out)(void *arg);
	void *arg;
	bool entered;
};

namespace fake_host {

SigmaskState sigmask_state;

namespace {

long allocs;
int alloc_countdown = -1;

// The sched-out hook the running "thread" registered (one thread: at most one at a time).
kvmx_sched_hook *entered_hook;
long sched_out_count;

enum class FdKind { closed, vm, vcpu, stats, vgic };
struct Fd {
	FdKind kind;
	struct kvmx_vm *vm;
	struct kvmx_vcpu *vcpu;
	int vcpu_id;
	struct kvmx_vgic_dev *vgic;
};
std::vector<Fd> fds; // index = fd - first_fd
constexpr int first_fd = 3;
int fd_install_error;

UserPageStats page_stats;
std::map<kvmx_uptr, long> page_refs; // page handle (its hva) -> references held
int get_user_page_error;
std::map<kvmx_uptr, bool> present_pages; // page -> writable
void (*get_user_page_hook)(kvmx_uptr, void *);
void *get_user_page_hook_arg;

int mmu_notifiers;
struct kvmx_vm *last_notifier_vm;

WaitStats wait_stats;
void (*timeout_hook)(kvmx_u64);
bool signal, fatal_signal;
long signal_check_count, resched_count;
unsigned int cpu_id;
std::map<unsigned int, long> kick_count;
kvmx_u64 now_ns, realtime, run_delay;
unsigned int halt_poll_default_ns;
bool can_poll_answer;
long relax_count;
kvmx_u64 relax_step_ns;
void (*relax_hook)(kvmx_u64 now);
long random_calls;
unsigned int pid = 4242;
long fpsimd_count;
bool fpsimd_in;

int spin_held;	 // spinlocks held right now
long spin_taken; // acquisitions, ever
int irq_depth;	 // nested irq_save without restore
std::vector<std::string> misuse_lines;

std::vector<std::string> lines;
int guest_lines;

void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	misuse_lines.emplace_back(buf);
}

// The host functions documented as "may sleep" must not run in atomic context.
void might_sleep(const char *what)
{
	if (spin_held)
		report("%s with %d spinlock(s) held", what, spin_held);
	if (irq_depth)
		report("%s with interrupts masked", what);
}

int install(const Fd &fd)
{
	if (fd_install_error) {
		int err = fd_install_error;
		fd_install_error = 0;
		return err;
	}
	fds.push_back(fd);
	return first_fd + static_cast<int>(fds.size()) - 1;
}

Fd *fd_entry(int fd)
{
	size_t i = fd - first_fd;
	return fd >= first_fd && i < fds.size() ? &fds[i] : nullptr;
}

int count_fds(FdKind kind)
{
	int n = 0;
	for (const Fd &f : fds)
		n += kind == FdKind::closed ? f.kind != FdKind::closed : f.kind == kind;
	return n;
}

} // namespace

struct FakeEventfd {
	kvmx_u64 counter;
	struct kvmx_eventfd_watch *watch;
};
FakeEventfd eventfds[fake_host::eventfd_count];
long eventfd_ref_count;
int vtimer_irq_enabled = -1;		       // never set
std::vector<kvmx_pmu_event *> pmu_events_live; // host perf counters of guest PMUs
bool pmu_create_fails;
int eventfd_watch_count;
size_t host_page_bytes = 4096; // kvmx_host_alloc_page's size (set_page_bytes)

static void reset_eventfds()
{
	for (FakeEventfd &e : eventfds)
		e = FakeEventfd{};
	eventfd_ref_count = 0;
	vtimer_irq_enabled = -1;
	eventfd_watch_count = 0;
}

void set_page_bytes(size_t bytes)
{
	host_page_bytes = bytes;
}

void reset()
{
	pmu_create_fails = false;
	host_page_bytes = 4096;
	allocs = 0;
	alloc_countdown = -1;
	fds.clear();
	fd_install_error = 0;
	page_stats = UserPageStats{};
	page_refs.clear();
	get_user_page_error = 0;
	present_pages.clear();
	get_user_page_hook = nullptr;
	get_user_page_hook_arg = nullptr;
	mmu_notifiers = 0;
	last_notifier_vm = nullptr;
	wait_stats = WaitStats{};
	timeout_hook = nullptr;
	signal = fatal_signal = false;
	sigmask_state = SigmaskState{};
	signal_check_count = resched_count = 0;
	cpu_id = 0;
	kick_count.clear();
	now_ns = realtime = run_delay = 0;
	halt_poll_default_ns = 0;
	can_poll_answer = true;
	relax_count = 0;
	relax_step_ns = 100;
	relax_hook = nullptr;
	random_calls = 0;
	pid = 4242;
	fpsimd_count = 0;
	fpsimd_in = false;
	spin_held = irq_depth = 0;
	entered_hook = nullptr;
	sched_out_count = 0;
	reset_eventfds();
	misuse_lines.clear();
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
	Fd *f = fd_entry(fd);
	return f && f->kind == FdKind::vm ? f->vm : nullptr;
}

struct kvmx_vcpu *vcpu_of_fd(int fd)
{
	Fd *f = fd_entry(fd);
	return f && f->kind == FdKind::vcpu ? f->vcpu : nullptr;
}

int vcpu_fd_id(int fd)
{
	Fd *f = fd_entry(fd);
	return f && f->kind == FdKind::vcpu ? f->vcpu_id : -1;
}

int open_vm_fds()
{
	return count_fds(FdKind::vm);
}
int open_vcpu_fds()
{
	return count_fds(FdKind::vcpu);
}
int open_fds()
{
	return count_fds(FdKind::closed);
}

void close_fd(int fd)
{
	Fd *f = fd_entry(fd);
	if (!f)
		return;
	Fd old = *f;
	*f = Fd{};
	switch (old.kind) {
	case FdKind::vm:
	case FdKind::stats:
		kvmx_vm_release(old.vm);
		break;
	case FdKind::vcpu:
		kvmx_vcpu_release(old.vcpu);
		break;
#ifdef KVMX_UNIT_ARM64
	case FdKind::vgic:
		kvmx_arm64_vgic_dev_release(old.vgic);
		break;
#endif
	default:
		break;
	}
}

void fail_next_fd_install(int err)
{
	fd_install_error = err;
}

void *vcpu_mmap(int fd, unsigned long pgoff)
{
	struct kvmx_vcpu *vcpu = vcpu_of_fd(fd);
	return vcpu ? kvmx_vcpu_mmap_page(vcpu, pgoff) : nullptr;
}

const UserPageStats &user_pages()
{
	return page_stats;
}
long user_page_refs()
{
	return page_stats.gets - page_stats.puts;
}
void mark_user_page_present(kvmx_uptr hva, bool writable)
{
	present_pages[hva & ~0xfffUL] = writable;
}

void fail_next_get_user_page(int err)
{
	get_user_page_error = err;
}
void on_get_user_page(void (*hook)(kvmx_uptr, void *), void *arg)
{
	get_user_page_hook = hook;
	get_user_page_hook_arg = arg;
}

int live_mmu_notifiers()
{
	return mmu_notifiers;
}
struct kvmx_vm *mmu_notifier_vm()
{
	return last_notifier_vm;
}

const WaitStats &waits()
{
	return wait_stats;
}
void on_wait_timeout(void (*hook)(kvmx_u64 ns))
{
	timeout_hook = hook;
}

void set_signal_pending(bool pending)
{
	signal = pending;
}
void set_fatal_signal_pending(bool pending)
{
	fatal_signal = pending;
}
long signal_checks()
{
	return signal_check_count;
}
long resched_calls()
{
	return resched_count;
}

void set_cpu_id(unsigned int cpu)
{
	cpu_id = cpu;
}
long kicks(unsigned int cpu)
{
	auto it = kick_count.find(cpu);
	return it == kick_count.end() ? 0 : it->second;
}
void set_halt_poll_ns(unsigned int ns)
{
	halt_poll_default_ns = ns;
}
void set_can_poll(bool can)
{
	can_poll_answer = can;
}
void on_cpu_relax(kvmx_u64 step_ns, void (*hook)(kvmx_u64 now))
{
	relax_step_ns = step_ns;
	relax_hook = hook;
}
long relax_calls()
{
	return relax_count;
}
void set_time_ns(kvmx_u64 ns)
{
	now_ns = ns;
}
void set_realtime_ns(kvmx_u64 ns)
{
	realtime = ns;
}
void set_run_delay_ns(kvmx_u64 ns)
{
	run_delay = ns;
}
long random_requests()
{
	return random_calls;
}
void set_pid(unsigned int p)
{
	pid = p;
}
long fpsimd_sections()
{
	return fpsimd_count;
}
bool fpsimd_open()
{
	return fpsimd_in;
}

int misuse()
{
	return static_cast<int>(misuse_lines.size());
}
const std::vector<std::string> &misuse_log()
{
	return misuse_lines;
}
int spinlocks_held()
{
	return spin_held;
}
long spinlock_acquisitions()
{
	return spin_taken;
}

void sched_out()
{
	sched_out_count++;
	if (!entered_hook)
		return;
	irq_depth++; // the scheduler calls the hook with interrupts masked
	entered_hook->out(entered_hook->arg);
	irq_depth--;
}
long sched_outs()
{
	return sched_out_count;
}
bool sched_hook_entered()
{
	return entered_hook != nullptr;
}
int irqs_masked()
{
	return irq_depth;
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
	might_sleep("kvmx_host_zalloc");
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
	might_sleep("kvmx_host_alloc_page");
	if (alloc_countdown >= 0 && alloc_countdown-- == 0)
		return nullptr;
	void *p = aligned_alloc(host_page_bytes, host_page_bytes);
	if (p) {
		memset(p, 0, host_page_bytes);
		allocs++;
	}
	return p;
}

void kvmx_host_free_page(void *page)
{
	kvmx_host_free(page);
}

void *kvmx_host_alloc_table(kvmx_u64 bytes)
{
	might_sleep("kvmx_host_alloc_table");
	if (!bytes || (bytes & (bytes - 1)) || bytes > (1ULL << 20))
		return nullptr;
	if (alloc_countdown >= 0 && alloc_countdown-- == 0)
		return nullptr;
	void *p = aligned_alloc(bytes, bytes);
	if (p) {
		memset(p, 0, bytes);
		allocs++;
	}
	return p;
}

void kvmx_host_free_table(void *table, kvmx_u64)
{
	kvmx_host_free(table);
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
	return static_cast<unsigned long>(irq_depth++);
}

void kvmx_host_irq_restore(unsigned long flags)
{
	if (irq_depth == 0 || static_cast<unsigned long>(irq_depth - 1) != flags)
		report("kvmx_host_irq_restore(%lu) at depth %d", flags, irq_depth);
	if (irq_depth)
		irq_depth--;
}

struct kvmx_mutex {
	bool held;
};

int kvmx_host_mutex_trylock(struct kvmx_mutex *m)
{
	if (m->held)
		return 0;
	m->held = true;
	return 1;
}

struct kvmx_mutex *kvmx_host_mutex_create(void)
{
	return static_cast<struct kvmx_mutex *>(kvmx_host_zalloc(sizeof(struct kvmx_mutex)));
}

void kvmx_host_mutex_destroy(struct kvmx_mutex *m)
{
	if (m && m->held)
		report("mutex destroyed while held");
	kvmx_host_free(m);
}

void kvmx_host_mutex_lock(struct kvmx_mutex *m)
{
	might_sleep("kvmx_host_mutex_lock");
	if (m->held)
		report("mutex locked twice (a deadlock on a real host)");
	m->held = true;
}

void kvmx_host_mutex_unlock(struct kvmx_mutex *m)
{
	if (!m->held)
		report("mutex unlocked while not held");
	m->held = false;
}

struct kvmx_spinlock {
	bool held;
};

struct kvmx_spinlock *kvmx_host_spinlock_create(void)
{
	return static_cast<struct kvmx_spinlock *>(kvmx_host_zalloc(sizeof(struct kvmx_spinlock)));
}

void kvmx_host_spinlock_destroy(struct kvmx_spinlock *lock)
{
	if (lock && lock->held)
		report("spinlock destroyed while held");
	kvmx_host_free(lock);
}

void kvmx_host_spin_lock(struct kvmx_spinlock *lock)
{
	if (lock->held)
		report("spinlock taken twice (a deadlock on a real host)");
	lock->held = true;
	spin_held++;
	spin_taken++;
}

void kvmx_host_spin_unlock(struct kvmx_spinlock *lock)
{
	if (!lock->held)
		report("spinlock released while not held");
	lock->held = false;
	spin_held--;
}

// The fake user address space: everything from fault_below up to the 48-bit limit.
int kvmx_host_user_range_ok(kvmx_uptr addr, kvmx_size_t len)
{
	return addr >= fault_below && addr + len >= addr && addr + len <= (1UL << 48);
}

int kvmx_host_copy_from_user(void *dst, kvmx_uptr src, kvmx_size_t len)
{
	might_sleep("kvmx_host_copy_from_user");
	if (src < fault_below || src + len < src)
		return -EFAULT;
	memcpy(dst, reinterpret_cast<const void *>(src), len);
	return 0;
}

int kvmx_host_copy_to_user(kvmx_uptr dst, const void *src, kvmx_size_t len)
{
	might_sleep("kvmx_host_copy_to_user");
	if (dst < fault_below || dst + len < dst)
		return -EFAULT;
	memcpy(reinterpret_cast<void *>(dst), src, len);
	return 0;
}

int kvmx_host_vm_fd_install(struct kvmx_vm *vm)
{
	return install(Fd{ FdKind::vm, vm, nullptr, -1, nullptr });
}

int kvmx_host_vcpu_fd_install(struct kvmx_vcpu *vcpu, unsigned int id)
{
	return install(Fd{ FdKind::vcpu, nullptr, vcpu, static_cast<int>(id), nullptr });
}

int kvmx_host_stats_fd_install(struct kvmx_vm *vm, struct kvmx_vcpu *vcpu)
{
	return install(Fd{ FdKind::stats, vm, vcpu, -1, nullptr });
}

unsigned int kvmx_host_pid(void)
{
	return pid;
}

// The page handle is the page's own address, so put can check it was handed out.
int kvmx_host_get_user_page(kvmx_uptr hva, int write, kvmx_u64 *pa, void **page)
{
	might_sleep("kvmx_host_get_user_page");
	page_stats.last_hva = hva;
	page_stats.last_write = write;
	if (get_user_page_error) {
		int err = get_user_page_error;
		get_user_page_error = 0;
		present_pages.clear();
		return err;
	}
	if (hva < fault_below || hva >= (1UL << 48))
		return -EFAULT;
	kvmx_uptr base = hva & ~0xfffUL;
	page_refs[base]++;
	page_stats.gets++;
	page_stats.write_gets += write != 0;
	*pa = base;
	*page = reinterpret_cast<void *>(base);
	if (get_user_page_hook)
		get_user_page_hook(hva, get_user_page_hook_arg);
	return 0;
}

int kvmx_host_get_user_page_fast(kvmx_uptr hva, int write, kvmx_u64 *pa, void **page)
{
	// Present and writable in the VMM: pages it marked so (mark_user_page_present).
	kvmx_uptr base = hva & ~0xfffUL;
	if (!present_pages.count(base) || (write && !present_pages[base]))
		return -EAGAIN;
	page_refs[base]++;
	page_stats.gets++;
	page_stats.fast_gets++;
	page_stats.write_gets += write != 0;
	page_stats.last_hva = hva;
	page_stats.last_write = write;
	*pa = base;
	*page = reinterpret_cast<void *>(base);
	return 0;
}

void kvmx_host_put_user_page(void *page, int dirty)
{
	auto it = page_refs.find(reinterpret_cast<kvmx_uptr>(page));
	if (it == page_refs.end() || it->second == 0) {
		report("put_user_page(%p) without a reference", page);
		return;
	}
	if (--it->second == 0)
		page_refs.erase(it);
	page_stats.puts++;
	page_stats.dirty_puts += dirty != 0;
}

struct kvmx_mmu_notifier {
	struct kvmx_vm *vm;
};

struct kvmx_mmu_notifier *kvmx_host_mmu_notifier_register(struct kvmx_vm *vm)
{
	might_sleep("kvmx_host_mmu_notifier_register");
	auto *mn = static_cast<struct kvmx_mmu_notifier *>(
		kvmx_host_zalloc(sizeof(struct kvmx_mmu_notifier)));
	if (mn) {
		mn->vm = vm;
		mmu_notifiers++;
		last_notifier_vm = vm;
	}
	return mn;
}

void kvmx_host_mmu_notifier_unregister(struct kvmx_mmu_notifier *mn)
{
	might_sleep("kvmx_host_mmu_notifier_unregister");
	if (mn)
		mmu_notifiers--;
	kvmx_host_free(mn);
}

struct kvmx_waitq {
	int waiters;
};

struct kvmx_waitq *kvmx_host_waitq_create(void)
{
	return static_cast<struct kvmx_waitq *>(kvmx_host_zalloc(sizeof(struct kvmx_waitq)));
}

void kvmx_host_waitq_destroy(struct kvmx_waitq *wq)
{
	kvmx_host_free(wq);
}

// Never sleeps: a single-threaded test has nobody to wake it. What would end the sleep
// on a real host happens at once: the timeout passes (time and the hook move on), or,
// with no timeout, a signal arrives and stays pending as a real one would.
int kvmx_host_wait(struct kvmx_waitq *wq, kvmx_u64 timeout_ns, int (*ready)(void *arg), void *arg)
{
	might_sleep("kvmx_host_wait");
	wait_stats.waits++;
	wait_stats.last_timeout_ns = timeout_ns;
	int r;
	if (ready(arg)) {
		r = 0;
	} else {
		// A wait that does not end at once schedules the thread out.
		fake_host::sched_out();
		if (timeout_ns == KVMX_WAIT_FOREVER) {
			signal = true;
			r = -EINTR;
		} else {
			now_ns += timeout_ns;
			if (timeout_hook)
				timeout_hook(timeout_ns);
			r = -ETIME;
		}
	}
	wait_stats.last_result = r;
	return r;
}

struct kvmx_sched_hook *kvmx_host_sched_hook_create(void (*out)(void *arg), void *arg)
{
	auto *hook = static_cast<kvmx_sched_hook *>(kvmx_host_zalloc(sizeof(kvmx_sched_hook)));
	if (hook) {
		hook->out = out;
		hook->arg = arg;
	}
	return hook;
}

void kvmx_host_sched_hook_destroy(struct kvmx_sched_hook *hook)
{
	if (hook && hook->entered)
		report("kvmx_host_sched_hook_destroy of a hook still entered");
	kvmx_host_free(hook);
}

void kvmx_host_sched_hook_enter(struct kvmx_sched_hook *hook)
{
	if (hook->entered || entered_hook)
		report("kvmx_host_sched_hook_enter with a hook entered already");
	hook->entered = true;
	entered_hook = hook;
}

void kvmx_host_sched_hook_leave(struct kvmx_sched_hook *hook)
{
	if (!hook->entered)
		report("kvmx_host_sched_hook_leave of a hook not entered");
	hook->entered = false;
	if (entered_hook == hook)
		entered_hook = nullptr;
}

void kvmx_host_wake(struct kvmx_waitq *wq)
{
	wait_stats.wakes++;
}

int kvmx_host_signal_pending(void)
{
	signal_check_count++;
	return signal;
}

int kvmx_host_fatal_signal_pending(void)
{
	signal_check_count++;
	return fatal_signal;
}

unsigned int kvmx_host_sigset_size(void)
{
	return 8;
}

void kvmx_host_sigmask_enter(kvmx_u64 set)
{
	if (fake_host::sigmask_state.active)
		fake_host::sigmask_state.unbalanced++;
	fake_host::sigmask_state.active = true;
	fake_host::sigmask_state.last = set;
	fake_host::sigmask_state.enters++;
}

void kvmx_host_sigmask_leave(void)
{
	if (!fake_host::sigmask_state.active)
		fake_host::sigmask_state.unbalanced++;
	fake_host::sigmask_state.active = false;
}

void kvmx_host_cond_resched(void)
{
	might_sleep("kvmx_host_cond_resched");
	resched_count++;
}

unsigned int kvmx_host_cpu_id(void)
{
	return cpu_id;
}

void kvmx_host_kick_cpu(unsigned int cpu)
{
	kick_count[cpu]++;
}

int kvmx_host_can_poll(void)
{
	return can_poll_answer;
}

// A busy-wait pause: time moves on by the step, then the hook may make an event happen.
void kvmx_host_cpu_relax(void)
{
	// A busy wait nothing here ends (no hook, no other thread): fail loudly, not hang.
	if (++relax_count > 50000000) {
		std::fprintf(
			stderr,
			"fake_host: kvmx_host_cpu_relax called 50M times: a wait that never ends\n");
		std::abort();
	}
	now_ns += relax_step_ns;
	if (relax_hook)
		relax_hook(now_ns);
}

unsigned int kvmx_host_halt_poll_ns(void)
{
	return halt_poll_default_ns;
}

kvmx_u64 kvmx_host_time_ns(void)
{
	return now_ns;
}

kvmx_u64 kvmx_host_realtime_ns(void)
{
	return realtime;
}

kvmx_u64 kvmx_host_run_delay_ns(void)
{
	return run_delay;
}

// Not random at all: a counter pattern, so that tests can tell which bytes were filled.
void kvmx_host_random_bytes(void *buf, kvmx_size_t len)
{
	random_calls++;
	for (kvmx_size_t i = 0; i < len; i++)
		static_cast<unsigned char *>(buf)[i] = static_cast<unsigned char>(0xa0 + i);
}

int kvmx_host_put_user_u64(kvmx_uptr addr, kvmx_u64 val)
{
	might_sleep("kvmx_host_put_user_u64");
	if (addr & 7)
		report("kvmx_host_put_user_u64 at unaligned %#lx", addr);
	if (addr < fault_below || addr >= (1UL << 48) - 8)
		return -EFAULT;
	__atomic_store_n(reinterpret_cast<kvmx_u64 *>(addr), val, __ATOMIC_RELAXED);
	return 0;
}

void kvmx_host_fpsimd_begin(void)
{
	if (fpsimd_in)
		report("kvmx_host_fpsimd_begin twice");
	if (irq_depth)
		report("kvmx_host_fpsimd_begin with interrupts masked");
	fpsimd_in = true;
}

void kvmx_host_fpsimd_end(void)
{
	if (!fpsimd_in)
		report("kvmx_host_fpsimd_end without begin");
	fpsimd_in = false;
	fpsimd_count++;
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

int ptimer_irq_enabled = -1;
int timer_active_state[2];

void kvmx_host_arm64_timer_irqs(unsigned int enable, unsigned int active)
{
	if (!irq_depth)
		report("kvmx_host_arm64_timer_irqs(%u, %u) with interrupts on", enable, active);
	vtimer_irq_enabled = enable & 1;
	ptimer_irq_enabled = (enable >> 1) & 1;
	timer_active_state[0] = active & 1;
	timer_active_state[1] = (active >> 1) & 1;
}

int kvmx_host_arm64_hw_timers(void)
{
	return 0;
}

int kvmx_host_arm64_timer_forward(void)
{
	might_sleep("kvmx_host_arm64_timer_forward");
	return 0;
}

void kvmx_host_arm64_timer_active_unknown(unsigned int n)
{
	if (!irq_depth)
		report("kvmx_host_arm64_timer_active_unknown(%u) with interrupts on", n);
}

} // extern "C"

// Host perf counters behind guest PMU counters: a count the tests advance.
struct kvmx_pmu_event {
	unsigned int event;
	bool el1, enabled;
	kvmx_u64 period, count;
	void *ctx;
};

extern "C" {

struct kvmx_pmu_event *kvmx_host_arm64_pmu_event_create(unsigned int event, int el1,
							kvmx_u64 period, int enabled, void *ctx)
{
	using namespace fake_host;
	might_sleep("kvmx_host_arm64_pmu_event_create");
	if (pmu_create_fails)
		return nullptr;
	auto *e = new kvmx_pmu_event{ event, el1 != 0, enabled != 0, period, 0, ctx };
	pmu_events_live.push_back(e);
	return e;
}

void kvmx_host_arm64_pmu_event_release(struct kvmx_pmu_event *e)
{
	using namespace fake_host;
	might_sleep("kvmx_host_arm64_pmu_event_release");
	if (!e)
		return;
	for (auto it = pmu_events_live.begin(); it != pmu_events_live.end(); ++it) {
		if (*it == e) {
			pmu_events_live.erase(it);
			break;
		}
	}
	delete e;
}

kvmx_u64 kvmx_host_arm64_pmu_event_read(struct kvmx_pmu_event *e)
{
	return e->count;
}

void kvmx_host_arm64_pmu_event_enable(struct kvmx_pmu_event *e, int enable)
{
	e->enabled = enable != 0;
}

int gic_maint_irq_calls;

void kvmx_host_arm64_gic_maint_irq(void)
{
	if (!irq_depth)
		report("kvmx_host_arm64_gic_maint_irq with interrupts on");
	gic_maint_irq_calls++;
}

#ifdef KVMX_UNIT_ARM64
int kvmx_host_arm64_vgic_fd_install(struct kvmx_vgic_dev *dev)
{
	return install(Fd{ FdKind::vgic, nullptr, nullptr, 0, dev });
}

#endif

struct kvmx_eventfd_watch {
	int fd;
	void (*fire)(void *arg);
	int (*hangup)(void *arg);
	void *arg;
};

static FakeEventfd *fake_eventfd(int fd, int *err)
{
	if (fd < 0) {
		*err = -EBADF;
		return nullptr;
	}
	if (fd < fake_host::eventfd_first ||
	    fd >= fake_host::eventfd_first + fake_host::eventfd_count) {
		*err = -EINVAL;
		return nullptr;
	}
	return &eventfds[fd - fake_host::eventfd_first];
}

struct kvmx_eventfd *kvmx_host_eventfd_get(int fd, int *err)
{
	might_sleep("kvmx_host_eventfd_get");
	FakeEventfd *e = fake_eventfd(fd, err);
	if (e)
		eventfd_ref_count++;
	return reinterpret_cast<struct kvmx_eventfd *>(e);
}

void kvmx_host_eventfd_put(struct kvmx_eventfd *efd)
{
	if (efd)
		eventfd_ref_count--;
}

void kvmx_host_eventfd_signal(struct kvmx_eventfd *efd)
{
	reinterpret_cast<FakeEventfd *>(efd)->counter++;
}

struct kvmx_eventfd_watch *kvmx_host_eventfd_watch(int fd, void (*fire)(void *arg),
						   int (*hangup)(void *arg), void *arg, int *err,
						   int *pending)
{
	might_sleep("kvmx_host_eventfd_watch");
	FakeEventfd *e = fake_eventfd(fd, err);
	if (!e)
		return nullptr;
	if (e->watch) {
		// The kernel allows several; the fake keeps one per eventfd, which is all
		// the core may have per VM (-EBUSY): a second means a test of two VMs.
		report("second watch on fake eventfd %d", fd);
	}
	auto *w = new kvmx_eventfd_watch{ fd, fire, hangup, arg };
	e->watch = w;
	*pending = e->counter != 0;
	e->counter = 0;
	eventfd_ref_count++;
	eventfd_watch_count++;
	return w;
}

struct kvmx_eventfd *kvmx_host_eventfd_watched(struct kvmx_eventfd_watch *w)
{
	return reinterpret_cast<struct kvmx_eventfd *>(&eventfds[w->fd - fake_host::eventfd_first]);
}

void kvmx_host_eventfd_unwatch(struct kvmx_eventfd_watch *w)
{
	if (!w)
		return;
	might_sleep("kvmx_host_eventfd_unwatch");
	FakeEventfd &e = eventfds[w->fd - fake_host::eventfd_first];
	if (e.watch == w)
		e.watch = nullptr;
	eventfd_ref_count--;
	eventfd_watch_count--;
	delete w;
}

} // extern "C"

namespace fake_host {

kvmx_u64 eventfd_counter(int fd)
{
	return eventfds[fd - eventfd_first].counter;
}

void eventfd_write(int fd)
{
	FakeEventfd &e = eventfds[fd - eventfd_first];
	e.counter++;
	if (e.watch) {
		// The kernel's wake-up runs with the wait-queue lock held, interrupts off.
		e.counter = 0;
		irq_depth++;
		e.watch->fire(e.watch->arg);
		irq_depth--;
	}
}

void eventfd_close(int fd)
{
	FakeEventfd &e = eventfds[fd - eventfd_first];
	kvmx_eventfd_watch *w = e.watch;
	if (w && w->hangup(w->arg)) {
		e.watch = nullptr;
		eventfd_ref_count--;
		eventfd_watch_count--;
		delete w;
	}
}

long eventfd_refs()
{
	return eventfd_ref_count;
}

int eventfd_watches()
{
	return eventfd_watch_count;
}

int vtimer_irq()
{
	return vtimer_irq_enabled;
}

int timer_active(unsigned int n)
{
	return n < 2 ? timer_active_state[n] : 0;
}

int pmu_events()
{
	return static_cast<int>(pmu_events_live.size());
}

bool pmu_count(unsigned int event, bool el1, kvmx_u64 n)
{
	for (kvmx_pmu_event *e : pmu_events_live) {
		if (e->event != event || e->el1 != el1 || !e->enabled)
			continue;
		const kvmx_u64 before = e->count;
		e->count += n;
		if (before < e->period && e->count >= e->period) {
			irq_depth++; // perf's overflow handler: interrupt context
			kvmx_arm64_pmu_overflow(e->ctx);
			irq_depth--;
		}
		return true;
	}
	return false;
}

void set_pmu_create_fails(bool fail)
{
	pmu_create_fails = fail;
}

} // namespace fake_host

#ifdef KVMX_UNIT_ARM64
namespace fake_host {
long vgic_fd_ioctl(int fd, unsigned int cmd, unsigned long arg)
{
	Fd *f = fd_entry(fd);
	if (!f || f->kind != FdKind::vgic)
		return -EBADF;
	return kvmx_arm64_vgic_dev_ioctl(f->vgic, cmd, arg);
}
} // namespace fake_host
#endif
