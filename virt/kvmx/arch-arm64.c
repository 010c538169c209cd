// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 host check: kvmx needs the kernel itself at EL2 with VHE (HCR_EL2.E2H set), as
 * Debian's kernel runs when the firmware enters it at EL2 and KVM is kept out with
 * kvm-arm.mode=none. Reads the system registers the core may not read itself, and owns
 * the host interrupt of the guests' EL1 virtual timer (unused by a VHE host kernel, whose
 * own timer is the EL2 one): while a guest runs, that interrupt ends the run when the
 * guest's timer fires, so a userspace irqchip hears of it at once.
 */
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/of.h>
#include <linux/of_irq.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <asm/cpufeature.h>
#include <asm/neon.h>
#include <asm/kvm_arm.h>
#include <asm/sysreg.h>
#include <asm/virt.h>

#include "glue.h"

/* The feature-ID registers the kernel sanitises across CPUs, as (CRm, op2) of op0=3 op1=0 CRn=0. */
static const u8 kvmx_sanitised_id_regs[][2] = {
	{ 1, 0 }, { 1, 1 }, { 1, 2 }, { 1, 4 }, { 1, 5 }, { 1, 6 }, { 1, 7 }, { 2, 0 }, { 2, 1 },
	{ 2, 2 }, { 2, 3 }, { 2, 4 }, { 2, 5 }, { 2, 6 }, { 2, 7 }, { 3, 0 }, { 3, 1 }, { 3, 2 },
	{ 3, 4 }, { 3, 5 }, { 3, 6 }, { 4, 0 }, { 4, 1 }, { 4, 4 }, { 4, 5 }, { 5, 0 }, { 5, 1 },
	{ 6, 0 }, { 6, 1 }, { 6, 2 }, { 7, 0 }, { 7, 1 }, { 7, 2 },
};

static void kvmx_read_id_regs(struct kvmx_host_info *info)
{
	unsigned int i, crm, op2;
	u64 mmfr1;

	for (i = 0; i < ARRAY_SIZE(kvmx_sanitised_id_regs); i++) {
		crm = kvmx_sanitised_id_regs[i][0];
		op2 = kvmx_sanitised_id_regs[i][1];
		info->arm64_id_regs[(crm - 1) * 8 + op2] =
			read_sanitised_ftr_reg(sys_reg(3, 0, 0, crm, op2));
	}
	info->arm64_midr = read_cpuid_id();
	info->arm64_revidr = read_sysreg(revidr_el1);
	info->arm64_ctr = read_sanitised_ftr_reg(SYS_CTR_EL0);
	info->arm64_clidr = read_sysreg(clidr_el1);
	info->arm64_aidr = read_sysreg(aidr_el1);
	info->arm64_dczid = read_sanitised_ftr_reg(SYS_DCZID_EL0);
	mmfr1 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR1_EL1);
	/* ID_AA64MMFR1_EL1.VMIDBits, bits [7:4]: 0b0010 means 16-bit VMIDs. */
	info->arm64_vmid_bits = ((mmfr1 >> 4) & 0xf) == 2 ? 16 : 8;
}

void kvmx_host_fpsimd_begin(void)
{
	kernel_neon_begin();
}

void kvmx_host_fpsimd_end(void)
{
	kernel_neon_end();
}

/* Index of the EL1 virtual timer in the "arm,armv8-timer" node's interrupts. */
#define KVMX_VTIMER_DT_INDEX 2

static unsigned int kvmx_vtimer_irq;
static u32 kvmx_vtimer_irq_type;
static DEFINE_PER_CPU(bool, kvmx_vtimer_irq_on);
static void __percpu *kvmx_vtimer_dev;

static irqreturn_t kvmx_vtimer_handler(int irq, void *dev)
{
	/* Taking the guest out was the whole point; the line fell at the exit. */
	return IRQ_HANDLED;
}

void kvmx_host_arm64_vtimer_irq(int enable)
{
	bool *on;

	if (!kvmx_vtimer_irq)
		return;
	on = this_cpu_ptr(&kvmx_vtimer_irq_on);
	if (*on == !!enable)
		return;
	if (enable)
		enable_percpu_irq(kvmx_vtimer_irq, kvmx_vtimer_irq_type);
	else
		disable_percpu_irq(kvmx_vtimer_irq);
	*on = !!enable;
}

static void kvmx_vtimer_irq_off(void *unused)
{
	if (this_cpu_read(kvmx_vtimer_irq_on))
		disable_percpu_irq(kvmx_vtimer_irq);
	this_cpu_write(kvmx_vtimer_irq_on, false);
}

/* Without it guests still run; a timer line then reaches the VMM at the next host tick. */
static void kvmx_vtimer_irq_setup(void)
{
	struct device_node *np = of_find_compatible_node(NULL, NULL, "arm,armv8-timer");
	unsigned int irq;
	int r;

	if (!np) {
		pr_info("kvmx: no arm,armv8-timer device-tree node: guest timer lines are seen at the next host interrupt\n");
		return;
	}
	irq = irq_of_parse_and_map(np, KVMX_VTIMER_DT_INDEX);
	of_node_put(np);
	if (!irq) {
		pr_info("kvmx: no virtual timer interrupt in the device tree\n");
		return;
	}
	kvmx_vtimer_dev = alloc_percpu(u8);
	if (!kvmx_vtimer_dev)
		return;
	r = request_percpu_irq(irq, kvmx_vtimer_handler, "kvmx-vtimer", kvmx_vtimer_dev);
	if (r) {
		pr_info("kvmx: cannot take the virtual timer interrupt %u (%d)\n", irq, r);
		free_percpu(kvmx_vtimer_dev);
		kvmx_vtimer_dev = NULL;
		return;
	}
	kvmx_vtimer_irq_type = irq_get_trigger_type(irq);
	kvmx_vtimer_irq = irq;
}

int kvmx_arch_host_check(struct kvmx_host_info *info)
{
	if (!is_kernel_in_hyp_mode()) {
		pr_err("kvmx: the kernel is not running at EL2, so kvmx cannot install a hypervisor; boot a VHE host entered at EL2 (e.g. QEMU -M virt,virtualization=on)\n");
		return -ENODEV;
	}
	if (!(read_sysreg(hcr_el2) & HCR_E2H)) {
		pr_err("kvmx: EL2 without VHE (HCR_EL2.E2H clear) is not supported\n");
		return -ENODEV;
	}
	info->arm64_id_aa64mmfr0 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR0_EL1);
	kvmx_read_id_regs(info);
	kvmx_vtimer_irq_setup();
	return 0;
}

void kvmx_arch_host_release(void)
{
	if (!kvmx_vtimer_irq)
		return;
	on_each_cpu(kvmx_vtimer_irq_off, NULL, 1);
	free_percpu_irq(kvmx_vtimer_irq, kvmx_vtimer_dev);
	free_percpu(kvmx_vtimer_dev);
	kvmx_vtimer_irq = 0;
	kvmx_vtimer_dev = NULL;
}
