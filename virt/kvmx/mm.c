// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory for the core (include/kvmx/host.h): user pages by reference and the MMU
 * notifier through which the core tears down stage-2 mappings when user mappings change.
 * Owns no policy: which pages to map, and when, is the core's decision.
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/version.h>

#include "glue.h"

/*
 * The core maps guest memory in 4 KB pages; where the kernel's pages are larger (64 KB
 * on Debian ppc64el) the 4 KB piece of the page that @hva falls in.
 */
static kvmx_u64 kvmx_sub_page(kvmx_uptr hva)
{
	return hva & ~PAGE_MASK & ~0xfffUL;
}

/*
 * The pfn a VM_IO/VM_PFNMAP mapping holds at @addr (mmap lock held): 0 or -errno.
 * follow_pfn() left the kernel in 6.10; follow_pfnmap_start() replaced it in 6.12.
 */
static int kvmx_follow_pfn(struct vm_area_struct *vma, unsigned long addr, unsigned long *pfn)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	struct follow_pfnmap_args args = { .vma = vma, .address = addr };
	int r = follow_pfnmap_start(&args);

	if (r)
		return r;
	*pfn = args.pfn;
	follow_pfnmap_end(&args);
	return 0;
#else
	return follow_pfn(vma, addr, pfn);
#endif
}

int kvmx_host_get_user_page(kvmx_uptr hva, int write, kvmx_u64 *pa, void **page)
{
	struct page *p;
	long n;

	n = get_user_pages_unlocked(hva, 1, &p, FOLL_HWPOISON | (write ? FOLL_WRITE : 0));
	if (n < 0)
		return n == -EHWPOISON || n == -ENOMEM || n == -EINTR ? n : -EFAULT;
	if (n == 0)
		return -EFAULT;
	*pa = page_to_phys(p) + kvmx_sub_page(hva);
	*page = p;
	return 0;
}

int kvmx_host_get_user_page_fast(kvmx_uptr hva, int write, kvmx_u64 *pa, void **page)
{
	struct page *p;

	if (!get_user_page_fast_only(hva, write ? FOLL_WRITE : 0, &p))
		return -EAGAIN;
	*pa = page_to_phys(p) + kvmx_sub_page(hva);
	*page = p;
	return 0;
}

int kvmx_host_get_user_pfn(kvmx_uptr hva, int write, kvmx_u64 *pa)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	unsigned long pfn = 0;
	bool unlocked = false;
	int r = -EFAULT, tries;

	if (!mm)
		return -EFAULT;
	mmap_read_lock(mm);
	for (tries = 0; tries < 2; tries++) {
		vma = vma_lookup(mm, hva);
		if (!vma || !(vma->vm_flags & (VM_IO | VM_PFNMAP)) ||
		    (write && !(vma->vm_flags & VM_WRITE)))
			break;
		if (!kvmx_follow_pfn(vma, hva, &pfn)) {
			r = 0;
			break;
		}
		/* Not populated yet: let the mapping's fault handler insert it, then look again. */
		if (fixup_user_fault(mm, hva, write ? FAULT_FLAG_WRITE : 0, &unlocked))
			break;
	}
	mmap_read_unlock(mm);
	if (!r)
		*pa = ((kvmx_u64)pfn << PAGE_SHIFT) + kvmx_sub_page(hva);
	return r;
}

void kvmx_host_put_user_page(void *page, int dirty)
{
	struct page *p = page;

	if (dirty)
		set_page_dirty_lock(p);
	put_page(p);
}

struct kvmx_mmu_notifier {
	struct mmu_notifier mn;
	struct mm_struct *mm; /* mmgrab'ed: unregister needs the mm_struct alive */
	struct kvmx_vm *vm;
};

static int kvmx_mn_invalidate_range_start(struct mmu_notifier *mn,
					  const struct mmu_notifier_range *range)
{
	struct kvmx_mmu_notifier *kmn = container_of(mn, struct kvmx_mmu_notifier, mn);

	/* The core only takes a spinlock here, so non-blockable ranges are fine too. */
	kvmx_vm_mmu_invalidate_begin(kmn->vm, range->start, range->end);
	return 0;
}

static void kvmx_mn_invalidate_range_end(struct mmu_notifier *mn,
					 const struct mmu_notifier_range *range)
{
	struct kvmx_mmu_notifier *kmn = container_of(mn, struct kvmx_mmu_notifier, mn);

	kvmx_vm_mmu_invalidate_end(kmn->vm, range->start, range->end);
}

static void kvmx_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct kvmx_mmu_notifier *kmn = container_of(mn, struct kvmx_mmu_notifier, mn);

	kvmx_vm_mmu_release(kmn->vm);
}

static const struct mmu_notifier_ops kvmx_mmu_notifier_ops = {
	.invalidate_range_start = kvmx_mn_invalidate_range_start,
	.invalidate_range_end = kvmx_mn_invalidate_range_end,
	.release = kvmx_mn_release,
};

struct kvmx_mmu_notifier *kvmx_host_mmu_notifier_register(struct kvmx_vm *vm)
{
	struct kvmx_mmu_notifier *kmn;

	/* A kernel thread has no address space to follow (and never creates a VM). */
	if (!current->mm)
		return NULL;
	kmn = kvmx_host_zalloc(sizeof(*kmn));
	if (!kmn)
		return NULL;
	kmn->mn.ops = &kvmx_mmu_notifier_ops;
	kmn->vm = vm;
	kmn->mm = current->mm;
	mmgrab(kmn->mm);
	if (mmu_notifier_register(&kmn->mn, kmn->mm)) {
		mmdrop(kmn->mm);
		kvmx_host_free(kmn);
		return NULL;
	}
	return kmn;
}

void kvmx_host_mmu_notifier_unregister(struct kvmx_mmu_notifier *kmn)
{
	if (!kmn)
		return;
	mmu_notifier_unregister(&kmn->mn, kmn->mm);
	mmdrop(kmn->mm);
	kvmx_host_free(kmn);
}
