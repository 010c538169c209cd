// SPDX-License-Identifier: GPL-2.0
// The user page behind a guest fault, shared by the arches' second-stage fault paths.
#include "memslot.hpp"

namespace kvmx {

int memslot_get_page(const Memslot &slot, u64 gfn, bool *write, u64 *pa, void **page)
{
	u64 hva = slot.gfn_to_hva(gfn);
	int r = -EAGAIN;
	if (!*write && !slot.readonly() && !slot.dirty_logging()) {
		// A read of a page the VMM already has writable: take it writable at once,
		// without faulting, as upstream's fast path does.
		r = kvmx_host_get_user_page_fast(hva, 1, pa, page);
		*write = r == 0;
	}
	if (r)
		r = kvmx_host_get_user_page(hva, *write, pa, page);
	return r;
}

} // namespace kvmx
