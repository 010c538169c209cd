// SPDX-License-Identifier: GPL-2.0
/*
 * XIVE (eXternal Interrupt Virtualization Engine) glue for the native exploitation
 * device (include/kvmx/xive.h): the host's XIVE layer (exported by the kernel, OPAL
 * underneath), the escalation interrupts, the TIMA (Thread Interrupt Management Area)
 * push/pull and the device fd with its page-fault handlers. No policy: which VP, queue
 * or source to touch, and when, is arch/powerpc/kvm/xive_native.cpp's decision.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/hugetlb.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <asm/cpu_has_feature.h>
#include <asm/opal-api.h>
#include <asm/xive.h>
#include <asm/xive-regs.h>

#include "glue.h"
#include <kvmx/xive.h>

/* The priority that routes a source nowhere (the kernel's KVM code calls it MASKED). */
#define KVMX_XIVE_MASKED 0xff

#if IS_ENABLED(CONFIG_PPC_XIVE_NATIVE)

int kvmx_xive_host_ok(void)
{
	return xive_enabled() && cpu_has_feature(CPU_FTR_HVMODE) &&
	       xive_native_has_queue_state_support();
}

int kvmx_xive_vp_block_alloc(u32 nr, u32 *base)
{
	u32 b = xive_native_alloc_vp_block(nr);

	if (b == XIVE_INVALID_VP)
		return -ENOSPC;
	*base = b;
	return 0;
}

void kvmx_xive_vp_block_free(u32 base)
{
	xive_native_free_vp_block(base);
}

int kvmx_xive_vp_enable(u32 vp, u32 *cam, int *hw_save)
{
	u32 chip;

	if (xive_native_enable_vp(vp, false))
		return -EIO;
	if (xive_native_get_vp_info(vp, cam, &chip)) {
		xive_native_disable_vp(vp);
		return -EIO;
	}
	*hw_save = xive_native_has_save_restore() && (*cam & TM_QW1W2_HO);
	return 0;
}

void kvmx_xive_vp_disable(u32 vp)
{
	xive_native_disable_vp(vp);
}

int kvmx_xive_vp_ipb(u32 vp, u8 *ipb)
{
	u64 state;

	if (xive_native_get_vp_state(vp, &state))
		return -EIO;
	/* OPAL returns NVT word 4 and 5 as one doubleword: the IPB is bits 40-47. */
	*ipb = (state >> 40) & 0xff;
	return 0;
}

struct kvmx_xive_src {
	u32 hw;
	struct xive_irq_data xd;
};

kvmx_u8 kvmx_xive_src_esb_load(struct kvmx_xive_src *src, u32 offset)
{
	return (u8)in_be64(src->xd.eoi_mmio + offset);
}

void kvmx_xive_src_trigger(struct kvmx_xive_src *src)
{
	out_be64(src->xd.trig_mmio, 0);
}

struct kvmx_xive_src *kvmx_xive_src_alloc(void)
{
	struct kvmx_xive_src *src = kzalloc(sizeof(*src), GFP_KERNEL_ACCOUNT);

	if (!src)
		return NULL;
	src->hw = xive_native_alloc_irq();
	if (!src->hw)
		goto free;
	if (xive_native_populate_irq_data(src->hw, &src->xd))
		goto free_irq;
	kvmx_xive_src_esb_load(src, XIVE_ESB_SET_PQ_01);
	xive_native_configure_irq(src->hw, 0, KVMX_XIVE_MASKED, 0);
	return src;
free_irq:
	xive_native_free_irq(src->hw);
free:
	kfree(src);
	return NULL;
}

void kvmx_xive_src_free(struct kvmx_xive_src *src)
{
	kvmx_xive_src_esb_load(src, XIVE_ESB_SET_PQ_01);
	xive_native_configure_irq(src->hw, 0, KVMX_XIVE_MASKED, 0);
	xive_cleanup_irq_data(&src->xd);
	xive_native_free_irq(src->hw);
	kfree(src);
}

int kvmx_xive_src_route(struct kvmx_xive_src *src, u32 vp, u8 prio, u32 eisn)
{
	if (prio == KVMX_XIVE_MASKED)
		return xive_native_configure_irq(src->hw, 0, KVMX_XIVE_MASKED, 0) ? -EIO : 0;
	return xive_native_configure_irq(src->hw, vp, prio, eisn) ? -EIO : 0;
}

