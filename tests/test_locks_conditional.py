"""Conditional acquisition: each trylock form, with the path where it is held and where it is not."""

from __future__ import annotations

from locks_probe import HELD, NOT_HELD, PARTIAL, UNKNOWN, probes


def test_trylock_page_continue_in_a_loop() -> None:
    src = """
void f(struct list_head *pages)
{
	struct page *page;

	list_for_each_entry(page, pages, lru) {
		if (!trylock_page(page)) {
			probe(failed);
			continue;
		}
		probe(locked);
		unlock_page(page);
	}
}
"""
    assert probes(src, "page:page") == {"failed": NOT_HELD, "locked": HELD}


def test_bug_on_not_trylock() -> None:
    src = """
void f(struct page *page, struct page *other)
{
	probe(before);
	BUG_ON(!trylock_page(page));
	probe(after);
}
"""
    assert probes(src, "page:page") == {"before": NOT_HELD, "after": HELD}
    assert probes(src, "page:other") == {"before": NOT_HELD, "after": NOT_HELD}


def test_mutex_trylock_or_return() -> None:
    src = """
int f(struct dev *d)
{
	if (!mutex_trylock(&d->m)) {
		probe(busy);
		return -EAGAIN;
	}
	probe(got_it);
	mutex_unlock(&d->m);
	return 0;
}
"""
    assert probes(src, "dev.m") == {"busy": NOT_HELD, "got_it": HELD}


def test_spin_trylock_opens_a_block() -> None:
    src = """
void f(struct dev *d)
{
	if (spin_trylock(&d->lock)) {
		probe(then);
		spin_unlock(&d->lock);
	} else {
		probe(other);
	}
	probe(after);
}
"""
    assert probes(src) == {"then": HELD, "other": NOT_HELD, "after": NOT_HELD}


def test_trylock_compared_with_zero() -> None:
    src = """
int f(struct page *p)
{
	if (trylock_page(p) == 0) {
		probe(eq_zero);
		return -EBUSY;
	}
	probe(past_eq);
	unlock_page(p);
	if (0 != trylock_page(p)) {
		probe(ne_zero);
		unlock_page(p);
	}
	return 0;
}
"""
    assert probes(src, "page:p") == {"eq_zero": NOT_HELD, "past_eq": HELD, "ne_zero": HELD}


def test_unlikely_and_compound_conditions() -> None:
    src = """
int f(struct dev *d, int busy)
{
	if (unlikely(!spin_trylock_irq(&d->lock)))
		return -EBUSY;
	probe(unlikely_ok);
	spin_unlock_irq(&d->lock);
	if (!busy && spin_trylock(&d->lock)) {
		probe(both_true);
		spin_unlock(&d->lock);
	} else {
		probe(either_false);
	}
	return 0;
}
"""
    # The else branch is reached when !busy was false (the trylock never ran)
    # or when the trylock failed: the lock is not held on either path.
    assert probes(src) == {"unlikely_ok": HELD, "both_true": HELD, "either_false": NOT_HELD}


def test_or_condition_keeps_the_lock_on_some_paths() -> None:
    src = """
int f(struct dev *d, int force)
{
	if (force || spin_trylock(&d->lock)) {
		probe(then);
	}
	return 0;
}
"""
    assert probes(src) == {"then": PARTIAL}


def test_trylock_result_kept_in_a_variable() -> None:
    src = """
int f(struct dev *d)
{
	int locked = spin_trylock(&d->lock);

	if (!locked) {
		probe(not_locked);
		return -EBUSY;
	}
	probe(locked);
	spin_unlock(&d->lock);
	return 0;
}
"""
    assert probes(src) == {"not_locked": NOT_HELD, "locked": HELD}


def test_interruptible_lock_returns_zero_when_taken() -> None:
    src = """
int f(struct dev *d)
{
	if (mutex_lock_interruptible(&d->m)) {
		probe(interrupted);
		return -EINTR;
	}
	probe(taken);
	mutex_unlock(&d->m);
	if (down_read_killable(&d->sem))
		return -EINTR;
	probe(sem_taken);
	up_read(&d->sem);
	return 0;
}
"""
    assert probes(src, "dev.m") == {"interrupted": NOT_HELD, "taken": HELD, "sem_taken": NOT_HELD}
    assert probes(src, "dev.sem")["sem_taken"] is HELD


def test_down_read_trylock_as_in_vmw_balloon() -> None:
    src = """
int f(struct dev *d)
{
	if (!down_read_trylock(&d->sem))
		return -EAGAIN;
	probe(reading);
	up_read(&d->sem);
	probe(done);
	return 0;
}
"""
    assert probes(src, "dev.sem") == {"reading": HELD, "done": NOT_HELD}


def test_scoped_cond_guard_and_try_guard() -> None:
    src = """
int f(struct dev *d)
{
	scoped_cond_guard(mutex_intr, return -EINTR, &d->m) {
		probe(cond_body);
	}
	probe(after_cond);
	scoped_guard(mutex_try, &d->m) {
		probe(try_body);
	}
	probe(after_try);
	return 0;
}
"""
    assert probes(src, "dev.m") == {
        "cond_body": HELD,
        "after_cond": NOT_HELD,
        "try_body": HELD,
        "after_try": NOT_HELD,
    }


def test_lock_state_asserted_by_the_code() -> None:
    src = """
void f(struct dev *d, struct page *page)
{
	probe(before);
	lockdep_assert_held(&d->lock);
	VM_BUG_ON_PAGE(!PageLocked(page), page);
	probe(after);
}
"""
    assert probes(src) == {"before": NOT_HELD, "after": HELD}
    assert probes(src, "page:page") == {"before": NOT_HELD, "after": HELD}


def test_guard_of_a_try_class_is_unknown_afterwards() -> None:
    src = """
void f(struct dev *d)
{
	guard(spinlock_try)(&d->lock);
	probe(after);
}
"""
    assert probes(src) == {"after": UNKNOWN}
