/*
 * changes.h — in-process notice that a change was committed, so the change
 * stream can wake at once instead of polling. The database stays the only
 * source of events: a notice carries just the newest known seq, and
 * listeners read the events themselves. Another process's commits are
 * found by the stream's periodic poll, not by this.
 */
#ifndef LU_CHANGES_H
#define LU_CHANGES_H

#include <stdint.h>

/* Called after a commit that appended audit events up to seq. */
void changes_published(int64_t seq);

/* The newest seq published in this process (0 before any). */
int64_t changes_latest(void);

/* Registers fn to be called (from the committing thread, after commit) on
 * every publish. At most CHANGES_LISTENERS_MAX; returns false when full. */
#define CHANGES_LISTENERS_MAX 4
typedef void (*changes_listener)(int64_t seq, void *ctx);
int changes_listen(changes_listener fn, void *ctx);

#endif