void kvmx_xive_src_sync(struct kvmx_xive_src *src, int queues)
{
	xive_native_sync_source(src->hw);
	if (queues)
		xive_native_sync_queue(src->hw);
}

kvmx_u64 kvmx_xive_src_page(struct kvmx_xive_src *src, int eoi)
{
	return eoi ? src->xd.eoi_page : src->xd.trig_page;
}

kvmx_u64 kvmx_xive_tima_os_page(void)
{
	return xive_tima_os;
}

struct kvmx_xive_eq {
	struct xive_q q;
};

struct kvmx_xive_eq *kvmx_xive_eq_alloc(void)
{
	return kzalloc(sizeof(struct kvmx_xive_eq), GFP_KERNEL_ACCOUNT);
}

void kvmx_xive_eq_free(struct kvmx_xive_eq *eq)
{
	kfree(eq);
}

int kvmx_xive_eq_configure(struct kvmx_xive_eq *eq, u32 vp, u8 prio, kvmx_u64 qpage_pa, u32 shift,
			   u32 *esc_hwirq)
{
	__be32 *qpage = qpage_pa ? (__be32 *)__va(qpage_pa) : NULL;

	if (xive_native_configure_queue(vp, &eq->q, prio, qpage, qpage ? shift : 0, true))
		return -EIO;
	*esc_hwirq = eq->q.esc_irq;
	return 0;
}

u32 kvmx_xive_user_page_shift(kvmx_uptr hva)
{
	struct vm_area_struct *vma;
	unsigned long size = PAGE_SIZE;

	mmap_read_lock(current->mm);
	vma = vma_lookup(current->mm, hva);
	if (vma)
		size = vma_kernel_pagesize(vma);
	mmap_read_unlock(current->mm);
	return __ffs(size);
}

void kvmx_xive_eq_disable(struct kvmx_xive_eq *eq, u32 vp, u8 prio)
{
	xive_native_disable_queue(vp, &eq->q, prio);
}

int kvmx_xive_eq_get_state(u32 vp, u8 prio, u32 *toggle, u32 *index)
{
	return xive_native_get_queue_state(vp, prio, toggle, index) ? -EIO : 0;
}

int kvmx_xive_eq_set_state(u32 vp, u8 prio, u32 toggle, u32 index)
{
	return xive_native_set_queue_state(vp, prio, toggle, index) ? -EIO : 0;
}

int kvmx_xive_eq_always_notify(u32 vp, u8 prio)
{
	u64 qaddr, qshift, qeoi, qflags;
	u32 esc;

	if (xive_native_get_queue_info(vp, prio, &qaddr, &qshift, &qeoi, &esc, &qflags))
		return -EIO;
	return !!(qflags & OPAL_XIVE_EQ_ALWAYS_NOTIFY);
}

struct kvmx_xive_esc {
	unsigned int virq;
	char *name;
	void (*fn)(void *arg);
	void *arg;
};

static irqreturn_t kvmx_xive_esc_irq(int irq, void *data)
{
	struct kvmx_xive_esc *esc = data;

	esc->fn(esc->arg);
	return IRQ_HANDLED;
}

struct kvmx_xive_esc *kvmx_xive_esc_attach(u32 hwirq, u32 lpid, u32 server, u32 prio,
					   void (*fn)(void *arg), void *arg)
{
	struct kvmx_xive_esc *esc = kzalloc(sizeof(*esc), GFP_KERNEL_ACCOUNT);

	if (!esc)
		return NULL;
	esc->fn = fn;
	esc->arg = arg;
	esc->name = kasprintf(GFP_KERNEL, "kvmx-%u-%u-%u", lpid, server, prio);
	if (!esc->name)
		goto free;
	esc->virq = irq_create_mapping(NULL, hwirq);
	if (!esc->virq)
		goto free;
	if (request_irq(esc->virq, kvmx_xive_esc_irq, IRQF_NO_THREAD, esc->name, esc))
		goto dispose;
	return esc;
dispose:
	irq_dispose_mapping(esc->virq);
free:
	kfree(esc->name);
	kfree(esc);
	return NULL;
}

