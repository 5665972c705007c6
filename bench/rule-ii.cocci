// Rule ii of include/linux/balloon_compaction.h (Linux 5.1 to 6.12):
// "isolation or dequeueing procedure must remove the page from balloon
// device page list under b_dev_info->pages_lock."
//
// Reports list_del(&P->lru) where no path from a ->pages_lock acquisition
// reaches it without an unlock. Written for patchaudit's benchmark
// (bench/scan_tree.py): the same question as PA2002, asked the way
// Coccinelle asks it, without knowing which list the page is on.
// Confidence: Low (every list threaded through page->lru is reported)
// Options: --no-includes --include-headers

@locked exists@
expression E, P;
position p;
@@
(
spin_lock(&E->pages_lock);
|
spin_lock_irq(&E->pages_lock);
|
spin_lock_irqsave(&E->pages_lock, ...);
)
... when != spin_unlock(&E->pages_lock)
    when != spin_unlock_irq(&E->pages_lock)
    when != spin_unlock_irqrestore(&E->pages_lock, ...)
list_del@p(&P->lru);

@unlocked@
expression P;
position p != locked.p;
@@
list_del@p(&P->lru);

@script:python depends on unlocked@
p << unlocked.p;
@@
coccilib.report.print_report(p[0], "list_del(&P->lru) not under ->pages_lock")
