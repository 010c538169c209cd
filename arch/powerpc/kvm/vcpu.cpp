// SPDX-License-Identifier: GPL-2.0
// POWER9 vCPU lifetime and KVM_RUN. No guest entry exists yet on POWER: KVM_RUN fails
// with -EOPNOTSUPP (and one rate-limited log line) instead of pretending to run.
#include "arch.hpp"
#include "ioctl.hpp"
#include "vcpu.hpp"
#include "vm.hpp"
#include <linux/kvm.h>
#include <kvmx/core.h>

namespace kvmx {

Status arch_vcpu_create(Vcpu *)
{
	return Status::ok();
}

void arch_vcpu_destroy(Vcpu *) {}

void arch_vcpu_kick(Vcpu *)
{
	// Never in a guest: nothing to interrupt.
}

long arch_vcpu_ioctl(Vcpu *, unsigned int cmd, unsigned long)
{
	return unknown_ioctl(cmd);
}

Status arch_vcpu_run_prepare(Vcpu *vcpu)
{
	if (vcpu->arch.run_refusals++ == 0)
		kvmx_host_log_guest(KVMX_LOG_WARN, vcpu->vm->id, static_cast<int>(vcpu->id),
				    "KVM_RUN: POWER guest entry is not implemented yet\n");
	return Status::error(-EOPNOTSUPP);
}

Result<RunStep> arch_vcpu_run_once(Vcpu *)
{
	return Status::error(-EOPNOTSUPP);
}

} // namespace kvmx

// The load-time self-test (module parameter selftest=1) runs a tiny guest through the
// world switch; POWER has none yet, so loading with selftest=1 fails and says why.
extern "C" int kvmx_arch_selftest(void)
{
	kvmx_host_log(KVMX_LOG_ERR, "kvmx: no POWER guest entry yet: selftest=1 cannot run\n");
	return -EOPNOTSUPP;
}