void kvmx_xive_esc_detach(struct kvmx_xive_esc *esc)
{
	free_irq(esc->virq, esc);
	irq_dispose_mapping(esc->virq);
	kfree(esc->name);
	kfree(esc);
}

void kvmx_xive_push(const kvmx_u8 w01[8], u32 cam, int hw_save)
{
	u64 w;

	memcpy(&w, w01, sizeof(w));
	eieio();
	if (!hw_save)
		__raw_writeq(w, xive_tima + TM_QW1_OS);
	__raw_writel((__force u32)cpu_to_be32(cam | TM_QW1W2_VO), xive_tima + TM_QW1_OS + TM_WORD2);
	eieio();
}

void kvmx_xive_pull(kvmx_u8 w01[8], int hw_save)
{
	u64 w;

	eieio();
	/* The special load undispatches the VP (its value is the old CAM line). */
	__raw_readl(xive_tima + TM_SPC_PULL_OS_CTX);
	if (!hw_save) {
		w = __raw_readq(xive_tima + TM_QW1_OS);
		memcpy(w01, &w, sizeof(w));
	}
	eieio();
}

/* The device fd. */

static long kvmx_xive_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return kvmx_xive_dev_ioctl(file->private_data, cmd, arg);
}

static vm_fault_t kvmx_xive_esb_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	kvmx_u64 pa =
		kvmx_xive_dev_esb_page(vma->vm_file->private_data, vmf->pgoff - vma->vm_pgoff);

	if (!pa)
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vma, vmf->address, pa >> PAGE_SHIFT);
}

static vm_fault_t kvmx_xive_tima_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;

	/* Of the TIMA's four pages (hardware, hypervisor, OS, user) a guest gets the OS one. */
	if (vmf->pgoff - vma->vm_pgoff != 2)
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vma, vmf->address, xive_tima_os >> PAGE_SHIFT);
}

static const struct vm_operations_struct kvmx_xive_esb_ops = {
	.fault = kvmx_xive_esb_fault,
};

static const struct vm_operations_struct kvmx_xive_tima_ops = {
	.fault = kvmx_xive_tima_fault,
};

/* The ESB window covers every source number the device accepts, two pages each. */
#define KVMX_XIVE_MAX_ESB_PAGES (2ul << 20)

static int kvmx_xive_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff == KVM_XIVE_TIMA_PAGE_OFFSET && vma_pages(vma) <= 4)
		vma->vm_ops = &kvmx_xive_tima_ops;
	else if (vma->vm_pgoff == KVM_XIVE_ESB_PAGE_OFFSET &&
		 vma_pages(vma) <= KVMX_XIVE_MAX_ESB_PAGES)
		vma->vm_ops = &kvmx_xive_esb_ops;
	else
		return -EINVAL;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
#else
	vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
#endif
	vma->vm_page_prot = pgprot_noncached_wc(vma->vm_page_prot);
	return 0;
}

static int kvmx_xive_file_release(struct inode *inode, struct file *file)
{
	kvmx_xive_dev_release(file->private_data);
	return 0;
}

static const struct file_operations kvmx_xive_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kvmx_xive_file_ioctl,
	.mmap = kvmx_xive_file_mmap,
	.release = kvmx_xive_file_release,
	.llseek = noop_llseek,
};

int kvmx_host_xive_fd_install(struct kvmx_xive_dev *dev)
{
	return anon_inode_getfd("kvm-xive-native", &kvmx_xive_fops, dev, O_RDWR | O_CLOEXEC);
}

struct kvmx_xive_dev *kvmx_host_xive_fd_get(int fd, void **file, int *err)
{
	struct file *f = fget(fd);

	if (!f) {
		*err = -EBADF;
		return NULL;
	}
	if (f->f_op != &kvmx_xive_fops) {
		fput(f);
		*err = -EPERM;
		return NULL;
	}
	*file = f;
	return f->private_data;
}

void kvmx_host_xive_fd_put(void *file)
{
	fput(file);
}

#else /* !CONFIG_PPC_XIVE_NATIVE: no device; the C++ never calls past kvmx_xive_host_ok. */

int kvmx_xive_host_ok(void)
{
	return 0;
}

#endif
