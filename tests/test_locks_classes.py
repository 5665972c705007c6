"""Lock classes named like lockdep's, and what functions hold on entry: callbacks, annotations, callers."""

from __future__ import annotations

from locks_probe import HELD, NOT_HELD, PARTIAL, PRELUDE, UNKNOWN, analyse, probes

from patchaudit.analyses import analyse_file
from patchaudit.analyses.state import EventKind
from patchaudit.cfront import parse_c


def classes_taken(src: str) -> dict[str, list[str]]:
    """The class of every acquisition, per function, in source order."""
    return {
        fl.function.name: [site.take.lock.cls for site in fl.flow.acquires]
        for fl in analyse(src).functions
        if fl.flow.acquires
    }


def test_the_same_member_through_different_variables_is_one_class() -> None:
    src = """
struct virtio_balloon {
	struct balloon_dev_info vb_dev_info;
	struct mutex balloon_lock;
};

static DEFINE_SPINLOCK(demo_list_lock);
static struct balloon_dev_info demo_info;

int f(struct balloon_dev_info *vb_dev_info, struct balloon_dev_info *b_dev_info)
{
	struct virtio_balloon *vb = container_of(vb_dev_info, struct virtio_balloon, vb_dev_info);

	spin_lock(&vb_dev_info->pages_lock);
	spin_lock(&b_dev_info->pages_lock);
	spin_lock(&vb->vb_dev_info.pages_lock);
	spin_lock(&demo_info.pages_lock);
	mutex_lock(&vb->balloon_lock);
	spin_lock(&demo_list_lock);
	spin_lock(&((struct virtio_balloon *)vb_dev_info)->vb_dev_info.pages_lock);
	return 0;
}
"""
    assert classes_taken(src) == {
        "f": ["balloon_dev_info.pages_lock"] * 4
        + ["virtio_balloon.balloon_lock", "demo_list_lock", "balloon_dev_info.pages_lock"]
    }


def test_unresolved_locks_keep_the_member_or_nothing() -> None:
    src = """
void f(struct dev *d, spinlock_t *ptl, void **cookie)
{
	spin_lock(ptl);
	spin_lock(&(*cookie)->pages_lock);
	spin_lock(&d->lock);
}
"""
    assert classes_taken(src) == {"f": ["?", "?.pages_lock", "dev.lock"]}


def test_a_struct_defined_elsewhere_gives_a_chain_the_tree_index_resolves() -> None:
    # struct vm_area_struct and lookup() live in other files: the class says
    # how to reach the lock from what the file does know.
    src = """
void f(struct vm_area_struct *vma, void *cookie)
{
	spin_lock(&lookup(cookie)->pages_lock);
	down_read(&vma->vm_mm->mmap_lock);
	spin_lock(&vma->vm_mm->ctx[2].lock);
}
"""
    assert classes_taken(src) == {
        "f": ["~lookup().pages_lock", "~vm_area_struct.vm_mm.mmap_lock",
              "~vm_area_struct.vm_mm.ctx[].lock"]
    }


def test_an_unknown_lock_with_the_same_member_makes_the_answer_unknown() -> None:
    src = """
void f(void *cookie)
{
	probe(before);
	spin_lock(&lookup(cookie)->lock);
	probe(after);
}
"""
    assert probes(src) == {"before": NOT_HELD, "after": UNKNOWN}


def test_page_locks_are_told_apart_by_variable_and_follow_folios() -> None:
    src = """
void f(struct page *page, struct page *newpage)
{
	struct page *p = page;
	struct folio *folio = page_folio(newpage);

	lock_page(p);
	folio_lock(folio);
	probe(both);
	unlock_page(page);
	probe(new_only);
	folio_unlock(page_folio(newpage));
}
"""
    assert probes(src, "page:page") == {"both": HELD, "new_only": NOT_HELD}
    assert probes(src, "page:newpage") == {"both": HELD, "new_only": HELD}


def test_callbacks_start_with_their_pages_locked() -> None:
    src = """
static int demo_migrate(struct page *dst, struct page *src, enum migrate_mode mode)
{
	probe(migrate);
	return 0;
}

static bool demo_isolate(struct page *page, isolate_mode_t mode)
{
	probe(isolate);
	return true;
}

static int demo_balloon_migrate(struct balloon_dev_info *b, struct page *newpage,
				struct page *page, enum migrate_mode mode)
{
	probe(balloon_migrate);
	return 0;
}

static void demo_not_a_callback(struct page *page)
{
	probe(plain);
}

const struct movable_operations demo_mops = {
	.migrate_page = demo_migrate,
	.isolate_page = demo_isolate,
};

void demo_init(struct balloon_dev_info *b)
{
	b->migratepage = demo_balloon_migrate;
	demo_not_a_callback(NULL);
}
"""
    assert probes(src, "page:src") == {
        "migrate": HELD, "isolate": NOT_HELD, "balloon_migrate": NOT_HELD, "plain": NOT_HELD,
    }
    assert probes(src, "page:page") == {
        "migrate": NOT_HELD, "isolate": HELD, "balloon_migrate": HELD, "plain": NOT_HELD,
    }
    entry = {fl.function.name: fl.entry for fl in analyse(src).functions}
    [(_lock, event)] = [fact for fact in entry["demo_migrate"].facts if fact[0].inst == "dst"]
    assert event.kind is EventKind.ENTRY
    assert "movable_operations.migrate_page" in event.text
    assert 'include/linux/migrate.h (v6.0 to v6.12): "Both pages are locked."' in event.text


