// SPDX-License-Identifier: MIT
/* liburcu (memb flavour) behind the library's own names. */
#include "rcu.h"

_Static_assert(sizeof(struct rcu_head_ptsim) == sizeof(struct rcu_head),
               "rcu_head_ptsim must mirror liburcu's rcu_head");

#ifdef PTSIM_TSAN
char ptsim_rcu_gp_sync;
#endif

void ptsim_call_rcu(struct rcu_head_ptsim *head, void (*func)(struct rcu_head_ptsim *))
{
	rcu_tsan_release(head);
	urcu_memb_call_rcu((struct rcu_head *)head, (void (*)(struct rcu_head *))func);
}

void ptsim_rcu_barrier(void)
{
	urcu_memb_barrier();
}

void ptsim_rcu_register(void)
{
	urcu_memb_register_thread();
}

void ptsim_rcu_unregister(void)
{
	urcu_memb_unregister_thread();
}
