// SPDX-License-Identifier: GPL-2.0
// POWER9 guest exits, by the interrupt that ended the run: hypercalls (H_CEDE, H_PROD,
// H_CONFER in the kernel, the rest to userspace as KVM_EXIT_PAPR_HCALL), partition-
// scoped storage faults (memslot pages mapped, the rest emulated as MMIO), facility traps
// (msgsndp/msgclrp/DPDES emulated, `stop` as stop0lite when the VMM enabled it), host
// interrupts, and the interrupts kvmx delivers to the guest.
#include "arch.hpp"
#include "ppc.hpp"
#include "registry.hpp"
#include "vcpu.hpp"
#include "vm.hpp"
#include <linux/kvm.h>
#include <linux/kvmx.h>

namespace kvmx {

using namespace ppc;

namespace {

constexpr u64 H_SUCCESS = 0, H_PARAMETER = static_cast<u64>(-4LL);
constexpr u64 H_REGISTER_VPA = 0xdc, H_CEDE = 0xe0, H_CONFER = 0xe4, H_PROD = 0xe8;
constexpr u64 DSISR_ISSTORE = 0x02000000, DSISR_PRTABLE_FAULT = 0x00020000,
	      DSISR_NOHPTE = 0x40000000;
constexpr u64 SRR1_CAUSE_BITS = 0x783f0000;
constexpr u64 DBELL_TYPE_SERVER = 5; // msgsndp's message type (rb bits 36:32)

u64 vcpu_lpcr(const Vcpu *vcpu)
{
	return load_acquire(&vcpu->vm->arch.lpcr) | (vcpu->arch.spr.lpcr & LPCR_VCPU_MASK);
}

Result<RunStep> inject_program(Vcpu *vcpu, u64 cause, const char *why)
{
	kvmx_host_log_guest(KVMX_LOG_WARN, vcpu->vm->id, static_cast<int>(vcpu->id),
			    "%s at %#llx: program interrupt injected\n", why, vcpu->arch.regs.nip);
	ppc_inject(vcpu, TRAP_PROGRAM, cause);
	return RunStep::resume;
}

// The guest real address of effective address @ea, walking the guest's process-scoped
// radix tree (Power ISA 3.0B 6.7.10.2) as the MMU did for the access that trapped: the
// process table from KVM_PPC_CONFIGURE_V3_MMU, the entry of PIDR (quadrant 0) or of
// PID 0 (quadrant 3, the guest kernel). Tables are read from memslots only. -EFAULT when
// there is no valid translation (the guest changed its tables meanwhile).
int translate_ea(Vcpu *vcpu, u64 ea, u64 *gpa)
{
	constexpr u64 valid = 1ULL << 63, leaf = 1ULL << 62;
	constexpr u64 nlb = 0x0fffffffffffff00, rpn = 0x01fffffffffff000;
	const ArchVm &vma = vcpu->vm->arch;
	u32 quadrant = static_cast<u32>(ea >> 62);
	if (!vma.mmu_v3 || (quadrant != 0 && quadrant != 3))
		return -EFAULT;
	u64 pid = quadrant == 0 ? vcpu->arch.spr.pid : 0;
	u64 prtb = vma.process_table & 0x0ffffffffffff000ULL;
	u64 prts = vma.process_table & 0x1f;
	if (pid * 16 >= (1ULL << (12 + prts)))
		return -EFAULT;
	u64 dw0;
	if (ppc_read_guest(vcpu, prtb + pid * 16, &dw0, 8))
		return -EFAULT;
	dw0 = __builtin_bswap64(dw0);
	u32 bits = static_cast<u32>(((dw0 >> 61) & 3) << 3 | ((dw0 >> 5) & 7)) + 31;
	u64 addr = ea & ((1ULL << 62) - 1);
	if (bits > 52 || (addr >> bits))
		return -EFAULT;
	u64 base = dw0 & nlb;
	u32 nls = static_cast<u32>(dw0 & 0x1f);
	u32 shift = bits;
	for (u32 level = 0; level < 5; level++) {
		if (nls < 5 || nls > shift - 12)
			return -EFAULT;
		shift -= nls;
		u64 e;
		if (ppc_read_guest(vcpu, base + ((addr >> shift) & ((1ULL << nls) - 1)) * 8, &e, 8))
			return -EFAULT;
		e = __builtin_bswap64(e);
		if (!(e & valid))
			return -EFAULT;
		if (e & leaf) {
			*gpa = ((e & rpn) & ~((1ULL << shift) - 1)) |
			       (addr & ((1ULL << shift) - 1));
			return 0;
		}
		base = e & nlb;
		nls = static_cast<u32>(e & 0x1f);
	}
	return -EFAULT;
}

// The instruction at the guest's PC: a guest real address in real mode (whose top four
// bits the MMU ignores), else translated through the guest's own tables.
int fetch_insn(Vcpu *vcpu, u32 *insn)
{
	const kvmx_ppc_regs &r = vcpu->arch.regs;
	u64 gpa = r.nip & 0x0fffffffffffffffULL;
	if ((r.msr & MSR_IR) && translate_ea(vcpu, r.nip, &gpa))
		return -EFAULT;
	int e = ppc_read_guest(vcpu, gpa, insn, 4);
	if (e)
		return e;
	if (!(r.msr & MSR_LE))
		*insn = __builtin_bswap32(*insn);
	return 0;
}

Vcpu *find_vcpu(Vm *vm, u64 id)
{
	u32 n = load_acquire(&vm->nr_vcpus);
	for (u32 i = 0; i < n; i++) {
		Vcpu *v = vm_vcpu(vm, i);
		if (v && v->id == id)
			return v;
	}
	return nullptr;
}

// ---- hypercalls ----

// The hypercalls kvmx implements in the kernel, each with its bit in ArchVm::hcalls_on
// (clear: KVM_CAP_PPC_ENABLE_HCALL switched it off, it goes to userspace like any other).
// As upstream, H_STUFF_TCE and H_PUT_TCE_INDIRECT start off (the VMM turns them on when
// it advertises them to the guest), the others on.
constexpr u64 H_GET_TCE = 0x1c, H_PUT_TCE = 0x20, H_STUFF_TCE = 0x138, H_PUT_TCE_INDIRECT = 0x13c;
constexpr u64 in_kernel_hcalls[] = { H_CEDE,	H_CONFER,  H_PROD,	H_REGISTER_VPA,
				     H_GET_TCE, H_PUT_TCE, H_STUFF_TCE, H_PUT_TCE_INDIRECT };
constexpr u32 hcalls_default_on = 0x3f;

int in_kernel_hcall_bit(u64 nr)
{
	for (u32 i = 0; i < sizeof(in_kernel_hcalls) / sizeof(in_kernel_hcalls[0]); i++) {
		if (in_kernel_hcalls[i] == nr)
			return static_cast<int>(i);
	}
	return -1;
}

Result<RunStep> handle_hcall(Vcpu *vcpu)
{
	ArchVcpu &a = vcpu->arch;
	u64 nr = a.regs.gpr[3];
	int bit = in_kernel_hcall_bit(nr);
	if (bit < 0 || !(load_acquire(&vcpu->vm->arch.hcalls_on) & (1u << bit)))
		nr = ~0ULL; // handed to userspace below
	if (ppc_tce_hcall(vcpu, nr))
		return RunStep::resume;
	switch (nr) {
	case H_CEDE:
		// PAPR: the vCPU idles with external interrupts enabled until one arrives
		// (or its decrementer, a doorbell, an H_PROD); r3 = H_SUCCESS afterwards.
		a.regs.msr |= MSR_EE;
		a.regs.gpr[3] = H_SUCCESS;
		a.idle = PpcIdle::cede;
		return RunStep::resume;
	case H_PROD: {
		Vcpu *t = find_vcpu(vcpu->vm, a.regs.gpr[4]);
		if (!t) {
			a.regs.gpr[3] = H_PARAMETER;
			return RunStep::resume;
		}
		__atomic_fetch_or(&t->arch.pending, pend_prod, __ATOMIC_SEQ_CST);
		vcpu_kick(t);
		a.regs.gpr[3] = H_SUCCESS;
		return RunStep::resume;
	}
	case H_CONFER:
		// A yield: the run loop offers the CPU (cond_resched) before every entry.
		a.regs.gpr[3] = H_SUCCESS;
		return RunStep::resume;
	case H_REGISTER_VPA:
		a.regs.gpr[3] =
			ppc_h_register_vpa(vcpu, a.regs.gpr[4], a.regs.gpr[5], a.regs.gpr[6]);
		return RunStep::resume;
	default:
		break;
	}
	kvm_run *run = vcpu->run;
	run->exit_reason = KVM_EXIT_PAPR_HCALL;
	run->papr_hcall.nr = a.regs.gpr[3];
	run->papr_hcall.ret = 0;
	for (u32 i = 0; i < 9; i++)
		run->papr_hcall.args[i] = a.regs.gpr[4 + i];
	a.hcall_pending = true;
	return RunStep::exit_user;
}

// ---- MMIO ----

struct MemAccess {
	u8 len;
	bool store, sign, byterev, update;
	u8 rs; // source (store) or destination (load) GPR
	u8 ra;
};

// Decode the loads and stores kvmx emulates on MMIO: D/DS-form and X-form, byte to
// doubleword, with update and byte-reversed forms. False for anything else.
bool decode_access(u32 insn, MemAccess *m)
{
	u32 op = insn >> 26, xo = (insn >> 1) & 0x3ff;
	*m = MemAccess{};
	m->rs = (insn >> 21) & 31;
	m->ra = (insn >> 16) & 31;
	auto set = [m](u8 len, bool store, bool sign = false, bool update = false,
		       bool byterev = false) {
		m->len = len;
		m->store = store;
		m->sign = sign;
		m->update = update;
		m->byterev = byterev;
		return true;
	};
	switch (op) {
	case 32:
		return set(4, false);
	case 33:
		return set(4, false, false, true);
	case 34:
		return set(1, false);
	case 35:
		return set(1, false, false, true);
	case 36:
		return set(4, true);
	case 37:
		return set(4, true, false, true);
	case 38:
		return set(1, true);
	case 39:
		return set(1, true, false, true);
	case 40:
		return set(2, false);
	case 41:
		return set(2, false, false, true);
	case 42:
		return set(2, false, true);
	case 43:
		return set(2, false, true, true);
	case 44:
		return set(2, true);
	case 45:
		return set(2, true, false, true);
	case 58:
		switch (insn & 3) {
		case 0:
			return set(8, false);
		case 1:
			return set(8, false, false, true);
		case 2:
			return set(4, false, true);
		default:
			return false;
		}
	case 62:
		switch (insn & 3) {
		case 0:
			return set(8, true);
		case 1:
			return set(8, true, false, true);
		default:
			return false;
		}
	case 31:
		switch (xo) {
		case 23:
			return set(4, false);
		case 55:
			return set(4, false, false, true);
		case 87:
			return set(1, false);
		case 119:
			return set(1, false, false, true);
		case 279:
			return set(2, false);
		case 311:
			return set(2, false, false, true);
		case 343:
			return set(2, false, true);
		case 375:
			return set(2, false, true, true);
		case 341:
			return set(4, false, true);
		case 373:
			return set(4, false, true, true);
		case 21:
			return set(8, false);
		case 53:
			return set(8, false, false, true);
		case 151:
			return set(4, true);
		case 183:
			return set(4, true, false, true);
		case 215:
			return set(1, true);
		case 247:
			return set(1, true, false, true);
		case 407:
			return set(2, true);
		case 439:
			return set(2, true, false, true);
		case 149:
			return set(8, true);
		case 181:
			return set(8, true, false, true);
		case 790:
			return set(2, false, false, false, true);
		case 534:
			return set(4, false, false, false, true);
		case 532:
			return set(8, false, false, false, true);
		case 918:
			return set(2, true, false, false, true);
		case 662:
			return set(4, true, false, false, true);
		case 660:
			return set(8, true, false, false, true);
		default:
			return false;
		}
	default:
		return false;
	}
}

Result<RunStep> emulate_mmio(Vcpu *vcpu, u64 gpa, u64 ea)
{
	ArchVcpu &a = vcpu->arch;
	u32 insn;
	if (fetch_insn(vcpu, &insn)) {
		kvmx_host_log_guest(KVMX_LOG_WARN, vcpu->vm->id, static_cast<int>(vcpu->id),
				    "MMIO at gpa %#llx from pc %#llx: instruction not readable\n",
				    gpa, a.regs.nip);
		vcpu->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
		vcpu->run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
		vcpu->run->internal.ndata = 0;
		return RunStep::exit_user;
	}
	MemAccess m;
	if (!decode_access(insn, &m))
		return inject_program(vcpu, SRR1_PROGILL,
				      "MMIO by an instruction kvmx does not emulate");
	// Bus byte order: the guest's (MSR[LE]) unless the instruction reverses it.
	bool le = ((a.regs.msr & MSR_LE) != 0) != m.byterev;
	kvm_run *run = vcpu->run;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = m.len;
	run->mmio.is_write = m.store;
	for (u32 i = 0; i < 8; i++)
		run->mmio.data[i] = 0;
	if (m.store) {
		u64 v = a.regs.gpr[m.rs];
		for (u32 i = 0; i < m.len; i++) {
			u32 shift = le ? 8 * i : 8 * (m.len - 1 - i);
			run->mmio.data[i] = static_cast<u8>(v >> shift);
		}
	}
	if (m.update && m.ra)
		a.regs.gpr[m.ra] = ea;
	a.regs.nip += 4;
	// A store an ioeventfd or a coalesced zone takes is done: no exit.
	if (m.store && (ioeventfd_mmio_write(vcpu->vm, gpa, m.len, run->mmio.data) ||
			coalesced_mmio_write(vcpu->vm, gpa, m.len, run->mmio.data))) {
		vcpu->stats.mmio_exit_kernel++;
		return RunStep::resume;
	}
	a.mmio = PpcMmio{ true, m.store, m.sign, m.byterev, m.rs, m.len };
	vcpu->stats.mmio_exit_user++;
	return RunStep::exit_user;
}

Result<RunStep> handle_hdsi(Vcpu *vcpu)
{
	ArchVcpu &a = vcpu->arch;
	const PpcExit &e = a.exit;
	u64 gpa = (e.asdr & ~0xfffULL) | (e.hdar & 0xfff);
	bool write = e.hdsisr & DSISR_ISSTORE;
	if (gpa >> vcpu->vm->arch.ipa_bits) {
		ppc_inject(vcpu, TRAP_DATA_STORAGE, 0);
		a.spr.dar = e.hdar;
		a.spr.dsisr = DSISR_NOHPTE | (write ? DSISR_ISSTORE : 0);
		return RunStep::resume;
	}
	Result<bool> mapped = ppc_map_guest_page(vcpu, gpa, write);
	if (!mapped.is_ok())
		return Status::error(mapped.err());
	if (mapped.value())
		return RunStep::resume;
	if (e.hdsisr & DSISR_PRTABLE_FAULT) {
		// The guest's own page-table walk reached guest real addresses without memory:
		// a DSI for the guest with the cause the hardware gave (as upstream).
		ppc_inject(vcpu, TRAP_DATA_STORAGE, 0);
		a.spr.dar = e.hdar;
		a.spr.dsisr = e.hdsisr;
		return RunStep::resume;
	}
	return emulate_mmio(vcpu, gpa, e.hdar);
}

Result<RunStep> handle_hisi(Vcpu *vcpu)
{
	ArchVcpu &a = vcpu->arch;
	a.regs.msr &= ~SRR1_CAUSE_BITS;
	u64 gpa = (a.exit.asdr & ~0xfffULL) | (a.regs.nip & 0xfff);
	Result<bool> mapped = ppc_map_guest_page(vcpu, gpa, false);
	if (!mapped.is_ok())
		return Status::error(mapped.err());
	if (!mapped.value())
		ppc_inject(vcpu, TRAP_INST_STORAGE, SRR1_ISI_NOPT); // nothing to execute there
	return RunStep::resume;
}

// ---- facility traps: doorbells and stop ----

Result<RunStep> emulate_msgp(Vcpu *vcpu, u32 insn)
{
	ArchVcpu &a = vcpu->arch;
	Vm *vm = vcpu->vm;
	u32 op = insn >> 26, xo = (insn >> 1) & 0x3ff;
	u32 rt = (insn >> 21) & 31, rb = (insn >> 11) & 31;
	u32 spr = ((insn >> 16) & 31) | ((insn >> 6) & 0x3e0);
	u32 smt = vm->arch.smt_mode;
	u32 thread = vcpu->id & (smt - 1);
	if (op != 31)
		return inject_program(vcpu, SRR1_PROGILL, "doorbell facility trap");
	if (xo == 142) { // msgsndp: a doorbell to a thread of this virtual core
		u64 arg = a.regs.gpr[rb];
		u32 target = arg & 0x3f;
		if (((arg >> 27) & 0x1f) == DBELL_TYPE_SERVER && target < smt) {
			Vcpu *t = find_vcpu(vm, vcpu->id - thread + target);
			if (t) {
				__atomic_fetch_or(&t->arch.pending, pend_doorbell,
						  __ATOMIC_SEQ_CST);
				vcpu_kick(t);
			}
		}
	} else if (xo == 174) { // msgclrp: withdraw this thread's doorbell
		if (((a.regs.gpr[rb] >> 27) & 0x1f) == DBELL_TYPE_SERVER)
			__atomic_fetch_and(&a.pending, ~pend_doorbell, __ATOMIC_SEQ_CST);
	} else if (xo == 339 && spr == SPR_DPDES) { // mfspr rt, DPDES: pending doorbells
		u64 v = 0;
		u32 n = load_acquire(&vm->nr_vcpus);
		for (u32 i = 0; i < n; i++) {
			Vcpu *t = vm_vcpu(vm, i);
			if (t && t->id - (t->id & (smt - 1)) == vcpu->id - thread &&
			    (load_acquire(&t->arch.pending) & pend_doorbell))
				v |= 1ULL << (t->id & (smt - 1));
		}
		a.regs.gpr[rt] = v;
	} else if (xo == 467 && spr == SPR_DPDES) { // mtspr DPDES: own bit only
		if (a.regs.gpr[rt] & (1ULL << thread))
			__atomic_fetch_or(&a.pending, pend_doorbell, __ATOMIC_SEQ_CST);
		else
			__atomic_fetch_and(&a.pending, ~pend_doorbell, __ATOMIC_SEQ_CST);
	} else {
		return inject_program(vcpu, SRR1_PROGILL, "doorbell facility trap");
	}
	a.regs.nip += 4;
	return RunStep::resume;
}

Result<RunStep> handle_hfu(Vcpu *vcpu)
{
	ArchVcpu &a = vcpu->arch;
	u64 cause = a.exit.hfscr >> HFSCR_IC_SHIFT;
	u32 insn = static_cast<u32>(a.exit.heir);
	if (cause == FSCR_IC_MSGP || insn != INSN_STOP) {
		u32 fetched;
		if (!fetch_insn(vcpu, &fetched))
			insn = fetched;
	}
	if (insn == INSN_STOP) {
		// stop with the hypervisor's PSSCR[ESL|EC] set. With KVMX_CAP_PPC_STOP0LITE the
		// vCPU idles as stop0lite does (no state loss, EC=0): until an interrupt it
		// would take, whether or not MSR[EE] enables it, then continues after the stop.
		if (!vcpu->vm->arch.stop0lite)
			return inject_program(vcpu, SRR1_PROGILL,
					      "stop without KVMX_CAP_PPC_STOP0LITE");
		a.regs.nip += 4;
		a.idle = PpcIdle::stop;
		return RunStep::resume;
	}
	if (cause == FSCR_IC_MSGP)
		return emulate_msgp(vcpu, insn);
	return inject_program(vcpu, SRR1_PROGILL, "use of a facility kvmx does not offer");
}

} // namespace

long ppc_hcall_set_enabled(Vm *vm, u64 nr, bool enable)
{
	int bit = in_kernel_hcall_bit(nr);
	if (bit < 0)
		return -EINVAL; // not implemented in the kernel: always the VMM's
	if (enable)
		__atomic_fetch_or(&vm->arch.hcalls_on, 1u << bit, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(&vm->arch.hcalls_on, ~(1u << bit), __ATOMIC_SEQ_CST);
	return 0;
}

u32 ppc_hcalls_default_on()
{
	return hcalls_default_on;
}

void ppc_inject(Vcpu *vcpu, u64 vec, u64 srr1_flags)
{
	ArchVcpu &a = vcpu->arch;
	u64 msr = a.regs.msr;
	u64 lpcr = vcpu_lpcr(vcpu);
	u64 new_msr = MSR_SF | MSR_ME | ((lpcr & LPCR_ILE) ? MSR_LE : 0);
	u64 pc = vec;
	// LPCR[AIL] = 3: an interrupt taken with translation on keeps it and goes to the
	// 0xc000000000004000 alias of its vector; system reset and machine check never do.
	if ((lpcr & LPCR_AIL) == LPCR_AIL_3 && (msr & (MSR_IR | MSR_DR)) == (MSR_IR | MSR_DR) &&
	    vec != TRAP_SYSTEM_RESET && vec != TRAP_MACHINE_CHECK) {
		pc = AIL3_VECTOR_BASE + vec;
		new_msr |= MSR_IR | MSR_DR;
	}
	a.spr.srr0 = a.regs.nip;
	a.spr.srr1 = (msr & SRR1_MSR_BITS) | srr1_flags;
	a.regs.nip = pc;
	a.regs.msr = new_msr;
}

void ppc_deliver_pending(Vcpu *vcpu, u64 *lpcr)
{
	ArchVcpu &a = vcpu->arch;
	u32 p = load_acquire(&a.pending);
	if (!(p & pend_external))
		return;
	if (!(a.regs.msr & MSR_EE)) {
		// Mediated external request: the guest exits to kvmx as soon as it enables
		// external interrupts, and gets the interrupt then.
		*lpcr |= LPCR_MER;
		return;
	}
	if (p & pend_ext_once)
		__atomic_fetch_and(&a.pending, ~(pend_external | pend_ext_once), __ATOMIC_SEQ_CST);
	ppc_inject(vcpu, TRAP_EXTERNAL, 0);
}

int ppc_read_guest(Vcpu *vcpu, u64 gpa, void *buf, u32 len)
{
	Vm *vm = vcpu->vm;
	u64 hva;
	{
		SpinGuard mmu(vm->mmu_lock);
		const Memslot *s = vm->memslots->find(gpa >> page_shift);
		if (!s || (gpa & (page_size - 1)) + len > page_size)
			return -EFAULT;
		hva = s->gfn_to_hva(gpa >> page_shift) + (gpa & (page_size - 1));
	}
	return kvmx_host_copy_from_user(buf, hva, len) ? -EFAULT : 0;
}

void ppc_mmio_complete(Vcpu *vcpu)
{
	ArchVcpu &a = vcpu->arch;
	if (a.hcall_pending) {
		// r3 = the result; r4-r12 = what the VMM left in args (PAPR hcalls return
		// values there), as upstream.
		a.hcall_pending = false;
		a.regs.gpr[3] = vcpu->run->papr_hcall.ret;
		for (u32 i = 0; i < 9; i++)
			a.regs.gpr[4 + i] = vcpu->run->papr_hcall.args[i];
	}
	if (!a.mmio.active)
		return;
	a.mmio.active = false;
	if (a.mmio.is_write)
		return;
	bool le = ((a.regs.msr & MSR_LE) != 0) != a.mmio.byte_reversed;
	const u8 *d = vcpu->run->mmio.data;
	u32 len = a.mmio.len;
	u64 v = 0;
	for (u32 i = 0; i < len; i++) {
		u32 shift = le ? 8 * i : 8 * (len - 1 - i);
		v |= static_cast<u64>(d[i]) << shift;
	}
	if (a.mmio.sign_extend && len < 8) {
		u32 bits = 8 * len;
		v = static_cast<u64>(static_cast<s64>(v << (64 - bits)) >> (64 - bits));
	}
	a.regs.gpr[a.mmio.rt] = v;
}

namespace {

// Exits whose handling touches no guest or user memory and no FP/VMX register: the
// guest's FP/VMX/VSX state may stay in the CPU for the next entry (kvmx_ppc_fp_sync).
// Host interrupts, and the hcalls that only idle, wake or yield (a sleep or a reschedule
// stores the registers through the glue's preempt notifier).
bool fp_may_stay_live(const ArchVcpu &a, int trap)
{
	switch (trap) {
	case 0:
	case TRAP_HV_DECREMENTER:
	case TRAP_H_VIRT:
	case TRAP_H_DOORBELL:
	case TRAP_HMI:
	case TRAP_EXTERNAL:
	case TRAP_SYSTEM_RESET:
		return true;
	case TRAP_SYSCALL: {
		u64 nr = a.regs.gpr[3];
		return !(a.regs.msr & MSR_PR) && (nr == H_CONFER || nr == H_PROD || nr == H_CEDE);
	}
	default:
		return false;
	}
}

} // namespace

Result<RunStep> ppc_handle_exit(Vcpu *vcpu)
{
	ArchVcpu &a = vcpu->arch;
	int trap = a.exit.trap;
	if (!fp_may_stay_live(a, trap))
		kvmx_ppc_fp_sync(a.shadow);
	if (trap)
		vcpu->stats.exits++;
	switch (trap) {
	case 0:
		return RunStep::resume;
	case TRAP_HV_DECREMENTER:
	case TRAP_H_VIRT:
	case TRAP_H_DOORBELL:
	case TRAP_HMI:
	case TRAP_EXTERNAL:
	case TRAP_SYSTEM_RESET:
		// The host's (taken when interrupts were unmasked again), or LPCR[MER]:
		// pending interrupts are delivered before the next entry.
		vcpu->stats.irq_exits++;
		return RunStep::resume;
	case TRAP_MACHINE_CHECK:
		if (load_acquire(&vcpu->vm->arch.fwnmi)) {
			// KVM_CAP_PPC_FWNMI: the VMM delivers it through the guest's FWNMI
			// handler. kvmx does not decode machine checks, so it never claims the
			// hardware recovered.
			kvmx_host_log_guest(KVMX_LOG_ERR, vcpu->vm->id, static_cast<int>(vcpu->id),
					    "machine check in the guest at %#llx: KVM_EXIT_NMI\n",
					    a.regs.nip);
			kvm_run *run = vcpu->run;
			run->exit_reason = KVM_EXIT_NMI;
			run->hw.hardware_exit_reason = TRAP_MACHINE_CHECK;
			run->flags = static_cast<u16>((run->flags & ~KVM_RUN_PPC_NMI_DISP_MASK) |
						      KVM_RUN_PPC_NMI_DISP_NOT_RECOV);
			return RunStep::exit_user;
		}
		kvmx_host_log_guest(KVMX_LOG_ERR, vcpu->vm->id, static_cast<int>(vcpu->id),
				    "machine check in the guest at %#llx: delivered to it\n",
				    a.regs.nip);
		ppc_inject(vcpu, TRAP_MACHINE_CHECK, 0);
		return RunStep::resume;
	case TRAP_SYSCALL:
		if (a.regs.msr & MSR_PR) {
			// sc 1 from guest user mode: a radix guest can run no nested hypervisor
			// that would want it, so it is a privileged-instruction fault (upstream).
			ppc_inject(vcpu, TRAP_PROGRAM, SRR1_PROGPRIV);
			return RunStep::resume;
		}
		return handle_hcall(vcpu);
	case TRAP_H_DATA_STORAGE:
		return handle_hdsi(vcpu);
	case TRAP_H_INST_STORAGE:
		return handle_hisi(vcpu);
	case TRAP_H_EMUL_ASSIST:
		return inject_program(vcpu, SRR1_PROGILL, "instruction kvmx does not emulate");
	case TRAP_H_FAC_UNAVAIL:
		return handle_hfu(vcpu);
	default:
		kvmx_host_log_guest(KVMX_LOG_ERR, vcpu->vm->id, static_cast<int>(vcpu->id),
				    "unexpected guest exit, trap %#x at %#llx\n", trap, a.regs.nip);
		vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
		vcpu->run->hw.hardware_exit_reason = static_cast<u64>(trap);
		return RunStep::exit_user;
	}
}

} // namespace kvmx