def test_must_hold_annotation_and_releases() -> None:
    src = """
static void f(struct dev *d)
	__must_hold(&d->lock)
{
	probe(annotated);
}

static void g(struct dev *d)
	__releases(&d->lock)
{
	probe(releasing);
	spin_unlock(&d->lock);
}
"""
    assert probes(src) == {"annotated": HELD, "releasing": HELD}


def test_static_helpers_inherit_what_every_caller_holds() -> None:
    src = """
static void always(struct dev *d) { probe(in_always); }
static void sometimes(struct dev *d) { probe(in_sometimes); }
static void escapes(struct dev *d) { probe(in_escapes); }

void a(struct dev *d)
{
	spin_lock(&d->lock);
	always(d);
	sometimes(d);
	escapes(d);
	spin_unlock(&d->lock);
}

void b(struct dev *d)
{
	scoped_guard(spinlock, &d->lock)
		always(d);
	sometimes(d);
	register_hook(escapes);
}
"""
    # probe labels must not be function names: that would be a use as a value.
    assert probes(src) == {"in_always": HELD, "in_sometimes": PARTIAL, "in_escapes": NOT_HELD}
    known = {fl.function.name: fl.entry_known for fl in analyse(src).functions}
    assert known == {"always": True, "sometimes": True, "escapes": False, "a": True, "b": True}


def test_page_lock_follows_the_argument_into_a_helper() -> None:
    src = """
static void helper(struct page *pg, struct page *spare)
{
	probe(in_helper);
}

void caller(struct page *page, struct page *other)
{
	lock_page(page);
	helper(page, other);
	unlock_page(page);
}
"""
    assert probes(src, "page:pg") == {"in_helper": HELD}
    assert probes(src, "page:spare") == {"in_helper": NOT_HELD}


def test_helpers_that_take_or_drop_a_lock_change_the_callers_state() -> None:
    src = """
static void demo_lock(struct dev *d)
{
	spin_lock(&d->lock);
}

static void demo_unlock(struct dev *d)
{
	spin_unlock(&d->lock);
}

void f(struct dev *d)
{
	demo_lock(d);
	probe(after_lock_helper);
	demo_unlock(d);
	probe(after_unlock_helper);
}
"""
    assert probes(src) == {"after_lock_helper": HELD, "after_unlock_helper": NOT_HELD}


def test_a_release_without_a_visible_acquire_makes_the_lock_unknown() -> None:
    src = """
void f(struct dev *d)
{
	take_it_elsewhere(d);
	probe(before_release);
	spin_unlock(&d->lock);
}
"""
    assert probes(src) == {"before_release": UNKNOWN}


def test_work_items_start_with_nothing_held_and_notifiers_with_what_their_chain_holds() -> None:
    src = """
static void demo_work_fn(struct work_struct *work) { probe(in_work); }
static int demo_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	probe(in_notifier);
	return 0;
}
static void demo_hook(struct dev *d) { probe(in_hook); }

static struct notifier_block demo_nb = {
	.notifier_call = demo_notify,
};

void demo_setup(struct dev *d, struct work_struct *w)
{
	INIT_WORK(w, demo_work_fn);
	register_hook(demo_hook);
}
"""
    known = {fl.function.name: fl.entry_known for fl in analyse(src).functions}
    assert known == {"demo_work_fn": True, "demo_notify": False, "demo_hook": False, "demo_setup": True}


def test_header_functions_have_unknown_callers_unless_annotated() -> None:
    src = """
static inline void demo_unlink(struct dev *d) { list_del(&d->items); }
static inline void demo_unlink_locked(struct dev *d)
	__must_hold(&d->lock)
{
	list_del(&d->items);
}
"""
    ir = parse_c((PRELUDE + src).encode(), "include/linux/demo.h")
    known = {fl.function.name: fl.entry_known for fl in analyse_file(ir).functions}
    assert known == {"demo_unlink": False, "demo_unlink_locked": True}
