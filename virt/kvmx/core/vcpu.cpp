// SPDX-License-Identifier: GPL-2.0
// vCPU creation, the generic vCPU ioctls and the KVM_RUN loop (enter, handle the exit,
// loop or return to userspace). Must not know registers or exit reasons: the arch does.
#include "vcpu.hpp"
#include "ioctl.hpp"
#include "stats.hpp"
#include "vm.hpp"

namespace kvmx {

Result<Vcpu *> vcpu_alloc(Vm *vm, u32 id, u32 idx)
{
	Vcpu *vcpu = make_zeroed<Vcpu>();
	if (!vcpu)
		return Status::error(-ENOMEM);
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->idx = idx;
	vcpu->lock = kvmx_host_mutex_create();
	vcpu->wq = kvmx_host_waitq_create();
	vcpu->run = static_cast<kvm_run *>(kvmx_host_alloc_page());
	Status st = vcpu->lock && vcpu->wq && vcpu->run ? arch_vcpu_create(vcpu)
							: Status::error(-ENOMEM);
	if (!st.is_ok()) {
		vcpu_free(vcpu);
		return st;
	}
	return vcpu;
}

namespace {

long run_loop(Vcpu *vcpu)
{
	kvm_run *run = vcpu->run;
	// Upstream's order: a completed MMIO read lands in the registers even when the
	// VMM only wanted to return to userspace at once. exit_reason stays as it was (VMMs
	// and the selftests' ucall code read it again after such a call).
	if (load_acquire(&run->immediate_exit)) {
		vcpu->stats.signal_exits++;
		return -EINTR;
	}
	run->exit_reason = KVM_EXIT_UNKNOWN;
	for (;;) {
		if (kvmx_host_signal_pending()) {
			run->exit_reason = KVM_EXIT_INTR;
			vcpu->stats.signal_exits++;
			return -EINTR;
		}
		kvmx_host_cond_resched();
		Result<RunStep> step = arch_vcpu_run_once(vcpu);
		if (!step.is_ok()) {
			if (step.err() == -EINTR) {
				run->exit_reason = KVM_EXIT_INTR;
				vcpu->stats.signal_exits++;
			}
			return step.err();
		}
		if (step.value() == RunStep::exit_user)
			return 0;
	}
}

long run(Vcpu *vcpu, unsigned long arg)
{
	if (arg)
		return -EINVAL;
	Status st = arch_vcpu_run_prepare(vcpu);
	if (!st.is_ok())
		return st.err();
	// The VMM's signal mask for the run, as upstream's kvm_sigset_activate.
	if (vcpu->sigset_active)
		kvmx_host_sigmask_enter(vcpu->sigset);
	long r = run_loop(vcpu);
	if (vcpu->sigset_active)
		kvmx_host_sigmask_leave();
	arch_vcpu_run_done(vcpu);
	return r;
}

// KVM_SET_SIGNAL_MASK: struct kvm_signal_mask, whose len must be the kernel's sigset_t
// size (-EINVAL); a NULL argument drops the mask.
long set_signal_mask(Vcpu *vcpu, unsigned long arg)
{
	if (!arg) {
		vcpu->sigset_active = false;
		return 0;
	}
	u32 len;
	if (kvmx_host_copy_from_user(&len, arg, sizeof(len)))
		return -EFAULT;
	if (len != kvmx_host_sigset_size() || len != sizeof(u64))
		return -EINVAL;
	u64 set;
	if (kvmx_host_copy_from_user(&set, arg + sizeof(len), sizeof(set)))
		return -EFAULT;
	vcpu->sigset = set;
	vcpu->sigset_active = true;
	return 0;
}

int wake_ready(void *arg)
{
	auto *ctx = static_cast<void **>(arg);
	Vcpu *vcpu = static_cast<Vcpu *>(ctx[0]);
	auto ready = reinterpret_cast<bool (*)(Vcpu *)>(ctx[1]);
	return exchange(&vcpu->wake_req, 0u) != 0 || ready(vcpu);
}

} // namespace

long vcpu_create(Vm *vm, unsigned long id)
{
	if (id >= max_vcpus)
		return -EINVAL;
	MutexGuard guard(vm->lock);
	u32 n = vm->nr_vcpus;
	if (n >= max_vcpus)
		return -EINVAL;
	for (u32 i = 0; i < n; i++) {
		if (vm->vcpus[i]->id == id)
			return -EEXIST;
	}
	Result<Vcpu *> vcpu = vcpu_alloc(vm, static_cast<u32>(id), n);
	if (!vcpu.is_ok())
		return vcpu.err();
	// The fd's VM reference; the fd is the only way to reach the vCPU until it is
	// published below, so a failed install frees it directly.
	vm_get(vm);
	int fd = kvmx_host_vcpu_fd_install(vcpu.value(), static_cast<u32>(id));
	if (fd < 0) {
		vcpu_free(vcpu.value());
		vm_put(vm);
		return fd;
	}
	vm->vcpus[n] = vcpu.value();
	store_release(&vm->nr_vcpus, n + 1);
	return fd;
}

void vcpu_free(Vcpu *vcpu)
{
	if (!vcpu)
		return;
	arch_vcpu_destroy(vcpu);
	kvmx_host_free_page(vcpu->run);
	kvmx_host_waitq_destroy(vcpu->wq);
	kvmx_host_mutex_destroy(vcpu->lock);
	destroy(vcpu);
}

void vcpu_kick(Vcpu *vcpu)
{
	store_release(&vcpu->wake_req, 1u);
	kvmx_host_wake(vcpu->wq);
	arch_vcpu_kick(vcpu);
}

void vcpu_kick_ready(Vcpu *vcpu)
{
	// The waker made its change visible before calling: the wait queue's lock orders it
	// with a sleeper's check of @ready; a guest that runs is interrupted as by vcpu_kick.
	kvmx_host_wake(vcpu->wq);
	arch_vcpu_kick(vcpu);
}

int vcpu_block(Vcpu *vcpu, u64 timeout_ns, bool (*ready)(Vcpu *vcpu))
{
	void *ctx[2] = { vcpu, reinterpret_cast<void *>(ready) };
	return kvmx_host_wait(vcpu->wq, timeout_ns, wake_ready, ctx);
}

long vcpu_ioctl(Vcpu *vcpu, unsigned int cmd, unsigned long arg)
{
	// The few ioctls another thread may issue while the vCPU runs (upstream's "async"
	// vCPU ioctls, e.g. KVM_INTERRUPT on POWER) do not wait for the vCPU lock.
	long r;
	if (vm_is_dead(vcpu->vm))
		return -EIO;
	if (arch_vcpu_async_ioctl(vcpu, cmd, arg, &r))
		return r;
	MutexGuard guard(vcpu->lock);
	switch (cmd) {
	case KVM_RUN:
		return run(vcpu, arg);
	case kvm_set_signal_mask_ioctl:
		return set_signal_mask(vcpu, arg);
	case KVM_GET_STATS_FD:
		return stats_fd(vcpu->vm, vcpu);
	default:
		return arch_vcpu_ioctl(vcpu, cmd, arg);
	}
}

} // namespace kvmx

extern "C" long kvmx_vcpu_ioctl(struct kvmx_vcpu *vcpu, unsigned int cmd, unsigned long arg)
{
	return kvmx::vcpu_ioctl(vcpu, cmd, arg);
}

extern "C" void *kvmx_vcpu_mmap_page(struct kvmx_vcpu *vcpu, unsigned long pgoff)
{
	if (pgoff == 0)
		return vcpu->run;
#ifdef KVMX_ARCH_COALESCED_MMIO
	if (pgoff == KVM_COALESCED_MMIO_PAGE_OFFSET)
		return kvmx::coalesced_mmio_ring_page(vcpu->vm);
#endif
	return nullptr;
}

extern "C" void kvmx_vcpu_release(struct kvmx_vcpu *vcpu)
{
	kvmx::vm_put(vcpu->vm);
}
